// shmif_dumpbus: prints the frames on a shmif bus and converts them to pcap.
//
//   shmif_dumpbus [-h] [-f] [-p pcapfile] busfile
//
// Output matches NetBSD's tool: a header line, then one line per frame. With
// -p the frames are also written as a classic pcap file (Ethernet, snaplen
// 1518, timestamps from the frame headers); with `-p -` the pcap goes to
// standard output and the text to standard error. -h prints only the header
// line.
//
// Without -f this is a post-mortem tool: it reads the file (read-only, no
// lock) and walks the frames from `first` to `last` (see BusImage).
//
// -f (an addition to NetBSD's tool) follows a live bus: after the header line
// it attaches with shmif::Bus, reading from the oldest frame still on the bus
// and including frames sent by anyone, and prints/writes every frame as it
// arrives, flushing both outputs after each. It stops, exiting 0, on SIGINT or
// SIGTERM, or when a reader of its output (a pipe) goes away; so
// `shmif_dumpbus -f -p - bus | tcpdump -r -` is a live capture. Attaching
// opens the bus read/write, as every attachment does.
//
// A reader closing an output pipe is never an error (exit 0, no message);
// other problems are reported as "shmif_dumpbus: <what>: <why>", exit 1.

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "shmif/bus.h"
#include "shmif/bus_format.h"
#include "shmif/dumpbus/bus_image.h"

namespace shmif {
namespace {

constexpr char kProgram[] = "shmif_dumpbus";
constexpr int kPcapSnaplen = 1518;  // NetBSD's: a maximal frame plus an FCS

[[noreturn]] void Usage() {
  std::fputs("usage: shmif_dumpbus [-h] [-f] [-p pcapfile] busfile\n", stderr);
  std::exit(EXIT_FAILURE);
}

// Reports "shmif_dumpbus: <what>: <why>" and exits 1.
[[noreturn]] void Fail(const std::string& what, const std::string& why) {
  absl::FPrintF(stderr, "%s: %s: %s\n", kProgram, what, why);
  std::exit(EXIT_FAILURE);
}

struct Options {
  bool header_only = false;
  bool follow = false;
  const char* pcap_path = nullptr;  // "-" is standard output
  std::string bus_path;
};

Options ParseOptions(int argc, char** argv) {
  Options options;
  int ch;
  while ((ch = getopt(argc, argv, "+hfp:")) != -1) {
    switch (ch) {
      case 'h':
        options.header_only = true;
        break;
      case 'f':
        options.follow = true;
        break;
      case 'p':
        options.pcap_path = optarg;
        break;
      default:
        Usage();
    }
  }
  if (argc - optind != 1) Usage();
  options.bus_path = argv[optind];
  return options;
}

// Reads the first kBusSize bytes of the file at `path` (the whole file when
// shorter), without locking or mapping it: a concurrent truncation cannot
// fault this process, and the snapshot cannot change while it is walked.
absl::StatusOr<std::vector<uint8_t>> ReadBusFile(const std::string& path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is then
  // rejected as not a regular file); reads of regular files do not block.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return errno == ENOENT ? absl::NotFoundError(std::strerror(errno))
                           : absl::UnavailableError(std::strerror(errno));
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    close(fd);
    return absl::InternalError(absl::StrCat("fstat: ", std::strerror(err)));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return absl::InvalidArgumentError(
        S_ISDIR(st.st_mode) ? "is a directory, not a shmif bus"
                            : "not a regular file, not a shmif bus");
  }
  std::vector<uint8_t> bytes(kBusSize);
  size_t filled = 0;
  while (filled < bytes.size()) {
    const ssize_t n = read(fd, bytes.data() + filled, bytes.size() - filled);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      close(fd);
      return absl::InternalError(absl::StrCat("read: ", std::strerror(err)));
    }
    if (n == 0) break;
    filled += static_cast<size_t>(n);
  }
  close(fd);
  bytes.resize(filled);
  return bytes;
}

