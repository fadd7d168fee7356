// What the listeners (stream_listener.cc, zmq_listener.cc) share:
//   ListenerLoop   the thread a listener does all its socket work on, and
//                  the way other threads run something on it and wait
//                  (RunInLoop). The listener keeps its own work queue and
//                  loop; this class owns the thread, its start and end, and
//                  the mutex that guards the listener's queue, so that a
//                  command keeps its place among the listener's other work.
//   LoopListener   a Listener built on one: the bound address, options, log,
//                  the eventfd that wakes the loop, Start / StopAccepting.
#ifndef RUMP_SP_TRANSPORT_LISTENER_LOOP_H_
#define RUMP_SP_TRANSPORT_LISTENER_LOOP_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "sp/transport/listener.h"
#include "sp/transport/socket_file.h"
#include "sp/transport/url.h"

namespace sp::transport::internal {

class ListenerLoop {
 public:
  // Puts `command` in the listener's queue and wakes the loop. Called with
  // mu() held.
  using PostFn = std::function<void(std::function<void()> command)>;

  ListenerLoop() = default;
  ListenerLoop(const ListenerLoop&) = delete;
  ListenerLoop& operator=(const ListenerLoop&) = delete;

  // Runs `loop` on a new thread, once; not after Join. `loop` must call
  // Ended() as its last step.
  void Start(std::function<void()> loop);

  // Runs `fn` on the loop thread and waits for it. Runs it right here when
  // there is no loop thread (never started, or ended: it touches nothing any
  // more) or when called from the loop thread itself. If the loop ends before
  // it got to the command, the caller runs `fn` itself.
  void RunInLoop(std::function<void()> fn, const PostFn& post);

  // The loop's last step: from now on RunInLoop runs commands in its caller.
  // `drop_queue` runs under mu() and discards the listener's queue (its
  // commands are run by their waiters).
  void Ended(const std::function<void()>& drop_queue);

  // Waits for the loop thread to end (the listener asked it to stop); a
  // loop never started never will be. Idempotent.
  void Join();

  // Guards the listener's queue (and ended()).
  std::mutex& mu() { return mu_; }
  // The loop has ended, or will never start. Requires mu().
  bool ended() const { return ended_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
  std::thread::id loop_id_;
  bool started_ = false;
  bool ended_ = false;
};

// A Listener whose work runs on one ListenerLoop thread, woken through an
// eventfd. The subclass provides the loop, the queue commands go to, and
// what stopping to accept means; its destructor must stop the thread
// (Shutdown) before this one runs. Owns (closes) `wake_fd`.
class LoopListener : public Listener {
 public:
  ~LoopListener() override;

  // Listener: runs Loop() on the thread; StopAcceptingInLoop() there.
  void Start(Acceptor* acceptor) final;
  void StopAccepting() final;
  std::string BoundUrl() const final { return bound_url_; }

 protected:
  LoopListener(Url url, ListenerOptions options, int wake_fd, std::string bound_url,
               FileId file_id);

  // The loop thread's body (acceptor_ is set); ends with loop_.Ended().
  virtual void Loop() = 0;
  // Puts `command` in the loop's queue and wakes it. Requires loop_.mu().
  virtual void PostCommandLocked(std::function<void()> command) = 0;
  // Closes the listening side; on the loop thread. Idempotent.
  virtual void StopAcceptingInLoop() = 0;

  // Runs `fn` on the loop thread and waits for it (ListenerLoop::RunInLoop).
  void RunInLoop(std::function<void()> fn);
  // Wakes the loop (any thread).
  void Wake();
  void Log(const std::string& line) const;

  const Url url_;
  const ListenerOptions options_;
  const int wake_fd_;
  const std::string bound_url_;
  const FileId file_id_;
  ListenerLoop loop_;
  Acceptor* acceptor_ = nullptr;  // loop thread only
};

}  // namespace sp::transport::internal

#endif  // RUMP_SP_TRANSPORT_LISTENER_LOOP_H_
