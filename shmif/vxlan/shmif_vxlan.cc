// shmif_vxlan: joins a shmif bus to a VXLAN segment (RFC 7348) as one more
// station on the bus and one VTEP on the segment, so that a bus spans hosts
// and any VXLAN speaker (Linux's vxlan interfaces, Open vSwitch) can join it.
//
//   shmif_vxlan [-fv] -n VNI [-l LOCAL] [-p PORT] [-m PATH_MTU] [-a AGEING]
//               (-r REMOTE[:PORT]... | -g GROUP [-I IFNAME]) BUS
//
// Frames other stations send on BUS go out encapsulated: to the one remote
// VTEP behind which the destination was learned, or else (broadcast,
// multicast, unknown unicast) to every remote given with -r (head-end
// replication) or to the multicast group -g. Datagrams from the segment
// with our VNI are checked and their inner frames sent on the bus, and the
// inner source address is learned as living behind the datagram's sender.
// Stations heard on the bus are learned as local: frames to them stay on
// the bus. Frames this program writes to the bus are never read back (the
// bus never delivers a station's own frames), so nothing is relayed twice,
// and nothing from the segment is sent back to the segment.
//
// It never waits for the segment: datagrams go out with MSG_DONTWAIT into a
// bounded socket buffer, and what does not fit is dropped and counted. The
// bus side is lossy by design (see shmif/bus.h). Counters go to standard
// error on SIGUSR1 and at exit; SIGTERM, SIGINT and SIGHUP stop it cleanly.
// Without -f it detaches once the bus and the socket are open, printing its
// PID, as shmif_tapbridge does. docs/vxlan.md has the details.
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "shmif/bus.h"
#include "shmif/daemon.h"
#include "shmif/vxlan/vtep_table.h"
#include "shmif/vxlan/vxlan_header.h"

namespace {

using shmif_vxlan::DatagramDefect;
using shmif_vxlan::MacAddress;
using shmif_vxlan::StationPlace;
using shmif_vxlan::VtepAddress;
using shmif_vxlan::VtepTable;

// Frames or datagrams handled per system call, at most.
constexpr int kBatch = 64;
// Socket buffers: the bounded queues between us and the underlay.
constexpr int kSocketBuffer = 4 << 20;
// Stations the table holds, and remotes counted one by one (the rest are
// counted together as "other").
constexpr size_t kMaxStations = 65536;
constexpr size_t kMaxCountedRemotes = 1024;
// Receive buffer per datagram: a full inner frame and the header fit; a
// longer datagram is truncated and refused as inner-long.
constexpr size_t kDatagramBuffer = 2048;

struct Options {
  bool foreground = false;
  bool verbose = false;
  bool have_vni = false;
  uint32_t vni = 0;
  uint32_t local_ip = INADDR_ANY;  // host order
  uint16_t port = shmif_vxlan::kVxlanDefaultPort;
  size_t path_mtu = 1500;
  absl::Duration ageing = absl::Seconds(300);
  std::vector<VtepAddress> remotes;  // ports filled in after parsing
  std::vector<bool> remote_has_port;
  bool multicast = false;
  uint32_t group = 0;
  std::string ifname;
  std::string bus_path;
};

// Drops other than bad datagrams.
enum class Drop {
  kTooBig,      // bus frame + overhead exceeds the path MTU
  kQueueFull,   // the socket's send buffer was full (EAGAIN/ENOBUFS)
  kSendError,   // the underlay refused the datagram (unreachable, ...)
  kBusError,    // the bus refused the frame
  kCount,
};

const char* DropName(Drop d) {
  switch (d) {
    case Drop::kTooBig:
      return "too-big";
    case Drop::kQueueFull:
      return "queue-full";
    case Drop::kSendError:
      return "send-error";
    case Drop::kBusError:
      return "bus-error";
    case Drop::kCount:
      break;
  }
  return "unknown";
}

struct RemoteCounters {
  std::atomic<uint64_t> in_frames{0}, in_bytes{0}, out_frames{0}, out_bytes{0};
  std::atomic<bool> heard{false};  // a good datagram came from it
};

struct Counters {
  std::atomic<uint64_t> defects[static_cast<int>(DatagramDefect::kCount)] = {};
  std::atomic<bool> defect_logged[static_cast<int>(DatagramDefect::kCount)] = {};
  std::atomic<uint64_t> drops[static_cast<int>(Drop::kCount)] = {};
  std::atomic<bool> drop_logged[static_cast<int>(Drop::kCount)] = {};
  std::atomic<uint64_t> flooded{0};     // bus frames sent to every remote
  std::atomic<uint64_t> unicast{0};     // bus frames sent to one learned remote
  std::atomic<uint64_t> stayed{0};      // bus frames to a local station, not sent
  std::atomic<uint64_t> bus_frames{0};  // bus frames read

