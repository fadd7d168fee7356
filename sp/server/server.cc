#include "sp/server/server.h"

#include <unistd.h>

#include <cstdio>
#include <thread>

#include "absl/strings/str_cat.h"
#include "rump/abi/errno.h"
#include "rump/kern/kern_sysctl.h"
#include "rump/kern/sleep.h"
#include "sp/transport/url.h"
#include "sp/wire/banner.h"

namespace sp::server {
namespace {

// A transport or URL error as a status carrying the NetBSD errno.
absl::Status WithNetbsdErrno(const absl::Status& s) {
  return rump::abi::Errno(rump::abi::FromHostErrno(transport::HostErrno(s)), s.message());
}

}  // namespace

Server::Server(ServerOptions options)
    : options_(std::move(options)), policy_(options_.policy), curve_allow_(options_.curve_allow) {}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(rump::Kernel& kernel,
                                                      absl::string_view url,
                                                      ServerOptions options) {
  absl::StatusOr<transport::Url> parsed = transport::ParseUrl(url, transport::Role::kServer);
  if (!parsed.ok()) {
    return rump::abi::Errno(rump::abi::FromHostErrno(transport::UrlErrno(parsed.status())),
                            absl::StrCat("rump_sp: failed to bind to URL ", url, ": ",
                                         parsed.status().message()));
  }
  std::unique_ptr<Server> server(new Server(std::move(options)));
  const ServerOptions& o = server->options_;

  wire::BannerInfo info;
  info.ostype = rump::kSysctlOsType;
  info.osrelease = rump::kSysctlOsRelease;
  info.machine = rump::kSysctlHwMachine;
  if (o.announce_extensions) {
    info.batch_version = wire::kBatchVersion;
    info.interrupt_version = wire::kInterruptVersion;
  }
  absl::StatusOr<std::string> banner = info.Format();
  if (!banner.ok()) return banner.status();
  server->banner_ = *std::move(banner);

  WorkerPoolOptions workers = o.workers;
  if (!workers.on_thread_start) {
    // Calls asleep in the kernel leave their client's share of the CPUs
    // to its next calls (WorkerPoolOptions::runnable_per_owner).
    workers.on_thread_start = [] { rump::SetThreadSleepNotifier(&WorkerPool::NoteBlocked); };
  }
  server->pool_ = std::make_unique<WorkerPool>(std::move(workers));
  server->host_ = std::make_shared<SessionHost>(kernel, *server->pool_, o.session);

  transport::ListenerOptions lo;
  lo.max_frame_len = o.max_frame_len;
  lo.max_output_backlog = o.max_output_backlog;
  lo.log = o.session.log;
  lo.socket_mode = o.socket_mode;
  lo.socket_uid = o.socket_uid;
  lo.socket_gid = o.socket_gid;
  lo.curve_secret_key = o.curve_secret_key;
  if (!o.curve_secret_key.empty()) {
    Server* self = server.get();  // the listener's thread ends before the server
    lo.curve_authorize = [self](const std::string& key, const std::string& address) {
      return self->AuthorizeCurveKey(key, address);
    };
  }
  absl::StatusOr<std::unique_ptr<transport::Listener>> listener =
      transport::Listener::Open(*parsed, std::move(lo));
  if (!listener.ok()) return WithNetbsdErrno(listener.status());
  server->listener_ = *std::move(listener);
  server->url_ = server->listener_->BoundUrl();
  if (o.handshake_timeout > absl::ZeroDuration()) {
    server->watch_handshakes_ = true;
    server->watcher_ = std::thread([s = server.get()] { s->WatchHandshakes(); });
  }
  server->listener_->Start(server.get());
  return server;
}

Server::~Server() { Stop(); }

void Server::SetPolicy(std::shared_ptr<const CredentialPolicy> policy) {
  std::lock_guard<std::mutex> lock(policy_mu_);
  policy_ = std::move(policy);
  refused_.clear();  // a refusal under the new policy is news
}

void Server::SetCurveAllowList(std::shared_ptr<const transport::CurveAllowList> allow) {
  std::lock_guard<std::mutex> lock(policy_mu_);
  curve_allow_ = std::move(allow);
  refused_keys_.clear();  // a refusal under the new list is news
}

bool Server::AuthorizeCurveKey(const std::string& key, const std::string& address) {
  std::lock_guard<std::mutex> lock(policy_mu_);
  if (curve_allow_ == nullptr || curve_allow_->count(key) != 0) return true;
  constexpr size_t kMaxRemembered = 4096;
  if (refused_keys_.size() < kMaxRemembered && refused_keys_.insert(key).second) {
    host_->Log(absl::StrCat(url_.substr(0, url_.find(':')), address.empty() ? "" : " ", address,
                            " (curve ", key,
                            "): refused: the key is not on the CURVE allow-list; further "
                            "refusals of this key are not logged"));
  }
  return false;
}

std::optional<rump::Credentials> Server::Admit(const transport::Connection& conn) {
  std::lock_guard<std::mutex> lock(policy_mu_);
  if (policy_ == nullptr) return rump::Credentials{};
  std::optional<rump::Credentials> c = policy_->CredentialsFor(conn.identity());
  if (c.has_value()) return c;
  // One log line per identity: a unix client by its ids, others by their
  // address without the port.
  const transport::PeerIdentity& id = conn.identity();
  std::string key;
  if (id.kind == transport::PeerIdentity::Kind::kUnix) {
    key = absl::StrCat("uid ", id.uid, " gid ", id.gid);
  } else if (id.kind == transport::PeerIdentity::Kind::kCurve) {
    key = id.ToString();
  } else {
    key = conn.peer();
    if (size_t colon = key.rfind(':'); colon != std::string::npos && key.rfind(' ') < colon) {
      key.resize(colon);
    }
  }
  constexpr size_t kMaxRemembered = 4096;
  if (refused_.size() < kMaxRemembered && refused_.insert(key).second) {
    host_->Log(absl::StrCat(conn.peer(), " (", id.ToString(),
                            "): refused by the credential policy (no rule admits it); "
                            "further refusals of ", key, " are not logged"));
  }
  return std::nullopt;
}

std::shared_ptr<transport::Receiver> Server::OnAccept(
    std::shared_ptr<transport::Connection> conn) {
  const std::optional<rump::Credentials> credentials = Admit(*conn);
  if (!credentials.has_value()) return nullptr;
  if (!host_->TryAcquireSlot()) {
    if (!host_->stopping()) {
      host_->Log(absl::StrCat(conn->peer(), ": all ", options_.session.max_clients,
                              " client slots are taken; closing the connection"));
    }
    return nullptr;
  }
  auto session = std::make_shared<Session>(host_, conn, *credentials);
  if (watch_handshakes_) {
    std::lock_guard<std::mutex> lock(watch_mu_);
    const bool wake = watched_.empty();
    watched_.emplace_back(absl::Now() + options_.handshake_timeout, session);
    if (wake) watch_cv_.notify_one();
  }
  conn->Send(banner_);
  return session;
}

void Server::WatchHandshakes() {
  std::unique_lock<std::mutex> lock(watch_mu_);
  while (!watch_stop_) {
    if (watched_.empty()) {
      watch_cv_.wait(lock);
      continue;
    }
    const absl::Time deadline = watched_.front().first;
    if (absl::Now() < deadline) {
      watch_cv_.wait_for(lock, absl::ToChronoNanoseconds(deadline - absl::Now()));
      continue;
    }
    std::shared_ptr<Session> session = watched_.front().second.lock();
    watched_.pop_front();
    lock.unlock();
    if (session != nullptr) (void)session->ExpireHandshake(options_.handshake_timeout);
    session.reset();  // a closed session may end here; not under watch_mu_
    lock.lock();
  }
}

bool Server::Stop(absl::Duration grace) {
  std::lock_guard<std::mutex> lock(stop_mu_);
  if (stopped_) return stop_result_;
  stopped_ = true;
  if (watcher_.joinable()) {
    {
      std::lock_guard<std::mutex> watch_lock(watch_mu_);
      watch_stop_ = true;
    }
    watch_cv_.notify_all();
    watcher_.join();
    std::lock_guard<std::mutex> watch_lock(watch_mu_);
    watched_.clear();
  }
  if (listener_ == nullptr) return true;  // Start failed half-way
  const absl::Time deadline = absl::Now() + grace;
  host_->BeginStop();
  listener_->StopAccepting();
  // Calls in flight finish first, with their connections still open, so
  // that they get their copyin answers and send their results (the reboot
  // that halted the kernel is answered now).
  (void)host_->WaitIdle(deadline);
  // Then every connection goes (output flushed), which wakes what still
  // waits for a client with EFAULT, and the processes are released. Calls
  // blocked in the kernel get a little more time.
  listener_->Shutdown(std::max(absl::Seconds(1), deadline - absl::Now()));
  const absl::Time last = std::max(deadline, absl::Now() + absl::Seconds(2));
  bool ok = host_->WaitAllReleased(last);
  host_->ReleasePendingForks();
  ok = pool_->Shutdown(std::max(absl::ZeroDuration(), last - absl::Now())) && ok;
  if (!ok) {
    host_->Log(absl::StrCat("server at ", url_,
                            " stopped with system calls still running in the kernel"));
    // They keep what they use alive (the session and host by shared_ptr,
    // the pool's threads their state); the pool's destructor would wait
    // for them forever, so it is left behind on purpose.
    (void)pool_.release();
  }
  stop_result_ = ok;
  return ok;
}

absl::Status ServeKernel(rump::Kernel& kernel, absl::string_view url, ServeOptions options) {
  absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(kernel, url, options.server);
  if (!server.ok()) return server.status();
  std::thread([&kernel, s = std::move(*server), exit_on_halt = options.exit_on_halt]() mutable {
    const int howto = kernel.WaitHalted();
    s->Stop();
    s.reset();
    if (exit_on_halt && (howto & kRbHalt) == 0) {
      std::fflush(nullptr);
      _exit(0);
    }
  }).detach();
  return absl::OkStatus();
}

}  // namespace sp::server
