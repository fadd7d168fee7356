#include "rump/kern/kernel.h"

#include <unistd.h>

#include <utility>

#include "absl/strings/str_format.h"
#include "rump/abi/errno.h"
#include "rump/kern/console.h"
#include "rump/kern/kern_syscalls.h"
#include "rump/kern/kern_sysctl.h"
#include "rump/kern/kinfo_sysctl.h"

namespace rump {
namespace {

// The processes this thread is bound to, per kernel (usually none or one).
struct ThreadBinding {
  const Kernel* kernel;
  std::shared_ptr<Process> process;
};
thread_local std::vector<ThreadBinding> tls_bindings;

std::string DefaultHostname() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return absl::StrFormat("rump-%05d.%s", getpid(), host);
}

// The host's physical memory in bytes (0 if unknown).
uint64_t HostMemory() {
  const long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
  return pages > 0 && size > 0 ? uint64_t(pages) * uint64_t(size) : 0;
}

void InstallConsole(Process& p) {
  auto console = std::make_shared<Console>();
  for (int fd = 0; fd < 3; ++fd) (void)p.fds().Install(console, false, fd);
}

}  // namespace

Kernel::Kernel(KernelOptions options)
    : ncpu_(options.ncpu),
      default_hostname_(options.hostname.empty() ? DefaultHostname()
                                                 : options.hostname),
      sysctl_(std::make_unique<SysctlTree>()),
      timers_(std::make_unique<TimerQueue>()) {}

absl::StatusOr<std::unique_ptr<Kernel>> Kernel::Boot(KernelOptions options) {
  std::unique_ptr<Kernel> k(new Kernel(options));
  if (absl::Status s = k->Start(options); !s.ok()) return s;
  return k;
}

absl::Status Kernel::Start(KernelOptions& options) {
  RegisterKernSyscalls(syscalls_);
  if (absl::Status s = AddKernelSysctlNodes(
          *sysctl_,
          KernelSysctlInfo{default_hostname_, ncpu_, int(kMessageBufferBytes), HostMemory()});
      !s.ok()) {
    return s;
  }
  if (absl::Status s = AddKinfoSysctlNodes(*sysctl_, *this); !s.ok()) return s;
  init_ = std::make_shared<Process>(1, 0, "rumplocal");
  InstallConsole(*init_);
  {
    std::lock_guard<std::mutex> lock(procs_mu_);
    procs_[1] = init_;
  }
  for (auto& make : options.components) {
    std::unique_ptr<Component> c = make();
    if (absl::Status s = c->Attach(*this); !s.ok()) {
      return absl::Status(s.code(), absl::StrFormat("component %s: %s", c->name(),
                                                    s.message()));
    }
    AddComponent(std::move(c));
  }
  return absl::OkStatus();
}

void Kernel::AddComponent(std::unique_ptr<Component> c) {
  Component* raw = c.get();
  components_by_type_[std::type_index(typeid(*raw))] = raw;
  components_.push_back(std::move(c));
}

bool Kernel::HasComponent(const std::string& name) const {
  for (const auto& c : components_) {
    if (name == c->name()) return true;
  }
  return false;
}

Kernel::~Kernel() {
  Halt(0);
  std::map<pid_t, std::shared_ptr<Process>> procs;
  {
    std::lock_guard<std::mutex> lock(procs_mu_);
    procs.swap(procs_);
  }
  for (auto& [pid, p] : procs) p->fds().CloseAll();
  // Components go last: descriptors may refer to their objects.
  while (!components_.empty()) components_.pop_back();
}

SyscallResult Kernel::Syscall(Process& process, UserMemory& mem, int number,
                              absl::Span<const uint64_t> args, CallInterrupt* interrupt) {
  SyscallResult r;
  const SyscallHandler* h = syscalls_.Find(number);
  if (h == nullptr) {
    r.error = abi::kENOSYS;
    return r;
  }
  SyscallContext ctx{*this, process, mem, interrupt};
  absl::StatusOr<SyscallReturn> ret = (*h)(ctx, SyscallArgs(args));
  if (!ret.ok()) {
    r.error = abi::ToErrno(ret.status());
    return r;
  }
  r.rv0 = ret->rv0;
  r.rv1 = ret->rv1;
  return r;
}