  std::mutex mu;
  absl::flat_hash_map<VtepAddress, std::unique_ptr<RemoteCounters>> remotes;  // guarded by mu
  std::vector<VtepAddress> order;                                             // guarded by mu
  RemoteCounters other;

  // The counters of `remote`, created on first use.
  RemoteCounters& For(const VtepAddress& remote) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = remotes.find(remote);
    if (it != remotes.end()) return *it->second;
    if (remotes.size() >= kMaxCountedRemotes) return other;
    order.push_back(remote);
    return *remotes.emplace(remote, std::make_unique<RemoteCounters>()).first->second;
  }
};

Options g_options;
Counters g_counters;
std::atomic<bool> g_stop{false};

[[noreturn]] void Usage(const std::string& why) {
  if (!why.empty()) std::fprintf(stderr, "shmif_vxlan: %s\n", why.c_str());
  std::fprintf(stderr,
               "usage: shmif_vxlan [-fv] -n VNI [-l LOCAL] [-p PORT] [-m PATH_MTU] [-a AGEING]\n"
               "                   (-r REMOTE[:PORT]... | -g GROUP [-I IFNAME]) BUS\n");
  std::exit(1);
}

absl::StatusOr<uint32_t> ParseIpv4(const std::string& s) {
  in_addr a;
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) {
    return absl::InvalidArgumentError(absl::StrFormat("'%s' is not an IPv4 address", s));
  }
  return ntohl(a.s_addr);
}

absl::StatusOr<uint64_t> ParseNumber(const std::string& s, uint64_t min, uint64_t max,
                                     const char* what) {
  uint64_t v = 0;
  if (!absl::SimpleAtoi(s, &v) || v < min || v > max) {
    return absl::InvalidArgumentError(
        absl::StrFormat("bad %s '%s' (%d..%d)", what, s, min, max));
  }
  return v;
}

sockaddr_in ToSockaddr(const VtepAddress& v) {
  sockaddr_in sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(v.ip);
  sa.sin_port = htons(v.port);
  return sa;
}

