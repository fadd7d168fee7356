// NetBSD's own netstat and sockstat (the test peer's rumpctrl tools,
// RUMP_NETBSD_PEER) against our kernel: a kernel serves itself on a unix
// socket, a process in it ("pcbhold") holds UDP, raw and TCP sockets, and the
// tools, as remote clients, must list them as they list a NetBSD kernel's:
//
//   netstat -an -f inet   net.inet.tcp.pcblist, then net.inet.udp.pcblist
//   sockstat -4 -n        the tcp, udp and raw PCB lists, kern.file2 (the
//                         descriptors, joined with the PCBs on the socket
//                         ids) and kern.proc2 (the owner's name and uid)
//   netstat -s -f inet    the counters
//
//   ifconfig -a           NET_RT_IFLIST and the interface ioctls (below)
//   ifconfig shmif0
//
// netstat and sockstat fail when net.inet.tcp.pcblist is missing; TCP registers it
// (tcp.cc, with in_pcblist.h's AddPcblistNode).
//
// Without the peer (RUMP_NETBSD_PEER unset, or without rumpctrl/bin) the
// test is skipped with a message; scripts/test sets it when
// ../shared/netbsd-peer exists.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "rump/abi/if.h"
#include "rump/abi/in.h"
#include "rump/abi/kinfo.h"
#include "rump/abi/socket.h"
#include "rump/abi/syscalls.h"
#include "rump/abi/sysctl.h"
#include "rump/abi/tcp.h"
#include "rump/netinet/in_pcblist.h"
#include "rump/netinet/inet_testing.h"
#include "rump/netinet/route_table.h"
#include "rump/netinet/tcp_socket.h"
#include "rump/netinet6/in6_addr.h"
#include "sp/server/server.h"
#include "tests/support/eventually.h"
#include "tests/support/subprocess.h"

namespace rump {
namespace {

namespace fs = std::filesystem;
using rump::testing::Eventually;
using rump_testing::Subprocess;

// The words of a line.
std::vector<std::string> Words(absl::string_view line) {
  return absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipWhitespace());
}

class NetbsdToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* peer = getenv("RUMP_NETBSD_PEER");
    if (peer == nullptr || *peer == '\0' || !fs::is_directory(fs::path(peer) / "rumpctrl/bin") ||
        !fs::is_directory(fs::path(peer) / "rump/lib")) {
      GTEST_SKIP() << "no NetBSD peer: RUMP_NETBSD_PEER='" << (peer ? peer : "")
                   << "' is not a directory with rumpctrl/bin and rump/lib (scripts/test sets "
                      "it when ../shared/netbsd-peer exists)";
    }
    peer_ = fs::absolute(peer);
    // A short directory: unix socket paths are limited.
    char tmpl[] = "/tmp/nbtoolsXXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    work_ = tmpl;
    ASSERT_NO_FATAL_FAILURE(LinkPeerLibraries());

    host_ = std::make_unique<inet_testing::Host>(work_ + "/bus", "10.7.0.1");
    Kernel& k = host_->kernel();
    ASSERT_TRUE(k.sysctl().Resolve("net.inet.tcp.pcblist").ok());
    auto server = sp::server::Server::Start(k, "unix://" + work_ + "/sock");
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  void TearDown() override {
    if (host_ != nullptr) host_->kernel().BindThread(nullptr);
    if (server_ != nullptr) server_->Stop();
    server_.reset();
    host_.reset();
    if (!work_.empty()) {
      std::error_code ec;
      fs::remove_all(work_, ec);
    }
  }

