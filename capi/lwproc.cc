// rump_pub_lwproc_*: binding host threads to kernel processes.
//
// A host thread is either in the implicit context (its system calls run as
// pid 1) or bound to an lwp; an lwp belongs to one process and is bound to
// at most one thread at a time. An lwp that a thread switched away from
// stays alive (its handle can be switched to again) until a thread bound to
// it releases it; the process goes away with its last lwp.
#include <rump/rump.h>

#include <cstdio>
#include <map>
#include <memory>
#include <mutex>

#include "capi/capi_internal.h"
#include "rump/abi/errno.h"
#include "rump/kern/kernel.h"
#include "rump/kern/process.h"

namespace rump::capi {
namespace {

// What a struct lwp * handle points to.
struct Lwp {
  std::shared_ptr<Process> process;
  bool bound = false;  // to some thread; guarded by g_lwp_mu
};

std::mutex g_lwp_mu;
std::map<pid_t, int>* g_lwp_counts = new std::map<pid_t, int>;  // lwps per pid
thread_local Lwp* tls_curlwp = nullptr;

struct lwp* Handle(Lwp* l) { return reinterpret_cast<struct lwp*>(l); }
Lwp* FromHandle(struct lwp* l) { return reinterpret_cast<Lwp*>(l); }

// Binds the calling thread to `l` (nullptr: implicit context). False if `l`
// is bound to another thread.
bool SwitchTo(Kernel& k, Lwp* l) {
  Lwp* const cur = tls_curlwp;
  if (l == cur) return true;
  {
    std::lock_guard<std::mutex> lock(g_lwp_mu);
    if (l != nullptr) {
      if (l->bound) return false;
      l->bound = true;
    }
    if (cur != nullptr) cur->bound = false;
  }
  tls_curlwp = l;
  k.BindThread(l != nullptr ? l->process : nullptr);
  return true;
}

// A new lwp of `p`, which the calling thread switches to.
void NewLwp(Kernel& k, std::shared_ptr<Process> p) {
  Lwp* l = new Lwp{std::move(p)};
  {
    std::lock_guard<std::mutex> lock(g_lwp_mu);
    ++(*g_lwp_counts)[l->process->pid()];
  }
  SwitchTo(k, l);
}

}  // namespace
}  // namespace rump::capi

using rump::capi::Lwp;
using rump::capi::TheKernel;
namespace nbabi = rump::abi;

extern "C" {

int rump_pub_lwproc_rfork(int flags) {
  rump::Kernel* k = TheKernel();
  if (k == nullptr) return nbabi::kENXIO;
  if ((flags & ~(RUMP_RFFDG | RUMP_RFCFDG)) != 0 ||
      (flags & (RUMP_RFFDG | RUMP_RFCFDG)) == (RUMP_RFFDG | RUMP_RFCFDG)) {
    return nbabi::kEINVAL;
  }
  rump::Process& parent = k->CurrentProcess();
  const bool share = (flags & (RUMP_RFFDG | RUMP_RFCFDG)) == 0;  // RUMP_RFFD_SHARE
  std::shared_ptr<rump::Process> child = k->NewProcess(
      parent.pid(), parent.comm(), share ? parent.shared_fds() : nullptr);
  child->set_credentials(parent.credentials());
  if (flags & RUMP_RFFDG) {
    // A copy of the caller's descriptors instead of a fresh console.
    child->fds().CloseAll();
    child->fds().CopyFrom(parent.fds());
  }
  rump::capi::NewLwp(*k, std::move(child));
  return 0;
}

int rump_pub_lwproc_newlwp(pid_t pid) {
  rump::Kernel* k = TheKernel();
  if (k == nullptr) return nbabi::kENXIO;
  std::shared_ptr<rump::Process> p = k->FindProcess(pid);
  if (p == nullptr) return nbabi::kESRCH;
  rump::capi::NewLwp(*k, std::move(p));
  return 0;
}

void rump_pub_lwproc_switch(struct lwp* l) {
  rump::Kernel* k = TheKernel();
  if (k == nullptr) return;
  if (!rump::capi::SwitchTo(*k, rump::capi::FromHandle(l))) {
    std::fprintf(stderr,
                 "rump_pub_lwproc_switch: lwp %p is bound to another thread; "
                 "not switching\n",
                 static_cast<void*>(l));
  }
}

void rump_pub_lwproc_releaselwp(void) {
  rump::Kernel* k = TheKernel();
  Lwp* l = rump::capi::tls_curlwp;
  if (k == nullptr || l == nullptr) return;
  rump::capi::SwitchTo(*k, nullptr);
  const pid_t pid = l->process->pid();
  delete l;
  bool last;
  {
    std::lock_guard<std::mutex> lock(rump::capi::g_lwp_mu);
    auto it = rump::capi::g_lwp_counts->find(pid);
    last = --it->second == 0;
    if (last) rump::capi::g_lwp_counts->erase(it);
  }
  if (last) k->ReleaseProcess(pid);  // pid 1 stays
}

struct lwp* rump_pub_lwproc_curlwp(void) {
  return rump::capi::Handle(rump::capi::tls_curlwp);
}

void rump_pub_lwproc_sysent_usenative(void) {}

}  // extern "C"