SyscallResult Kernel::Syscall(int number, absl::Span<const uint64_t> args) {
  return Syscall(CurrentProcess(), DirectUserMemory::Get(), number, args);
}

std::shared_ptr<Process> Kernel::NewProcess(pid_t parent, std::string comm,
                                            std::shared_ptr<FdTable> fds) {
  const bool fresh = fds == nullptr;
  std::shared_ptr<Process> p;
  {
    std::lock_guard<std::mutex> lock(procs_mu_);
    while (procs_.count(next_pid_)) ++next_pid_;
    auto from = procs_.find(parent);  // fork copies the parent's limits and ids
    p = std::make_shared<Process>(
        next_pid_++, parent, std::move(comm), std::move(fds),
        from != procs_.end() ? from->second->limits() : ResourceLimits::Defaults());
    if (from != procs_.end()) {
      p->InitCredentials(from->second->credentials(), from->second->set_ugid());
    }
    procs_[p->pid()] = p;
  }
  if (fresh) InstallConsole(*p);
  return p;
}

std::shared_ptr<Process> Kernel::FindProcess(pid_t pid) const {
  std::lock_guard<std::mutex> lock(procs_mu_);
  auto it = procs_.find(pid);
  return it == procs_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<Process>> Kernel::Processes() const {
  std::vector<std::shared_ptr<Process>> out;
  std::lock_guard<std::mutex> lock(procs_mu_);
  for (const auto& [pid, p] : procs_) out.push_back(p);
  return out;
}

void Kernel::ReleaseProcess(pid_t pid) {
  if (pid == 1) return;
  std::shared_ptr<Process> p;
  {
    std::lock_guard<std::mutex> lock(procs_mu_);
    auto it = procs_.find(pid);
    if (it == procs_.end()) return;
    p = std::move(it->second);
    procs_.erase(it);
  }
  // The table stays open while another process shares it.
  if (p->shared_fds().use_count() == 1) p->fds().CloseAll();
}

Process& Kernel::CurrentProcess() {
  for (const ThreadBinding& b : tls_bindings) {
    if (b.kernel == this) return *b.process;
  }
  return *init_;
}

void Kernel::BindThread(std::shared_ptr<Process> process) {
  for (auto it = tls_bindings.begin(); it != tls_bindings.end(); ++it) {
    if (it->kernel == this) {
      tls_bindings.erase(it);
      break;
    }
  }
  if (process) tls_bindings.push_back(ThreadBinding{this, std::move(process)});
}

void Kernel::Halt(int howto) {
  {
    std::lock_guard<std::mutex> lock(halt_mu_);
    if (halted_) return;
    halted_ = true;
    halt_howto_ = howto;
  }
  // Release every thread sleeping in a system call (they return EINTR);
  // later sleeps see halted() and return at once.
  std::vector<std::shared_ptr<Process>> procs;
  {
    std::lock_guard<std::mutex> lock(procs_mu_);
    for (auto& [pid, p] : procs_) procs.push_back(p);
  }
  for (auto& p : procs) p->Interrupt();
  timers_->Stop();  // no timer may run into a detached component
  for (auto it = components_.rbegin(); it != components_.rend(); ++it) {
    (*it)->Detach(*this);
  }
  halt_cv_.notify_all();
}

bool Kernel::halted() const {
  std::lock_guard<std::mutex> lock(halt_mu_);
  return halted_;
}

int Kernel::WaitHalted() {
  std::unique_lock<std::mutex> lock(halt_mu_);
  halt_cv_.wait(lock, [this] { return halted_; });
  return halt_howto_;
}

void Kernel::Log(absl::string_view line) {
  std::string text(line);
  text += '\n';
  std::lock_guard<std::mutex> lock(log_mu_);
  Console::WriteHost(text);
  messages_ += text;
  if (messages_.size() > kMessageBufferBytes) {
    // Whole lines only: drop up to the first newline past the excess.
    size_t cut = messages_.find('\n', messages_.size() - kMessageBufferBytes);
    messages_.erase(0, cut == std::string::npos ? messages_.size() : cut + 1);
  }
}

std::string Kernel::messages() const {
  std::lock_guard<std::mutex> lock(log_mu_);
  return messages_;
}

}  // namespace rump
