// shmif_dumpbus -f against the live bus library: frames sent with shmif::Bus
// before and while the dumper runs must reach its text output and its pcap,
// and the dumper must stop cleanly (exit 0) on SIGTERM, on SIGINT, and when
// the reader of its pcap pipe goes away.
//
// The dumper runs as a child process; every test kills and reaps it if it
// is still running when the test ends. Waits are bounded poll loops.
//
// Usage (from Bazel): follow_test SHMIF_DUMPBUS [gtest flags]
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/eventually.h"
#include "shmif/bus.h"
#include "shmif/bus_format.h"
#include "shmif/demo/protocol_frames.h"

extern char** environ;

namespace shmif {
namespace {

using ::testing::HasSubstr;
using ::rump::testing::Eventually;
using ::testing::Not;

const char* g_dumpbus_path = nullptr;  // argv[1]

constexpr absl::Duration kPatience = rump::testing::kEventuallyLimit;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

size_t CountOf(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// A child process running shmif_dumpbus, killed and reaped on destruction
// if it has not been waited for.
class Dumper {
 public:
  // Starts the dumper with `args`; its stdout goes to `stdout_fd` and its
  // stderr to `stderr_fd` (both stay open in the caller too).
  static std::unique_ptr<Dumper> Start(const std::vector<std::string>& args,
                                       int stdout_fd, int stderr_fd) {
    std::vector<std::string> argv_strings = {g_dumpbus_path};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, stdout_fd, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, stderr_fd, STDERR_FILENO);
    // Start from default signal handling whatever the test runner set.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr,
                             POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    pid_t pid;
    const int err = posix_spawn(&pid, g_dumpbus_path, &actions, &attr,
                                argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (err != 0) {
      ADD_FAILURE() << "posix_spawn " << g_dumpbus_path << ": "
                    << std::strerror(err);
      return nullptr;
    }
    return std::unique_ptr<Dumper>(new Dumper(pid));
  }

  ~Dumper() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  pid_t pid() const { return pid_; }

  void Signal(int signo) { ASSERT_EQ(kill(pid_, signo), 0); }

  // Waits up to `timeout` for the process to end; returns its wait status,
  // or -1 if it is still running.
  int Wait(absl::Duration timeout) {
    int status = -1;
    Eventually(
        [&] {
          const pid_t r = waitpid(pid_, &status, WNOHANG);
          if (r == pid_) pid_ = -1;
          return r != 0;
        },
        timeout);
    return pid_ < 0 ? status : -1;
  }

 private:
  explicit Dumper(pid_t pid) : pid_(pid) {}
  pid_t pid_;
};

class FollowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    ASSERT_NE(tmp, nullptr) << "run under bazel test";
    dir_ = absl::StrCat(
        tmp, "/",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_EQ(mkdir(dir_.c_str(), 0755), 0)
        << dir_ << ": " << std::strerror(errno);
    bus_path_ = dir_ + "/bus";
    auto sender = Bus::Attach(bus_path_);
    ASSERT_TRUE(sender.ok()) << sender.status();
    sender_ = std::move(*sender);
  }

  void TearDown() override {
    for (int fd : fds_) close(fd);
  }

  // A file in the test's directory, opened for writing (closed at TearDown).
  int CreateFile(const std::string& name) {
    const int fd = open(Path(name).c_str(),
                        O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    EXPECT_GE(fd, 0) << name << ": " << std::strerror(errno);
    fds_.push_back(fd);
    return fd;
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  void SendArp() {
    ASSERT_TRUE(sender_
                    ->Send(demo::MakeArpRequest(
                        demo::kMacA, demo::kIpA, demo::kIpB))
                    .ok());
  }

  // UDP datagrams differ only in the IP id (all are 0x35 bytes long).
  void SendUdp(uint16_t ip_id) {
    ASSERT_TRUE(sender_
                    ->Send(demo::MakeUdpFrame(
                        demo::kMacB, demo::kMacA, demo::kIpA,
                        demo::kIpB, 1234, 5678, ip_id, "hello shmif"))
                    .ok());
  }

  // Waits until the text output file `name` has a line "packet N, ...".
  bool WaitForPacketLine(const std::string& name, int n) {
    const std::string needle = absl::StrCat("packet ", n, ", ");
    return Eventually(
        [&] { return absl::StrContains(ReadFile(Path(name)), needle); },
        kPatience);
  }

  std::string dir_;
  std::string bus_path_;
  std::unique_ptr<Bus> sender_;
  std::vector<int> fds_;
};

// Finds tcpdump; empty when it is not installed.
std::string TcpdumpPath() {
  for (const char* candidate : {"/usr/sbin/tcpdump", "/usr/bin/tcpdump"}) {
    if (access(candidate, X_OK) == 0) return candidate;
  }
  return "";
}

// Runs tcpdump -n -tt -vv on `pcap` and returns what it printed on stdout.
absl::StatusOr<std::string> Tcpdump(const std::string& pcap,
                                    const std::string& out_path) {
  const std::string command = absl::StrCat(TcpdumpPath(), " -n -tt -vv -r '",
                                           pcap, "' >'", out_path, "' 2>&1");
  const int status = std::system(command.c_str());
  if (status != 0) {
    return absl::InternalError(
        absl::StrCat(command, " failed: ", ReadFile(out_path)));
  }
  return ReadFile(out_path);
}

// Checks a text line "packet N, offset 0x..., length 0x..., ts S/US".
void ExpectPacketLine(const std::string& line, int n, uint32_t offset,
                      uint32_t length) {
  const std::string prefix = absl::StrFormat(
      "packet %d, offset 0x%04x, length 0x%04x, ts ", n, offset, length);
  ASSERT_TRUE(absl::StartsWith(line, prefix))
      << "line: " << line << "\nexpected prefix: " << prefix;
  const std::vector<std::string> ts =
      absl::StrSplit(line.substr(prefix.size()), '/');
  ASSERT_EQ(ts.size(), 2u) << line;
  uint32_t sec, usec;
  EXPECT_TRUE(absl::SimpleAtoi(ts[0], &sec)) << line;
  EXPECT_TRUE(absl::SimpleAtoi(ts[1], &usec)) << line;
  EXPECT_EQ(ts[1].size(), 6u) << line;
  EXPECT_LT(usec, 1000000u) << line;
}

TEST_F(FollowTest, CapturesOldAndNewFramesUntilSigterm) {
  // Two frames on the bus before the dumper starts: -f reads from the oldest.
  SendArp();
  SendUdp(1);

  const int out = CreateFile("out.txt");
  const int err = CreateFile("err.txt");
  auto dumper =
      Dumper::Start({"-f", "-p", Path("out.pcap"), bus_path_}, out, err);
  ASSERT_NE(dumper, nullptr);
  ASSERT_TRUE(WaitForPacketLine("out.txt", 1))
      << "old frames not shown; stdout: " << ReadFile(Path("out.txt"))
      << "\nstderr: " << ReadFile(Path("err.txt"));

  // Frames sent while it runs.
  SendUdp(2);
  SendUdp(3);
  ASSERT_TRUE(WaitForPacketLine("out.txt", 3))
      << "new frames not shown; stdout: " << ReadFile(Path("out.txt"));

  dumper->Signal(SIGTERM);
  const int status = dumper->Wait(kPatience);
  ASSERT_NE(status, -1) << "still running after SIGTERM";
  ASSERT_TRUE(WIFEXITED(status)) << "wait status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0) << ReadFile(Path("err.txt"));
  EXPECT_EQ(ReadFile(Path("err.txt")), "");

  // The header line (from the file, before attaching), then the frames in
  // the order sent, at the offsets a new bus puts them: the all-zero entry at
  // 0, then 24-byte frame headers each followed by its frame.
  const std::vector<std::string> lines = Lines(ReadFile(Path("out.txt")));
  ASSERT_EQ(lines.size(), 5u) << ReadFile(Path("out.txt"));
  EXPECT_TRUE(absl::StartsWith(lines[0],
                               "bus version 3, lock: 0, generation: 0, "
                               "firstoff: 0xfffe0, lastoff: 0x005a"))
      << lines[0];
  ExpectPacketLine(lines[1], 0, 0x30, 0x2a);
  ExpectPacketLine(lines[2], 1, 0x72, 0x35);
  ExpectPacketLine(lines[3], 2, 0x72 + 0x35 + 24, 0x35);
  ExpectPacketLine(lines[4], 3, 0x72 + 2 * (0x35 + 24), 0x35);

  if (TcpdumpPath().empty()) {
    GTEST_SKIP() << "tcpdump is not installed: the pcap was not decoded";
  }
  absl::StatusOr<std::string> decoded =
      Tcpdump(Path("out.pcap"), Path("tcpdump.txt"));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_THAT(*decoded,
              HasSubstr("link-type EN10MB (Ethernet), snapshot length 1518"));
  EXPECT_EQ(CountOf(*decoded,
                    "ARP, Ethernet (len 6), IPv4 (len 4), Request "
                    "who-has 10.0.0.2 tell 10.0.0.1, length 28"),
            1u)
      << *decoded;
  EXPECT_EQ(CountOf(*decoded,
                    "10.0.0.1.1234 > 10.0.0.2.5678: [udp sum ok] UDP, "
                    "length 11"),
            3u)
      << *decoded;
  for (int id = 1; id <= 3; ++id) {
    EXPECT_THAT(*decoded, HasSubstr(absl::StrCat("ttl 64, id ", id, ",")));
  }
  EXPECT_THAT(*decoded, Not(HasSubstr("truncated")));
  EXPECT_THAT(*decoded, Not(HasSubstr("bad cksum")));
  EXPECT_THAT(*decoded, Not(HasSubstr("bad udp cksum")));
}

TEST_F(FollowTest, SigintStopsAnIdleDumper) {
  const int out = CreateFile("out.txt");
  const int err = CreateFile("err.txt");
  auto dumper = Dumper::Start({"-f", bus_path_}, out, err);
  ASSERT_NE(dumper, nullptr);
  // The header line appears before the dumper waits for frames.
  ASSERT_TRUE(Eventually(
      [&] { return absl::StrContains(ReadFile(Path("out.txt")), "\n"); },
      kPatience));
  SendArp();
  ASSERT_TRUE(WaitForPacketLine("out.txt", 0));

  dumper->Signal(SIGINT);
  const int status = dumper->Wait(kPatience);
  ASSERT_NE(status, -1) << "still running after SIGINT";
  ASSERT_TRUE(WIFEXITED(status)) << "wait status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(ReadFile(Path("err.txt")), "");
  const std::vector<std::string> lines = Lines(ReadFile(Path("out.txt")));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(absl::StartsWith(lines[0], "bus version 0, ")) << lines[0];
  ExpectPacketLine(lines[1], 0, 0x30, 0x2a);
}

// `shmif_dumpbus -f -p - bus | reader`: when the reader exits, the dumper
// stops, quietly and with status 0, even if no frame arrives afterwards.
TEST_F(FollowTest, PcapReaderGoingAwayEndsTheDumperQuietly) {
  SendArp();
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  int read_end = pipe_fds[0];
  fds_.push_back(pipe_fds[1]);
  const int err = CreateFile("err.txt");
  auto dumper = Dumper::Start({"-f", "-p", "-", bus_path_}, pipe_fds[1], err);
  ASSERT_NE(dumper, nullptr);

  // Read the pcap file header (24 bytes) and the ARP record (16 + 42).
  constexpr size_t kExpected = 24 + 16 + 42;
  std::string pcap;
  ASSERT_TRUE(Eventually(
      [&] {
        pollfd p = {read_end, POLLIN, 0};
        if (poll(&p, 1, 0) == 1) {
          char buf[256];
          const ssize_t n = read(read_end, buf, sizeof(buf));
          if (n > 0) pcap.append(buf, static_cast<size_t>(n));
        }
        return pcap.size() >= kExpected;
      },
      kPatience))
      << "got " << pcap.size()
      << " pcap bytes; stderr: " << ReadFile(Path("err.txt"));
  EXPECT_EQ(pcap.size(), kExpected);
  uint32_t magic;
  std::memcpy(&magic, pcap.data(), 4);
  EXPECT_EQ(magic, 0xa1b2c3d4u);  // classic pcap, microseconds, host order

  close(read_end);
  const int status = dumper->Wait(kPatience);
  ASSERT_NE(status, -1) << "still running after its reader went away";
  ASSERT_TRUE(WIFEXITED(status)) << "wait status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  // The text went to stderr; no complaint about the pipe.
  const std::string text = ReadFile(Path("err.txt"));
  EXPECT_THAT(text, Not(HasSubstr("shmif_dumpbus:"))) << text;
  const std::vector<std::string> lines = Lines(text);
  ASSERT_EQ(lines.size(), 2u) << text;
  ExpectPacketLine(lines[1], 0, 0x30, 0x2a);
}

TEST_F(FollowTest, NotABusFailsWithoutWaiting) {
  const std::string path = Path("text.file");
  { std::ofstream(path) << "not a bus\n"; }
  const int out = CreateFile("out.txt");
  const int err = CreateFile("err.txt");
  auto dumper = Dumper::Start({"-f", path}, out, err);
  ASSERT_NE(dumper, nullptr);
  const int status = dumper->Wait(kPatience);
  ASSERT_NE(status, -1);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_THAT(
      ReadFile(Path("err.txt")),
      HasSubstr(absl::StrCat("shmif_dumpbus: ", path, ": not a shmif bus")));
  EXPECT_EQ(ReadFile(Path("out.txt")), "");
}

}  // namespace
}  // namespace shmif

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc != 2) {
    std::fprintf(stderr, "usage: follow_test SHMIF_DUMPBUS [gtest flags]\n");
    return 2;
  }
  shmif::g_dumpbus_path = argv[1];
  return RUN_ALL_TESTS();
}