void ParseArgs(int argc, char** argv) {
  Options& o = g_options;
  int opt;
  while ((opt = getopt(argc, argv, "fvn:l:p:m:a:r:g:I:")) != -1) {
    absl::StatusOr<uint64_t> n;
    absl::StatusOr<uint32_t> ip;
    switch (opt) {
      case 'f':
        o.foreground = true;
        break;
      case 'v':
        o.verbose = true;
        break;
      case 'n':
        n = ParseNumber(optarg, 0, shmif_vxlan::kMaxVni, "VNI");
        if (!n.ok()) Usage(std::string(n.status().message()));
        o.vni = static_cast<uint32_t>(*n);
        o.have_vni = true;
        break;
      case 'l':
        ip = ParseIpv4(optarg);
        if (!ip.ok()) Usage(std::string(ip.status().message()));
        o.local_ip = *ip;
        break;
      case 'p':
        n = ParseNumber(optarg, 1, 65535, "UDP port");
        if (!n.ok()) Usage(std::string(n.status().message()));
        o.port = static_cast<uint16_t>(*n);
        break;
      case 'm':
        // The smallest useful path carries an Ethernet header; IPv4's
        // largest packet bounds the rest.
        n = ParseNumber(optarg, shmif_vxlan::kUnderlayIpOverhead + shmif_vxlan::kMinInnerFrame,
                        65535, "path MTU");
        if (!n.ok()) Usage(std::string(n.status().message()));
        o.path_mtu = *n;
        break;
      case 'a':
        n = ParseNumber(optarg, 1, 1000000, "ageing time in seconds");
        if (!n.ok()) Usage(std::string(n.status().message()));
        o.ageing = absl::Seconds(static_cast<int64_t>(*n));
        break;
      case 'r': {
        std::vector<std::string> parts = absl::StrSplit(std::string(optarg), ':');
        if (parts.size() > 2) Usage(absl::StrFormat("bad remote '%s' (ADDRESS[:PORT])", optarg));
        ip = ParseIpv4(parts[0]);
        if (!ip.ok()) Usage(std::string(ip.status().message()));
        if (*ip == 0 || (*ip >> 28) == 0xe || *ip == 0xffffffffu) {
          Usage(absl::StrFormat("remote '%s' is not a unicast address (use -g for a group)",
                                parts[0]));
        }
        VtepAddress r{*ip, 0};
        if (parts.size() == 2) {
          n = ParseNumber(parts[1], 1, 65535, "UDP port");
          if (!n.ok()) Usage(std::string(n.status().message()));
          r.port = static_cast<uint16_t>(*n);
        }
        o.remotes.push_back(r);
        o.remote_has_port.push_back(parts.size() == 2);
        break;
      }
      case 'g':
        ip = ParseIpv4(optarg);
        if (!ip.ok()) Usage(std::string(ip.status().message()));
        if ((*ip >> 28) != 0xe) Usage(absl::StrFormat("'%s' is not an IPv4 multicast group", optarg));
        o.multicast = true;
        o.group = *ip;
        break;
      case 'I':
        if (std::strlen(optarg) == 0 || std::strlen(optarg) >= IFNAMSIZ) {
          Usage(absl::StrFormat("bad interface name '%s'", optarg));
        }
        o.ifname = optarg;
        break;
      default:
        Usage("");
    }
  }
  if (argc - optind != 1) Usage(argc - optind == 0 ? "no bus file given" : "one bus file only");
  o.bus_path = argv[optind];
  if (!o.have_vni) Usage("-n VNI is required");
  if (o.multicast && !o.remotes.empty()) Usage("-r and -g exclude each other");
  if (!o.multicast && o.remotes.empty()) Usage("no remote VTEP: give -r REMOTE or -g GROUP");
  if (!o.ifname.empty() && !o.multicast) Usage("-I names the multicast interface: only with -g");
  for (size_t i = 0; i < o.remotes.size(); ++i) {
    if (!o.remote_has_port[i]) o.remotes[i].port = o.port;
    for (size_t j = 0; j < i; ++j) {
      if (o.remotes[i] == o.remotes[j]) {
        Usage(absl::StrFormat("remote %s given twice", o.remotes[i].ToString()));
      }
    }
  }
}

absl::StatusOr<int> OpenSocket() {
  const Options& o = g_options;
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return absl::InternalError(absl::StrFormat("socket: %s", std::strerror(errno)));
  auto fail = [fd](const std::string& what) {
    const int e = errno;
    close(fd);
    return absl::InternalError(absl::StrFormat("%s: %s", what, std::strerror(e)));
  };
  const int size = kSocketBuffer;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  // Never fragment: a frame that does not fit the path is ours to drop.
  const int pmtu = IP_PMTUDISC_PROBE;
  setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof pmtu);
  sockaddr_in sa = ToSockaddr(VtepAddress{o.multicast ? INADDR_ANY : o.local_ip, o.port});
  if (o.multicast) {
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    return fail(absl::StrFormat("binding UDP %s", VtepAddress{o.local_ip, o.port}.ToString()));
  }
  if (o.multicast) {
    ip_mreqn mreq;
    std::memset(&mreq, 0, sizeof mreq);
    mreq.imr_multiaddr.s_addr = htonl(o.group);
    mreq.imr_address.s_addr = htonl(o.local_ip);
    if (!o.ifname.empty()) {
      mreq.imr_ifindex = static_cast<int>(if_nametoindex(o.ifname.c_str()));
      if (mreq.imr_ifindex == 0) return fail(absl::StrFormat("interface %s", o.ifname));
    }
    if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0) {
      return fail(absl::StrFormat("joining group %s", VtepAddress{o.group, o.port}.ToString()));
    }
    if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq) != 0) {
      return fail("choosing the multicast interface");
    }
    const int zero = 0;
    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero, sizeof zero);
  }
  return fd;
}

void LogDefectOnce(DatagramDefect d, const VtepAddress& from) {
  const int i = static_cast<int>(d);
  g_counters.defects[i].fetch_add(1, std::memory_order_relaxed);
  if (!g_counters.defect_logged[i].exchange(true)) {
    std::fprintf(stderr, "shmif_vxlan: dropped a datagram from %s: %s (counted; logged once)\n",
                 from.ToString().c_str(), shmif_vxlan::DefectName(d));
  }
}