  // The peer's rump/lib keeps its symbolic links as small text files that
  // name their target; the loader needs real links.
  void LinkPeerLibraries() {
    libs_ = work_ + "/lib";
    ASSERT_TRUE(fs::create_directory(libs_));
    for (const fs::directory_entry& e : fs::directory_iterator(peer_ / "rump/lib")) {
      const std::string name = e.path().filename();
      if (name.rfind("lib", 0) != 0) continue;
      fs::path target = e.path();
      std::ifstream in(e.path(), std::ios::binary);
      char head[4] = {};
      in.read(head, 4);
      if (!e.is_symlink() && std::string(head, 4) != "\x7f" "ELF") {
        std::string text(256, '\0');
        in.clear();
        in.seekg(0);
        in.read(text.data(), text.size());
        text.resize(size_t(in.gcount()));
        if (text.find('/') != std::string::npos || !fs::is_regular_file(peer_ / "rump/lib" / text)) {
          continue;
        }
        target = peer_ / "rump/lib" / text;
      }
      fs::create_symlink(target, fs::path(libs_) / name);
    }
    ASSERT_TRUE(fs::exists(fs::path(libs_) / "librumpclient.so.0"));
  }

  // Runs a peer tool against our server; its output lines and exit status.
  struct Run {
    std::vector<std::string> lines;
    int status = -1;
  };
  Run Tool(const std::string& tool, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"/usr/bin/env", "LD_LIBRARY_PATH=" + libs_,
                                     "RUMP_SERVER=unix://" + work_ + "/sock",
                                     (peer_ / "rumpctrl/bin" / tool).string()};
    argv.insert(argv.end(), args.begin(), args.end());
    Run r;
    absl::StatusOr<Subprocess> p = Subprocess::Start(argv);
    EXPECT_TRUE(p.ok()) << p.status();
    if (!p.ok()) return r;
    while (std::optional<std::string> line = p->ReadLine(absl::Seconds(120))) {
      r.lines.push_back(*line);
    }
    absl::StatusOr<int> st = p->Wait(absl::Seconds(120));
    EXPECT_TRUE(st.ok()) << st.status();
    if (st.ok()) r.status = WIFEXITED(*st) ? WEXITSTATUS(*st) : 128 + WTERMSIG(*st);
    return r;
  }

  fs::path peer_;
  std::string work_;
  std::string libs_;
  std::unique_ptr<inet_testing::Host> host_;
  std::unique_ptr<sp::server::Server> server_;
};

