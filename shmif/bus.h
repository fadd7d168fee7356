// Bus: one attachment to a shmif bus file, the virtual Ethernet segment that
// NetBSD's shmif(4) interfaces share.
//
// Every Bus attached to the same file sees the frames the others send (never
// its own). The file format and the locking and wakeup protocols are NetBSD's
// (bus version 3), so real NetBSD rump kernels and NetBSD's shmif_dumpbus can
// share a bus with this library.
//
// Promises:
//  * The ring is lossy, as in NetBSD: a sender never waits for receivers, and
//    a receiver that falls more than a ring behind loses the oldest frames
//    (counted in `BusStats::overruns`) but never receives a torn frame.
//  * A process killed while holding the bus lock does not stop the others:
//    the lock is recovered (see bus_lock.h) and, if the dead holder was
//    writing, the ring is reset so that no half-written frame is delivered.
//  * A corrupted ring (garbage lengths, offsets out of range) never crashes or
//    hangs an attached process: the ring is reset, and the call that noticed
//    returns absl::DataLossError once.
//  * Receivers wake on NetBSD's wakeup (a pwrite() of the version word, seen as
//    a file modification), and every send issues that wakeup.
//
// Thread safety: Send, SendBatch, Interrupt and stats may be called from any
// thread. Receive must not be called from two threads at once.
#ifndef RUMP_SHMIF_BUS_H_
#define RUMP_SHMIF_BUS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "shmif/bus_format.h"
#include "shmif/bus_lock.h"
#include "shmif/bus_ring.h"

namespace shmif {

// Where a new attachment starts reading.
enum class ReadFrom {
  kNewFrames,  // only frames sent after Attach returns (a network interface)
  kOldest,     // every frame still on the bus, then new ones (a capture tool)
};

struct AttachOptions {
  ReadFrom read_from = ReadFrom::kNewFrames;
  // Deliver frames sent by this attachment too (only a capture tool wants it).
  bool receive_own = false;
  // While traffic is flowing (a frame arrived in the last few milliseconds),
  // a Receive that finds the ring empty watches it this long before going to
  // sleep: request/response traffic then skips the file-notification
  // wake-up (~14 us) at the cost of some CPU while busy. Zero: never spin.
  absl::Duration receive_spin = absl::ZeroDuration();
  // How recent the last frame must be for an empty ring to be watched
  // (receive_spin) rather than slept on.
  absl::Duration receive_spin_window = absl::Milliseconds(5);
};

// What Receive returns besides the frame bytes.
struct ReceivedFrame {
  uint32_t len = 0;      // bytes of Ethernet frame copied into the buffer
  uint32_t sec = 0;      // sender's timestamp
  uint32_t usec = 0;
  uint64_t sender = 0;   // sender id of the attachment that sent it
  uint32_t offset = 0;   // data offset of the frame's payload in the ring
};

struct BusStats {
  uint64_t frames_sent = 0;
  uint64_t frames_received = 0;
  uint64_t overruns = 0;        // times this receiver was lapped and resynced
  uint64_t corrupt_resets = 0;  // times this attachment reset a corrupt ring
  uint64_t lock_recoveries = 0; // times it took the lock from a dead holder
  // How Receive waited: times it watched an empty ring (receive_spin), and
  // times it went to sleep on the file notification. A thread blocked in
  // Receive has raised one of them; anything sent after that wakes it.
  uint64_t receive_watches = 0;
  uint64_t receive_sleeps = 0;
  // Times a sender or receiver, finding the lock held, checked whether its
  // holder was dead (every few dozen failed attempts).
  uint64_t lock_holder_checks = 0;
};

// The host errno behind an error of Bus::Attach: the open/stat/truncate/map
// errno, ENOEXEC for a file that is not a bus (NetBSD's answer), ENOENT for
// an empty path; EIO if unknown.
int AttachErrno(const absl::Status& status);

class Bus {
 public:
  // Opens (creating if needed, mode 0644) and maps the bus file at `path`.
  // Fails with a message naming the path and the problem when the file is not
  // a bus (bad magic, larger than a bus, a directory or other non-regular
  // file), cannot be extended to the bus size, or cannot be opened.
  static absl::StatusOr<std::unique_ptr<Bus>> Attach(const std::string& path,
                                                     AttachOptions options = {});
  ~Bus();
  Bus(const Bus&) = delete;
  Bus& operator=(const Bus&) = delete;