void CountDrop(Drop d, uint64_t n, const std::string& detail) {
  const int i = static_cast<int>(d);
  g_counters.drops[i].fetch_add(n, std::memory_order_relaxed);
  if (!g_counters.drop_logged[i].exchange(true)) {
    std::fprintf(stderr, "shmif_vxlan: dropped a frame: %s%s (counted; logged once)\n",
                 DropName(d), detail.c_str());
  }
}

void PrintCounters(const char* when, const VtepTable& table) {
  std::string out;
  {
    std::lock_guard<std::mutex> lock(g_counters.mu);
    for (const VtepAddress& r : g_counters.order) {
      const RemoteCounters& c = *g_counters.remotes.at(r);
      out += absl::StrFormat(
          "shmif_vxlan: %s: remote %s: in %d frames %d bytes, out %d frames %d bytes\n", when,
          r.ToString(), c.in_frames.load(), c.in_bytes.load(), c.out_frames.load(),
          c.out_bytes.load());
    }
    const RemoteCounters& c = g_counters.other;
    if (c.in_frames.load() + c.out_frames.load() > 0) {
      out += absl::StrFormat(
          "shmif_vxlan: %s: remote other: in %d frames %d bytes, out %d frames %d bytes\n", when,
          c.in_frames.load(), c.in_bytes.load(), c.out_frames.load(), c.out_bytes.load());
    }
  }
  out += absl::StrFormat(
      "shmif_vxlan: %s: bus: %d frames read, %d flooded, %d unicast, %d stayed local\n", when,
      g_counters.bus_frames.load(), g_counters.flooded.load(), g_counters.unicast.load(),
      g_counters.stayed.load());
  std::string drops;
  for (int i = 0; i < static_cast<int>(DatagramDefect::kCount); ++i) {
    if (i == static_cast<int>(DatagramDefect::kNone)) continue;
    drops += absl::StrFormat(" %s %d", shmif_vxlan::DefectName(static_cast<DatagramDefect>(i)),
                             g_counters.defects[i].load());
  }
  for (int i = 0; i < static_cast<int>(Drop::kCount); ++i) {
    drops += absl::StrFormat(" %s %d", DropName(static_cast<Drop>(i)), g_counters.drops[i].load());
  }
  out += absl::StrFormat("shmif_vxlan: %s: drops:%s\n", when, drops);
  out += absl::StrFormat(
      "shmif_vxlan: %s: stations: %d learned (%d remote, %d local), %d not learned (table full)\n",
      when, table.size(), table.remote_stations(), table.size() - table.remote_stations(),
      table.refused());
  std::fputs(out.c_str(), stderr);
  std::fflush(stderr);
}

void LogLearned(VtepTable::Learned l, const MacAddress& mac, const StationPlace& place) {
  if (!g_options.verbose) return;
  if (l != VtepTable::Learned::kNew && l != VtepTable::Learned::kMoved) return;
  const std::string where =
      place.kind == StationPlace::kLocal ? "on the bus" : "behind " + place.remote.ToString();
  std::fprintf(stderr, "shmif_vxlan: %s %s %s\n",
               l == VtepTable::Learned::kNew ? "learned" : "moved",
               shmif_vxlan::MacToString(mac).c_str(), where.c_str());
}

// The port a learned remote VTEP listens on: the port given with -r for
// that address, else ours. (Senders pick their source port per flow, so
// the datagram's source port says nothing about where the VTEP listens.)
uint16_t ListeningPort(uint32_t ip) {
  for (const VtepAddress& r : g_options.remotes) {
    if (r.ip == ip) return r.port;
  }
  return g_options.port;
}