TEST_F(NetbsdToolsTest, NetstatAndSockstatListOurSockets) {
  Kernel& k = host_->kernel();
  std::shared_ptr<Process> hold = k.NewProcess(1, "pcbhold");
  k.BindThread(hold);  // the sockets below are pcbhold's
  // fd 3: *.7777; fd 4: 127.0.0.1.5555 connected to *.7777, which it sends
  // five bytes; fd 5: a raw ICMP socket; fd 6: a UDP socket never bound.
  const int a = host_->Socket(abi::kSOCK_DGRAM);
  ASSERT_EQ(a, 3);
  ASSERT_EQ(host_->Bind(a, "0.0.0.0", 7777), 0);
  const int b = host_->Socket(abi::kSOCK_DGRAM);
  ASSERT_EQ(host_->Bind(b, "127.0.0.1", 5555), 0);
  ASSERT_EQ(host_->Connect(b, "127.0.0.1", 7777), 0);
  ASSERT_EQ(host_->Socket(abi::kSOCK_RAW, abi::kIPPROTO_ICMP), 5);
  ASSERT_EQ(host_->Socket(abi::kSOCK_DGRAM), 6);
  ASSERT_EQ(host_->Send(b, {'h', 'e', 'l', 'l', 'o'}), 5);
  // fd 7: a TCP listener on *:8080; fd 8: a connection to it; fd 9: the
  // accepted end.
  const int l = host_->Socket(abi::kSOCK_STREAM);
  ASSERT_EQ(l, 7);
  ASSERT_EQ(host_->Bind(l, "0.0.0.0", 8080), 0);
  ASSERT_EQ(host_->Call(abi::kSysListen, {uint64_t(l), 5}).error, 0);
  const int c = host_->Socket(abi::kSOCK_STREAM);
  ASSERT_EQ(host_->Connect(c, "127.0.0.1", 8080), 0);
  const inet_testing::SysResult acc = host_->Call(abi::kSysAccept, {uint64_t(l), 0, 0});
  ASSERT_EQ(acc.error, 0);
  ASSERT_EQ(acc.rv, 9);
  uint32_t caddr = 0;
  uint16_t cport = 0;
  ASSERT_EQ(host_->SockName(c, &caddr, &cport), 0);
  const std::string client = "127.0.0.1." + std::to_string(cport);
  // The datagram is queued on a (16 bytes of address and 5 of data).
  ASSERT_TRUE(Eventually([&] {
    for (const abi::KinfoPcb& r : inet::PcbRecords(host_->inet().udp_pcbs(), abi::kSOCK_DGRAM,
                                                   abi::kIPPROTO_UDP)) {
      if (r.rcvq == 21) return true;
    }
    return false;
  }));

  // netstat -an -f inet: newest first, as NetBSD's.
  Run ns = Tool("netstat", {"-an", "-f", "inet"});
  ASSERT_EQ(ns.status, 0);
  std::vector<std::vector<std::string>> udp, tcp;
  for (const std::string& line : ns.lines) {
    std::cout << "netstat: " << line << "\n";
    std::vector<std::string> w = Words(line);
    if (!w.empty() && w[0] == "udp") udp.push_back(w);
    if (!w.empty() && w[0] == "tcp") tcp.push_back(w);
  }
  ASSERT_GE(ns.lines.size(), 2u);
  EXPECT_EQ(ns.lines[0], "Active Internet connections (including servers)");
  EXPECT_EQ(Words(ns.lines[1]),
            (std::vector<std::string>{"Proto", "Recv-Q", "Send-Q", "Local", "Address", "Foreign",
                                      "Address", "State"}));
  EXPECT_EQ(tcp, (std::vector<std::vector<std::string>>{
                     {"tcp", "0", "0", "127.0.0.1.8080", client, "ESTABLISHED"},
                     {"tcp", "0", "0", client, "127.0.0.1.8080", "ESTABLISHED"},
                     {"tcp", "0", "0", "*.8080", "*.*", "LISTEN"},
                 }));
  EXPECT_EQ(udp, (std::vector<std::vector<std::string>>{
                     {"udp", "0", "0", "*.*", "*.*"},
                     {"udp", "0", "0", "127.0.0.1.5555", "127.0.0.1.7777"},
                     {"udp", "21", "0", "*.7777", "*.*"},
                 }));

  // sockstat -4 -n: by descriptor; the raw ICMP socket as family/protocol.
  Run ss = Tool("sockstat", {"-4", "-n"});
  ASSERT_EQ(ss.status, 0);
  for (const std::string& line : ss.lines) std::cout << "sockstat: " << line << "\n";
  const std::string pid = std::to_string(hold->pid());
  std::vector<std::vector<std::string>> rows;
  for (const std::string& line : ss.lines) {
    std::vector<std::string> w = Words(line);
    if (w.size() > 2 && w[1] == "pcbhold") rows.push_back(w);
  }
  ASSERT_FALSE(ss.lines.empty());
  EXPECT_EQ(Words(ss.lines[0]),
            (std::vector<std::string>{"USER", "COMMAND", "PID", "FD", "PROTO", "LOCAL", "ADDRESS",
                                      "FOREIGN", "ADDRESS"}));
  EXPECT_EQ(rows, (std::vector<std::vector<std::string>>{
                      {"0", "pcbhold", pid, "3", "udp", "*.7777", "*.*"},
                      {"0", "pcbhold", pid, "4", "udp", "127.0.0.1.5555", "127.0.0.1.7777"},
                      {"0", "pcbhold", pid, "5", "2/1", "*.*", "*.*"},
                      {"0", "pcbhold", pid, "6", "udp", "*.*", "*.*"},
                      {"0", "pcbhold", pid, "7", "tcp", "*.8080", "*.*"},
                      {"0", "pcbhold", pid, "8", "tcp", client, "127.0.0.1.8080"},
                      {"0", "pcbhold", pid, "9", "tcp", "127.0.0.1.8080", client},
                  }));
  EXPECT_EQ(ss.lines.size(), 8u);  // the tools' own processes hold no sockets

  // netstat -s -f inet: the UDP counters saw the datagram.
  Run st = Tool("netstat", {"-s", "-f", "inet"});
  ASSERT_EQ(st.status, 0);
  bool in_udp = false, received = false, output = false;
  for (const std::string& line : st.lines) {
    std::cout << "netstat -s: " << line << "\n";
    const std::vector<std::string> w = Words(line);
    if (!line.empty() && line[0] != '\t') in_udp = line == "udp:";
    if (in_udp && w == std::vector<std::string>{"1", "datagram", "received"}) received = true;
    if (in_udp && w == std::vector<std::string>{"1", "datagram", "output"}) output = true;
  }
  EXPECT_TRUE(received);
  EXPECT_TRUE(output);
}