// The two outputs: text lines (stdout, or stderr when the pcap goes to
// stdout) and the optional pcap dump.
class Output {
 public:
  enum class State {
    kOk,
    kReaderGone,  // a pipe reader went away: stop quietly
    kFailed,      // error() says why
  };

  explicit Output(const char* pcap_path)
      : text_(pcap_path != nullptr && std::strcmp(pcap_path, "-") == 0
                  ? stderr
                  : stdout),
        pcap_path_(pcap_path != nullptr ? pcap_path : "") {}

  ~Output() { Close(); }

  // Opens the pcap dump (a no-op without -p). Fails with libpcap's message,
  // which names the file.
  absl::Status OpenPcap() {
    if (pcap_path_.empty()) return absl::OkStatus();
    pcap_ = pcap_open_dead(DLT_EN10MB, kPcapSnaplen);
    if (pcap_ == nullptr) return absl::InternalError("pcap_open_dead failed");
    dumper_ = pcap_dump_open(pcap_, pcap_path_.c_str());
    if (dumper_ == nullptr) return absl::UnavailableError(pcap_geterr(pcap_));
    return absl::OkStatus();
  }

  void PrintHeader(const BusImageHeader& h) {
    absl::FPrintF(text_,
                  "bus version %u, lock: %u, generation: %u, firstoff: "
                  "0x%04x, lastoff: 0x%04x\n",
                  h.version, h.lock, h.generation, h.first, h.last);
  }

  // Prints the frame's line and appends it to the pcap dump.
  void WriteFrame(uint32_t sec, uint32_t usec, uint32_t payload_offset,
                  absl::Span<const uint8_t> payload) {
    absl::FPrintF(text_,
                  "packet %d, offset 0x%04x, length 0x%04x, ts %u/%06u\n",
                  packets_++, payload_offset, payload.size(), sec, usec);
    if (dumper_ == nullptr) return;
    struct pcap_pkthdr record = {};
    record.ts.tv_sec = sec;
    record.ts.tv_usec = usec;
    record.caplen = record.len = static_cast<bpf_u_int32>(payload.size());
    pcap_dump(reinterpret_cast<u_char*>(dumper_), &record, payload.data());
  }

  // Pushes buffered output to the files/pipes (follow mode does this after
  // every frame so that readers see frames as they arrive).
  State Flush() {
    if (std::fflush(text_) != 0) return Failed("text output", errno);
    if (dumper_ != nullptr && pcap_dump_flush(dumper_) != 0) {
      return Failed(pcap_path_, errno);
    }
    return Check();
  }

  // Reports a write error seen so far (stdio remembers them).
  State Check() {
    if (state_ != State::kOk) return state_;
    if (std::ferror(text_)) return Failed("text output", errno);
    if (dumper_ != nullptr && std::ferror(pcap_dump_file(dumper_))) {
      return Failed(pcap_path_, errno);
    }
    return State::kOk;
  }

  // Flushes and closes the pcap dump; returns the final state.
  State Close() {
    State state = Flush();
    if (dumper_ != nullptr) {
      pcap_dump_close(dumper_);
      dumper_ = nullptr;
    }
    if (pcap_ != nullptr) {
      pcap_close(pcap_);
      pcap_ = nullptr;
    }
    return state;
  }

  const std::string& error() const { return error_; }

  // File descriptors of the outputs, for noticing a pipe reader going away.
  std::vector<int> Descriptors() const {
    std::vector<int> fds = {fileno(text_)};
    if (dumper_ != nullptr) fds.push_back(fileno(pcap_dump_file(dumper_)));
    return fds;
  }

 private:
  State Failed(const std::string& what, int err) {
    if (state_ != State::kOk) return state_;
    if (err == EPIPE) {
      state_ = State::kReaderGone;
    } else {
      state_ = State::kFailed;
      error_ = absl::StrCat(what, ": ",
                            err != 0 ? std::strerror(err) : "write error");
    }
    return state_;
  }