// Bus -> segment.
void BusToSegment(shmif::Bus& bus, int fd, VtepTable& table) {
  const Options& o = g_options;
  const size_t max_frame = o.path_mtu - shmif_vxlan::kUnderlayIpOverhead;
  std::vector<sockaddr_in> flood;
  if (o.multicast) {
    flood.push_back(ToSockaddr(VtepAddress{o.group, o.port}));
  } else {
    for (const VtepAddress& r : o.remotes) flood.push_back(ToSockaddr(r));
  }
  std::vector<VtepAddress> flood_vteps;
  for (const sockaddr_in& sa : flood) {
    flood_vteps.push_back(VtepAddress{ntohl(sa.sin_addr.s_addr), ntohs(sa.sin_port)});
  }
  uint8_t header[shmif_vxlan::kVxlanHeaderLen];
  shmif_vxlan::VxlanHeader{o.vni}.Encode(header);

  std::vector<std::vector<uint8_t>> bufs(kBatch, std::vector<uint8_t>(shmif::kMaxFrameLen));
  std::vector<uint32_t> lens(kBatch);
  // Up to kBatch frames, each to up to flood.size() remotes.
  const size_t max_msgs = kBatch * std::max<size_t>(flood.size(), 1);
  std::vector<mmsghdr> msgs(max_msgs);
  std::vector<iovec> iovs(2 * max_msgs);
  std::vector<sockaddr_in> dests(max_msgs);
  std::vector<RemoteCounters*> dest_counters(max_msgs);
  std::vector<RemoteCounters*> flood_counters;
  for (const VtepAddress& v : flood_vteps) flood_counters.push_back(&g_counters.For(v));

  while (!g_stop.load(std::memory_order_relaxed)) {
    int n = 0;
    while (n < kBatch) {
      absl::StatusOr<shmif::ReceivedFrame> r = bus.Receive(
          absl::MakeSpan(bufs[n]), n == 0 ? absl::InfiniteDuration() : absl::ZeroDuration());
      if (!r.ok()) break;  // none waiting, Cancelled (stopping), DataLoss (ring reset)
      lens[n++] = r->len;
    }
    if (n == 0) continue;
    g_counters.bus_frames.fetch_add(n, std::memory_order_relaxed);
    const absl::Time now = absl::Now();
    size_t m = 0;
    uint64_t stayed = 0, unicast = 0, flooded = 0;
    auto add = [&](int i, const sockaddr_in& sa, RemoteCounters* c) {
      dests[m] = sa;
      dest_counters[m] = c;
      iovs[2 * m] = iovec{header, sizeof header};
      iovs[2 * m + 1] = iovec{bufs[i].data(), lens[i]};
      msghdr& h = msgs[m].msg_hdr;
      std::memset(&h, 0, sizeof h);
      h.msg_name = &dests[m];
      h.msg_namelen = sizeof dests[m];
      h.msg_iov = &iovs[2 * m];
      h.msg_iovlen = 2;
      ++m;
    };
    // A batch is mostly one conversation: the table is asked once per new
    // source and destination, not once per frame.
    bool have_src = false, have_dst = false;
    MacAddress last_src{}, last_dst{};
    StationPlace last_place;
    for (int i = 0; i < n; ++i) {
      const uint8_t* f = bufs[i].data();
      const MacAddress src = shmif_vxlan::MacAt(f + 6);
      if (!have_src || src != last_src) {
        have_src = true;
        last_src = src;
        const VtepTable::Learned l = table.LearnLocal(src, now);
        if (l != VtepTable::Learned::kRefreshed) {
          LogLearned(l, src, StationPlace{StationPlace::kLocal, {}});
        }
        have_dst = false;  // the source may have been the cached destination
      }
      if (lens[i] > max_frame) {
        CountDrop(Drop::kTooBig, 1,
                  absl::StrFormat(" (%d-byte frame, %d with VXLAN, path MTU %d)", lens[i],
                                  lens[i] + shmif_vxlan::kUnderlayIpOverhead, o.path_mtu));
        continue;
      }
      const MacAddress dst = shmif_vxlan::MacAt(f);
      if (!have_dst || dst != last_dst) {
        have_dst = true;
        last_dst = dst;
        last_place = StationPlace{};
        if (!shmif_vxlan::IsGroupMac(dst)) last_place = table.Lookup(dst, now);
      }
      const StationPlace& place = last_place;
      if (place.kind == StationPlace::kLocal) {
        ++stayed;
      } else if (place.kind == StationPlace::kRemote) {
        ++unicast;
        add(i, ToSockaddr(place.remote), &g_counters.For(place.remote));
      } else {
        ++flooded;
        for (size_t k = 0; k < flood.size(); ++k) add(i, flood[k], flood_counters[k]);
      }
    }
    g_counters.stayed.fetch_add(stayed, std::memory_order_relaxed);
    g_counters.unicast.fetch_add(unicast, std::memory_order_relaxed);
    g_counters.flooded.fetch_add(flooded, std::memory_order_relaxed);
    size_t done = 0;
    while (done < m) {
      const int sent = sendmmsg(fd, &msgs[done], static_cast<unsigned>(m - done), MSG_DONTWAIT);
      const size_t ok = sent > 0 ? static_cast<size_t>(sent) : 0;
      for (size_t k = done; k < done + ok; ++k) {
        RemoteCounters& c = *dest_counters[k];
        c.out_frames.fetch_add(1, std::memory_order_relaxed);
        c.out_bytes.fetch_add(msgs[k].msg_hdr.msg_iov[1].iov_len, std::memory_order_relaxed);
      }
      done += ok;
      if (done == m) break;
      if (sent < 0 && errno == EINTR) continue;
      // msgs[done] failed: drop it and go on with the rest.
      const int e = sent < 0 ? errno : EAGAIN;
      if (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS) {
        CountDrop(Drop::kQueueFull, 1, " (the socket's send buffer is full)");
      } else {
        CountDrop(Drop::kSendError, 1,
                  absl::StrFormat(" (to %s: %s)",
                                  VtepAddress{ntohl(dests[done].sin_addr.s_addr),
                                              ntohs(dests[done].sin_port)}
                                      .ToString(),
                                  std::strerror(e)));
      }
      ++done;
    }
  }
}

