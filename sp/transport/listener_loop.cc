#include "sp/transport/listener_loop.h"

#include <unistd.h>

#include <cstdint>
#include <memory>
#include <utility>

namespace sp::transport::internal {

void ListenerLoop::Start(std::function<void()> loop) {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_ || ended_) return;
  started_ = true;
  thread_ = std::thread(std::move(loop));
  loop_id_ = thread_.get_id();
}

void ListenerLoop::RunInLoop(std::function<void()> fn, const PostFn& post) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!started_ || ended_ || std::this_thread::get_id() == loop_id_) {
    lock.unlock();
    fn();
    return;
  }
  auto done = std::make_shared<bool>(false);
  auto shared_fn = std::make_shared<std::function<void()>>(std::move(fn));
  post([this, shared_fn, done] {
    (*shared_fn)();
    std::lock_guard<std::mutex> l(mu_);
    *done = true;
    cv_.notify_all();
  });
  cv_.wait(lock, [&] { return *done || ended_; });
  if (!*done) {
    // The loop ended before running it; it touches nothing any more.
    lock.unlock();
    (*shared_fn)();
  }
}

void ListenerLoop::Ended(const std::function<void()>& drop_queue) {
  std::lock_guard<std::mutex> lock(mu_);
  ended_ = true;
  drop_queue();
  cv_.notify_all();
}

void ListenerLoop::Join() {
  std::thread t;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!started_) ended_ = true;  // never start later
    t = std::move(thread_);
  }
  if (t.joinable()) t.join();
}

LoopListener::LoopListener(Url url, ListenerOptions options, int wake_fd,
                           std::string bound_url, FileId file_id)
    : url_(std::move(url)),
      options_(std::move(options)),
      wake_fd_(wake_fd),
      bound_url_(std::move(bound_url)),
      file_id_(file_id) {}

LoopListener::~LoopListener() { close(wake_fd_); }

void LoopListener::Start(Acceptor* acceptor) {
  loop_.Start([this, acceptor] {
    acceptor_ = acceptor;
    Loop();
  });
}

void LoopListener::StopAccepting() {
  RunInLoop([this] { StopAcceptingInLoop(); });
}

void LoopListener::RunInLoop(std::function<void()> fn) {
  loop_.RunInLoop(std::move(fn),
                  [this](std::function<void()> command) { PostCommandLocked(std::move(command)); });
}

void LoopListener::Wake() {
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
}

void LoopListener::Log(const std::string& line) const { internal::Log(options_.log, line); }

}  // namespace sp::transport::internal