  FILE* const text_;
  const std::string pcap_path_;
  pcap_t* pcap_ = nullptr;
  pcap_dumper_t* dumper_ = nullptr;
  int packets_ = 0;
  State state_ = State::kOk;
  std::string error_;
};

// Ends the process according to the output state: quietly with 0 when a
// reader went away or all is well, with a message and 1 on a write error.
[[noreturn]] void ExitWith(Output& output) {
  const Output::State state = output.Close();
  if (state == Output::State::kFailed) Fail("write", output.error());
  std::exit(EXIT_SUCCESS);
}

// Follow mode's stop conditions, watched from a thread of its own: SIGINT or
// SIGTERM (blocked in every thread and read from a signalfd, so no code runs
// in signal context), or a pipe among the outputs losing its reader (poll
// reports POLLERR on the write end). Either interrupts the Bus so that the
// main thread's blocking Receive returns Cancelled.
class StopWatcher {
 public:
  // Call before any other thread exists: blocks the signals for the caller,
  // and every thread created later inherits that.
  static absl::Status BlockStopSignals(sigset_t* set) {
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    const int err = pthread_sigmask(SIG_BLOCK, set, nullptr);
    if (err != 0) return absl::InternalError(std::strerror(err));
    return absl::OkStatus();
  }

  static absl::StatusOr<std::unique_ptr<StopWatcher>> Start(
      const sigset_t& signals, const std::vector<int>& outputs, Bus* bus) {
    const int signal_fd = signalfd(-1, &signals, SFD_CLOEXEC);
    if (signal_fd < 0) {
      return absl::InternalError(
          absl::StrCat("signalfd: ", std::strerror(errno)));
    }
    const int quit_fd = eventfd(0, EFD_CLOEXEC);
    if (quit_fd < 0) {
      const int err = errno;
      close(signal_fd);
      return absl::InternalError(absl::StrCat("eventfd: ", std::strerror(err)));
    }
    // Only pipes and sockets lose readers; poll on a regular file or a
    // terminal would report nothing useful.
    std::vector<int> pipes;
    for (int fd : outputs) {
      struct stat st;
      if (fstat(fd, &st) != 0) continue;
      if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) pipes.push_back(fd);
    }
    return std::unique_ptr<StopWatcher>(
        new StopWatcher(signal_fd, quit_fd, std::move(pipes), bus));
  }

  ~StopWatcher() {
    const uint64_t one = 1;
    while (write(quit_fd_, &one, sizeof(one)) < 0 && errno == EINTR) {
    }
    thread_.join();
    close(signal_fd_);
    close(quit_fd_);
  }

 private:
  StopWatcher(int signal_fd, int quit_fd, std::vector<int> pipes, Bus* bus)
      : signal_fd_(signal_fd),
        quit_fd_(quit_fd),
        pipes_(std::move(pipes)),
        bus_(bus),
        thread_([this] { Watch(); }) {}

  void Watch() {
    std::vector<pollfd> fds = {{signal_fd_, POLLIN, 0}, {quit_fd_, POLLIN, 0}};
    for (int fd : pipes_) fds.push_back({fd, 0, 0});  // POLLERR/POLLHUP only
    for (;;) {
      if (poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) continue;
        break;  // cannot watch any more: stop rather than run unstoppable
      }
      if (fds[1].revents != 0) return;  // the main thread is done
      if (fds[0].revents != 0) break;   // SIGINT or SIGTERM
      bool reader_gone = false;
      for (size_t i = 2; i < fds.size(); ++i) {
        reader_gone |= fds[i].revents != 0;
      }
      if (reader_gone) break;
    }
    bus_->Interrupt();
    // Wait for the main thread to finish; Interrupt is sticky, so nothing
    // more is needed here.
    pollfd quit = {quit_fd_, POLLIN, 0};
    while (poll(&quit, 1, -1) < 0 && errno == EINTR) {
    }
  }

  const int signal_fd_;
  const int quit_fd_;
  const std::vector<int> pipes_;
  Bus* const bus_;
  std::thread thread_;  // last: starts once the members above are set
};