// Segment -> bus.
void SegmentToBus(int fd, int stop_fd, shmif::Bus& bus, VtepTable& table) {
  const Options& o = g_options;
  std::vector<std::vector<uint8_t>> bufs(kBatch, std::vector<uint8_t>(kDatagramBuffer));
  std::vector<mmsghdr> msgs(kBatch);
  std::vector<iovec> iovs(kBatch);
  std::vector<sockaddr_in> froms(kBatch);
  std::vector<absl::Span<const uint8_t>> frames;
  std::vector<RemoteCounters*> frame_counters;
  frames.reserve(kBatch);
  pollfd pfds[2] = {{fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
  while (!g_stop.load(std::memory_order_relaxed)) {
    for (int i = 0; i < kBatch; ++i) {
      iovs[i] = iovec{bufs[i].data(), bufs[i].size()};
      msghdr& h = msgs[i].msg_hdr;
      std::memset(&h, 0, sizeof h);
      h.msg_name = &froms[i];
      h.msg_namelen = sizeof froms[i];
      h.msg_iov = &iovs[i];
      h.msg_iovlen = 1;
    }
    const int n = recvmmsg(fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) {
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
          errno != ECONNREFUSED) {
        std::fprintf(stderr, "shmif_vxlan: receiving: %s\n", std::strerror(errno));
      }
      poll(pfds, 2, -1);
      continue;
    }
    const absl::Time now = absl::Now();
    frames.clear();
    frame_counters.clear();
    RemoteCounters* last_counters = nullptr;
    uint32_t last_ip = 0;
    VtepAddress last_vtep;
    bool have_src = false;
    MacAddress last_src{};
    for (int i = 0; i < n; ++i) {
      const uint32_t from_ip = ntohl(froms[i].sin_addr.s_addr);
      const VtepAddress from{from_ip, ntohs(froms[i].sin_port)};
      absl::Span<const uint8_t> datagram(bufs[i].data(), msgs[i].msg_len);
      shmif_vxlan::DecodedDatagram d = shmif_vxlan::DecodeDatagram(datagram, o.vni);
      if (d.defect == DatagramDefect::kNone && (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)) {
        d.defect = DatagramDefect::kInnerLong;
      }
      if (d.defect != DatagramDefect::kNone) {
        LogDefectOnce(d.defect, from);
        continue;
      }
      // Consecutive datagrams mostly come from one VTEP and one station:
      // the counters and the table are consulted once per change.
      if (last_counters == nullptr || from_ip != last_ip) {
        last_ip = from_ip;
        last_vtep = VtepAddress{from_ip, ListeningPort(from_ip)};
        last_counters = &g_counters.For(last_vtep);
        have_src = false;
        if (!last_counters->heard.load(std::memory_order_relaxed) &&
            !last_counters->heard.exchange(true) && o.verbose) {
          std::fprintf(stderr, "shmif_vxlan: learned remote VTEP %s\n",
                       last_vtep.ToString().c_str());
        }
      }
      const MacAddress src = shmif_vxlan::MacAt(d.inner.data() + 6);
      if (!have_src || src != last_src) {
        have_src = true;
        last_src = src;
        const VtepTable::Learned l = table.LearnRemote(src, last_vtep, now);
        if (l != VtepTable::Learned::kRefreshed) {
          LogLearned(l, src, StationPlace{StationPlace::kRemote, last_vtep});
        }
      }
      frames.push_back(d.inner);
      frame_counters.push_back(last_counters);
    }
    if (frames.empty()) continue;
    absl::Status s = bus.SendBatch(frames);
    if (!s.ok() && !absl::IsDataLoss(s)) {
      CountDrop(Drop::kBusError, frames.size(), absl::StrFormat(" (%s)", s.message()));
      continue;
    }
    for (size_t i = 0; i < frames.size(); ++i) {
      frame_counters[i]->in_frames.fetch_add(1, std::memory_order_relaxed);
      frame_counters[i]->in_bytes.fetch_add(frames[i].size(), std::memory_order_relaxed);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  ParseArgs(argc, argv);
  const Options& o = g_options;

  shmif::AttachOptions attach;
  // As the shmif driver does: request/response traffic skips the wake-up.
  attach.receive_spin = absl::Microseconds(50);
  absl::StatusOr<std::unique_ptr<shmif::Bus>> bus = shmif::Bus::Attach(o.bus_path, attach);
  if (!bus.ok()) {
    std::fprintf(stderr, "shmif_vxlan: %s\n", std::string(bus.status().message()).c_str());
    return 1;
  }
  absl::StatusOr<int> fd = OpenSocket();
  if (!fd.ok()) {
    std::fprintf(stderr, "shmif_vxlan: %s\n", std::string(fd.status().message()).c_str());
    return 1;
  }
  const int stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd < 0) {
    std::perror("shmif_vxlan: eventfd");
    return 1;
  }

  if (!o.foreground) {
    shmif::Daemonize("shmif_vxlan");
  }

  // A shell starts background jobs with SIGINT ignored, and an ignored
  // signal never reaches sigwait: the stopping signals get their default
  // disposition back before they are blocked.
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) signal(sig, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A send to a vanished remote may raise an ICMP error on the socket, never
  // a signal; SIGPIPE cannot happen on UDP, but stays ignored all the same.
  signal(SIGPIPE, SIG_IGN);

  VtepTable table(o.ageing, kMaxStations);
  std::string remotes;
  if (o.multicast) {
    remotes = "group " + VtepAddress{o.group, o.port}.ToString();
  } else {
    for (const VtepAddress& r : o.remotes) remotes += (remotes.empty() ? "" : " ") + r.ToString();
    // Every given remote has counters from the start, in the order given.
    for (const VtepAddress& r : o.remotes) g_counters.For(r);
  }
  std::fprintf(stderr,
               "shmif_vxlan: relaying bus %s and VNI %u on %s (remotes %s; path MTU %zu, "
               "ageing %lld s)\n",
               o.bus_path.c_str(), o.vni, VtepAddress{o.local_ip, o.port}.ToString().c_str(),
               remotes.c_str(), o.path_mtu,
               static_cast<long long>(absl::ToInt64Seconds(o.ageing)));
  std::fflush(stderr);

  std::thread to_segment(BusToSegment, std::ref(**bus), *fd, std::ref(table));
  std::thread to_bus(SegmentToBus, *fd, stop_fd, std::ref(**bus), std::ref(table));
  for (;;) {
    const timespec second = {1, 0};
    const int sig = sigtimedwait(&set, nullptr, &second);
    if (sig < 0) {
      for (const VtepTable::AgedStation& a : table.Age(absl::Now())) {
        if (!o.verbose) continue;
        std::fprintf(stderr, "shmif_vxlan: aged %s (%s)\n", shmif_vxlan::MacToString(a.mac).c_str(),
                     a.place.kind == StationPlace::kLocal
                         ? "on the bus"
                         : ("behind " + a.place.remote.ToString()).c_str());
      }
      continue;
    }
    if (sig == SIGUSR1) {
      PrintCounters("counters", table);
      continue;
    }
    break;
  }
  g_stop.store(true);
  (*bus)->Interrupt();
  const uint64_t one = 1;
  if (write(stop_fd, &one, sizeof one) < 0) std::perror("shmif_vxlan: eventfd write");
  to_segment.join();
  to_bus.join();
  PrintCounters("exiting", table);
  close(*fd);
  close(stop_fd);
  return 0;
}