// route(8), netstat -r and arp(8) read the route sysctl (NET_RT_DUMP,
// NET_RT_FLAGS): the lines are those NetBSD's own kernel gives for the
// same configuration (checked against NetBSD's rump_server).
TEST_F(NetbsdToolsTest, RouteNetstatAndArpListOurRoutesAndNeighbours) {
  // A static default route and host route, and a neighbour learnt by ARP.
  inet::Route def;
  def.gateway = inet_testing::Ip("10.7.0.2");
  def.is_gateway = true;
  ASSERT_TRUE(host_->inet().routes().Add(def).ok());
  inet::Route host;
  host.dst = inet_testing::Ip("10.9.9.9");
  host.netmask = 0xffffffff;
  host.gateway = inet_testing::Ip("10.7.0.3");
  host.is_gateway = host.is_host = true;
  ASSERT_TRUE(host_->inet().routes().Add(host).ok());
  inet_testing::Host other(work_ + "/bus", "10.7.0.2");
  const int u = other.Socket(abi::kSOCK_DGRAM);
  ASSERT_EQ(other.Bind(u, "0.0.0.0", 9999), 0);
  const int s = host_->Socket(abi::kSOCK_DGRAM);
  ASSERT_EQ(host_->SendTo(s, {1}, "10.7.0.2", 9999), 1);
  std::vector<uint8_t> got;
  ASSERT_EQ(other.RecvFrom(u, &got, 16), 1);  // resolved: 10.7.0.2 is in the cache

  auto table = [](const Run& r) {
    std::vector<std::vector<std::string>> rows;
    for (const std::string& line : r.lines) {
      std::vector<std::string> w = Words(line);
      if (!w.empty() && (std::isdigit(static_cast<unsigned char>(w[0][0])) || w[0] == "default")) {
        rows.push_back(w);
      }
    }
    return rows;
  };
  Run rs = Tool("route", {"-n", "show"});
  for (const std::string& line : rs.lines) std::cout << "route: " << line << "\n";
  ASSERT_EQ(rs.status, 0);
  EXPECT_EQ(table(rs), (std::vector<std::vector<std::string>>{
                           {"default", "10.7.0.2", "UG", "-", "-", "-", "shmif0"},
                           {"10.7.0/24", "link#2", "U", "-", "-", "-", "shmif0"},
                           {"10.7.0.1", "link#2", "UHl", "-", "-", "-", "lo0"},
                           {"10.9.9.9", "10.7.0.3", "UGH", "-", "-", "-", "shmif0"},
                           {"127.0.0.1", "lo0", "UHl", "-", "-", "33624", "lo0"},
                       }));
  Run ns = Tool("netstat", {"-rn", "-f", "inet"});
  for (const std::string& line : ns.lines) std::cout << "netstat -rn: " << line << "\n";
  ASSERT_EQ(ns.status, 0);
  EXPECT_EQ(table(ns), (std::vector<std::vector<std::string>>{
                           {"default", "10.7.0.2", "UGS", "-", "-", "-", "shmif0"},
                           {"10.7.0/24", "link#2", "UC", "-", "-", "-", "shmif0"},
                           {"10.7.0.1", "link#2", "UHl", "-", "-", "-", "lo0"},
                           {"10.9.9.9", "10.7.0.3", "UGHS", "-", "-", "-", "shmif0"},
                           {"127.0.0.1", "lo0", "UHl", "-", "-", "33624", "lo0"},
                       }));
  auto mac = [](const std::vector<uint8_t>& ll) {
    std::string m;
    for (uint8_t b : ll) {
      char h[4];
      std::snprintf(h, sizeof h, "%s%02x", m.empty() ? "" : ":", b);
      m += h;
    }
    return m;
  };
  Run arp = Tool("arp", {"-an"});
  for (const std::string& line : arp.lines) std::cout << "arp: " << line << "\n";
  ASSERT_EQ(arp.status, 0);
  EXPECT_EQ(arp.lines, (std::vector<std::string>{
                           "? (10.7.0.1) at " + mac(host_->ifp().lladdr()) + " on shmif0 permanent",
                           "? (10.7.0.2) at " + mac(other.ifp().lladdr()) + " on shmif0",
                       }));
}