  // Sends one Ethernet frame (kEtherHeaderLen..kMaxFrameLen bytes) and wakes
  // the receivers. InvalidArgument for a bad length; DataLoss when the ring
  // was found corrupt and reset first (the frame is sent all the same).
  absl::Status Send(absl::Span<const uint8_t> frame);

  // Sends several frames under one lock hold and with one wakeup, as NetBSD's
  // driver does for a queue of packets. All lengths are checked first: on
  // InvalidArgument nothing was sent.
  absl::Status SendBatch(absl::Span<const absl::Span<const uint8_t>> frames);

  // SendBatch without the wakeup: the frames are in the ring (a spinning
  // receiver sees them at once) but blocked receivers sleep on until
  // WakeReceivers. For a sender that wakes once after a burst of frames.
  absl::Status SendWithoutWake(absl::Span<const absl::Span<const uint8_t>> frames);
  // NetBSD's wakeup of every receiver blocked on the bus.
  void WakeReceivers();
  // Frames already read from the ring that Receive will return without
  // looking at the ring again (the receiving thread only).
  size_t staged_frames() const { return staged_.size() - staged_next_; }

  // Copies the next frame from another sender into `buf` (at least
  // kMaxFrameLen bytes). Waits up to `timeout` for one to arrive:
  // absl::ZeroDuration() never waits, absl::InfiniteDuration() waits until a
  // frame arrives or Interrupt is called. Errors: DeadlineExceeded when no
  // frame arrived in time; Cancelled when interrupted; DataLoss once after a
  // corrupt ring was reset; InvalidArgument for a short buffer.
  absl::StatusOr<ReceivedFrame> Receive(absl::Span<uint8_t> buf,
                                        absl::Duration timeout);

  // Makes the Receive in progress, or else the next one, return Cancelled.
  void Interrupt();

  // Random 64-bit id that marks this attachment's frames.
  uint64_t sender_id() const { return sender_id_; }
  const std::string& path() const { return path_; }
  BusStats stats() const;
  // stats().overruns alone: one relaxed load, cheap enough to read after
  // every frame (the shmif driver counts laps as input errors).
  uint64_t overruns() const { return overruns_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kStagingBytes = 64 * 1024;
  static constexpr size_t kMaxStaged = 64;

  Bus(std::string path, int fd, int notify_fd, int wake_fd, uint8_t* mem,
      AttachOptions options);

  // Refills the staging area from the ring under one lock hold; false when
  // there was nothing new.
  absl::StatusOr<bool> FillStaging();
  absl::Status SendLocked(absl::Span<const absl::Span<const uint8_t>> frames);
  void DrainNotifications();
  // The ring's generation and end, read without the lock: a hint that
  // something was appended since the last FillStaging.
  uint64_t RingStamp() const;
  // Watches the ring until it changes, `until`, or Interrupt; true when it
  // changed.
  bool SpinForFrames(absl::Time until);

  const std::string path_;
  const int fd_;         // the bus file, read/write
  const int notify_fd_;  // inotify watch for IN_MODIFY on the bus file
  const int wake_fd_;    // eventfd written by Interrupt
  uint8_t* const mem_;   // the kBusSize mapping
  const AttachOptions options_;
  const uint64_t sender_id_;
  BusLock lock_;
  BusRing ring_;
  // Receive side, used only by Receive: the ring position, and frames taken
  // off the ring in one lock hold but not yet handed out (taking several at a
  // time keeps the lock, shared with every sender, far less busy).
  ReadCursor cursor_;
  std::vector<uint8_t> staging_;
  std::vector<ReceivedFrame> staged_;  // `offset` is the ring offset
  std::vector<uint32_t> staged_at_;    // where each staged frame starts
  size_t staged_next_ = 0;
  uint64_t seen_stamp_ = 0;       // RingStamp() at the last FillStaging
  absl::Time last_frame_time_;    // when Receive last found a frame
  std::atomic<bool> interrupted_{false};
  std::atomic<uint64_t> frames_sent_{0}, frames_received_{0}, overruns_{0},
      corrupt_resets_{0}, lock_recoveries_{0}, receive_watches_{0}, receive_sleeps_{0};
};

}  // namespace shmif

#endif  // RUMP_SHMIF_BUS_H_