[[noreturn]] void Follow(const Options& options, Output& output) {
  sigset_t stop_signals;
  if (absl::Status s = StopWatcher::BlockStopSignals(&stop_signals); !s.ok()) {
    Fail("pthread_sigmask", std::string(s.message()));
  }
  absl::StatusOr<std::unique_ptr<Bus>> bus = Bus::Attach(
      options.bus_path,
      AttachOptions{.read_from = ReadFrom::kOldest, .receive_own = true});
  if (!bus.ok()) Fail(options.bus_path, std::string(bus.status().message()));

  auto watcher =
      StopWatcher::Start(stop_signals, output.Descriptors(), bus->get());
  if (!watcher.ok()) Fail("follow", std::string(watcher.status().message()));

  std::array<uint8_t, kMaxFrameLen> buffer;
  for (;;) {
    absl::StatusOr<ReceivedFrame> frame =
        (*bus)->Receive(absl::MakeSpan(buffer), absl::InfiniteDuration());
    if (absl::IsCancelled(frame.status())) break;  // stop signal or reader gone
    if (absl::IsDataLoss(frame.status())) {
      // The Bus found the ring corrupt and reset it: frames were lost, but
      // the capture can go on.
      absl::FPrintF(stderr, "%s: %s: warning: %s\n", kProgram, options.bus_path,
                    frame.status().message());
      continue;
    }
    if (!frame.ok()) {
      output.Close();
      Fail(options.bus_path, std::string(frame.status().message()));
    }
    output.WriteFrame(frame->sec, frame->usec, frame->offset,
                      absl::MakeConstSpan(buffer.data(), frame->len));
    if (output.Flush() != Output::State::kOk) break;
  }
  watcher->reset();  // joins the watcher thread before the Bus goes away
  bus->reset();
  ExitWith(output);
}

int Main(int argc, char** argv) {
  const Options options = ParseOptions(argc, argv);

  // A reader closing a pipe must surface as EPIPE, handled as a quiet stop,
  // rather than kill the process with a half-written pcap record.
  signal(SIGPIPE, SIG_IGN);

  absl::StatusOr<std::vector<uint8_t>> bytes = ReadBusFile(options.bus_path);
  if (!bytes.ok()) {
    Fail(options.bus_path, std::string(bytes.status().message()));
  }
  absl::StatusOr<BusImage> image = BusImage::Parse(*bytes);
  if (!image.ok()) {
    Fail(options.bus_path, std::string(image.status().message()));
  }

  Output output(options.pcap_path);
  output.PrintHeader(image->header());
  if (options.header_only) ExitWith(output);

  if (absl::Status s = output.OpenPcap(); !s.ok()) {
    output.Close();
    Fail("cannot open pcap file", std::string(s.message()));
  }
  if (options.follow) {
    // Show the header before waiting for frames.
    if (output.Flush() != Output::State::kOk) ExitWith(output);
    Follow(options, output);
  }

  const absl::Status walked = image->ForEachFrame(
      [&](const FrameHeader& header, uint32_t payload_offset,
          absl::Span<const uint8_t> payload) {
        if (output.Check() != Output::State::kOk) return;  // keep quiet
        output.WriteFrame(header.sec, header.usec, payload_offset, payload);
      });
  // The frames before any damage are in the outputs; then say where it is.
  if (!walked.ok() && output.Close() == Output::State::kOk) {
    Fail(options.bus_path, std::string(walked.message()));
  }
  ExitWith(output);
}

}  // namespace
}  // namespace shmif

int main(int argc, char** argv) { return shmif::Main(argc, argv); }