// route(8) writes its requests to a routing socket; its output and exit
// status are those it gives against NetBSD's kernel.
TEST_F(NetbsdToolsTest, RouteAddsChangesGetsDeletesAndFlushes) {
  auto route = [&](const std::vector<std::string>& args) {
    Run r = Tool("route", args);
    for (const std::string& line : r.lines) std::cout << "route: " << line << "\n";
    return r;
  };
  Run r = route({"add", "default", "10.7.0.2"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.lines, std::vector<std::string>{"add net default: gateway 10.7.0.2"});
  r = route({"add", "-host", "10.9.9.9", "10.7.0.3"});
  EXPECT_EQ(r.lines, std::vector<std::string>{"add host 10.9.9.9: gateway 10.7.0.3"});
  r = route({"add", "-net", "10.20.0.0/16", "10.7.0.4"});
  EXPECT_EQ(r.lines, std::vector<std::string>{"add net 10.20.0.0: gateway 10.7.0.4"});
  r = route({"change", "-net", "10.20.0.0/16", "10.7.0.5"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.lines, std::vector<std::string>{"change net 10.20.0.0: gateway 10.7.0.5"});
  EXPECT_EQ(host_->inet().routes().Lookup(inet_testing::Ip("10.20.1.1"))->gateway,
            inet_testing::Ip("10.7.0.5"));
  r = route({"-n", "get", "10.20.1.1"});
  EXPECT_EQ(r.status, 0);
  ASSERT_GE(r.lines.size(), 7u);
  EXPECT_EQ(std::vector<std::string>(r.lines.begin(), r.lines.begin() + 7),
            (std::vector<std::string>{"   route to: 10.20.1.1", "destination: 10.20.0.0",
                                      "       mask: 255.255.0.0", "    gateway: 10.7.0.5",
                                      " local addr: 10.7.0.1", "  interface: shmif0",
                                      "      flags: <UP,GATEWAY,DONE,STATIC>"}));
  r = route({"add", "-net", "10.20.0.0/16", "10.7.0.4"});
  EXPECT_EQ(r.status, 1);
  r = route({"delete", "default"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.lines, std::vector<std::string>{"delete net default"});
  r = route({"delete", "default"});
  EXPECT_EQ(r.status, 1);
  r = route({"flush"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.lines, (std::vector<std::string>{"10/0                 10.7.0.3             done",
                                               "10/0                 10.7.0.5             done"}));
  // Only the interface's own routes are left.
  for (const inet::Route& e : host_->inet().routes().Entries()) EXPECT_TRUE(e.is_interface);
}

// NetBSD's ifconfig: `ifconfig -a` and `ifconfig shmif0` print what they
// print against a NetBSD rump_server with the same interfaces, and exit 0.
// It reads the interfaces through NET_RT_IFLIST (getifaddrs), then asks
// SIOCGIFFLAGS, SIOCGIFMTU, SIOCGLIFADDR on an AF_LINK socket (the
// "address:" line), SIOCGLINKSTR, SIOCGIFMEDIA, and for each inet address
// SIOCGIFADDRPREF, SIOCGIFALIAS and SIOCGIFAFLAG_IN ("detached" while down).
TEST_F(NetbsdToolsTest, IfconfigPrintsOurInterfacesAsNetbsds) {
  const std::vector<uint8_t> mac = host_->ifp().lladdr();
  ASSERT_EQ(mac.size(), 6u);
  const std::string address = absl::StrFormat("\taddress: %02x:%02x:%02x:%02x:%02x:%02x", mac[0],
                                               mac[1], mac[2], mac[3], mac[4], mac[5]);
  // Our shmif has media (autoselect and none, to unplug it), which the
  // peer's NetBSD 7.99.34 shmif lacks: ifconfig prints two more lines for
  // it, "media:" and "status:". The rest must be what NetBSD prints.
  auto without_media = [](const std::vector<std::string>& lines) {
    std::vector<std::string> out;
    for (const std::string& l : lines) {
      if (absl::StartsWith(l, "\tmedia: ") || absl::StartsWith(l, "\tstatus: ")) continue;
      out.push_back(l);
    }
    return out;
  };
  // The kernel has inet6 too (as NetBSD's with rumpnet_netinet6): the
  // link-local address shmif0 got when it came up (fe80:: and the modified
  // EUI-64 of its MAC), listed before inet as NetBSD lists it.
  MacAddress m;
  std::copy(mac.begin(), mac.end(), m.begin());
  const std::string link_local =
      inet6::SlaacAddress(*inet6::In6Address::Parse("fe80::"), inet6::InterfaceIdFromMac(m))
          .ToString();
  const std::string inet6_line = "\tinet6 " + link_local + "%shmif0 prefixlen 64 scopeid 0x2";
  const std::vector<std::string> shmif0 = {
      "shmif0: flags=0x8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> mtu 1500",
      address,
      "\tlinkstr: " + work_ + "/bus",
      inet6_line,
      "\tinet 10.7.0.1 netmask 0xffffff00 broadcast 10.7.0.255",
  };

  Run all = Tool("ifconfig", {"-a"});
  for (const std::string& line : all.lines) std::cout << "ifconfig -a: " << line << "\n";
  EXPECT_EQ(all.status, 0);
  std::vector<std::string> want = {
      "lo0: flags=0x8049<UP,LOOPBACK,RUNNING,MULTICAST> mtu 33624",
      "\tinet6 ::1 prefixlen 128",
      "\tinet6 fe80::1%lo0 prefixlen 64 scopeid 0x1",
      "\tinet 127.0.0.1 netmask 0xff000000",
  };
  want.insert(want.end(), shmif0.begin(), shmif0.end());
  EXPECT_EQ(without_media(all.lines), want);

  Run one = Tool("ifconfig", {"shmif0"});
  for (const std::string& line : one.lines) std::cout << "ifconfig shmif0: " << line << "\n";
  EXPECT_EQ(one.status, 0);
  EXPECT_EQ(without_media(one.lines), shmif0);

  // Down (through NetBSD's ifconfig too): the address is detached.
  Run down = Tool("ifconfig", {"shmif0", "down"});
  EXPECT_EQ(down.status, 0);
  EXPECT_EQ(host_->ifp().flags() & abi::kIFF_UP, 0u);
  Run detached = Tool("ifconfig", {"shmif0"});
  for (const std::string& line : detached.lines) std::cout << "down: " << line << "\n";
  EXPECT_EQ(detached.status, 0);
  EXPECT_EQ(without_media(detached.lines),
            (std::vector<std::string>{
                "shmif0: flags=0x8802<BROADCAST,SIMPLEX,MULTICAST> mtu 1500",
                address,
                "\tlinkstr: " + work_ + "/bus",
                "\tinet6 " + link_local + "%shmif0 prefixlen 64 detached scopeid 0x2",
                "\tinet 10.7.0.1 netmask 0xffffff00 broadcast 10.7.0.255 detached",
            }));
}

}  // namespace
}  // namespace rump
