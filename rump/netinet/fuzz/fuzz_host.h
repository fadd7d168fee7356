// FuzzedHost: the kernel the frame fuzzer attacks, and the checks that it
// survives.
//
// One kernel with the net, inet and shmif components, and one Ethernet
// interface, fuzz0, whose driver is a tap instead of a bus: frames are
// handed to Interface::Input (the entry point a driver's receive thread
// calls) on the caller's thread, so that a frame's whole input path runs
// before InjectFrame returns, with no bus file and no thread between the
// fuzzer and the stack; what the kernel transmits lands in the tap. The
// network is fuzz_network.h's: fuzz0 has 10.0.0.1/24 and 192.168.7.1/16,
// is up, has learned the peers' MACs from ARP replies, and the process has
// UDP sockets (wildcard, bound, connected, two sharing a port), raw
// sockets (ICMP, an unbound and a connected one of other protocols) and a
// listening TCP socket open. Before each input, a TCP connection to the
// listener is established from a peer through the tap (its ISN read off
// the SYN-ACK the kernel sends), and the input's segments for it are
// shifted into its sequence space; after the input it is aborted, as is
// whatever the listener queued, and the listener is opened anew
// (fuzz_network.h).
// ICMP errors are not rate limited, so that what the kernel sends depends
// on the input only.
//
// Checked, and reported with a message and abort() (libFuzzer's crash):
//  * every frame the kernel transmits is well formed: our MAC as source,
//    lengths and checksums right, our address as source (or, for a packet
//    forwarded back out, a source naming one host and a destination
//    in_canforward allows), never an IP packet to a broadcast, multicast or
//    our own address, never an ICMP error about
//    an ICMP error, a broadcast or a non-first fragment, ARP only about our
//    addresses;
//  * every TCP segment transmitted has its data offset and checksum right;
//  * after each input, the kernel still answers: a ping from kPeers[0] gets
//    its reply at once, and a datagram to 10.0.0.1:7001 is received; before
//    each, the listener answers a SYN and accepts the connection;
//  * every datagram a socket holds is well formed (raw IP: the header as
//    NetBSD's rip_input hands it up), and draining a socket ends;
//  * the bounded tables stay within their bounds (reassembly, ARP);
//  * every frame handed over is counted once by the interface.
//
// Not thread-safe: one thread feeds it (the kernel's own threads run
// underneath).
#ifndef RUMP_NETINET_FUZZ_FUZZ_HOST_H_
#define RUMP_NETINET_FUZZ_FUZZ_HOST_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/types/span.h"
#include "rump/kern/kernel.h"
#include "rump/net/interface.h"
#include "rump/net/net_stack.h"
#include "rump/netinet/fuzz/frame_builder.h"
#include "rump/netinet/inet.h"

namespace rump::inet_fuzz {

class WireTap;

class FuzzedHost {
 public:
  // Boots and configures the kernel; aborts if any step fails.
  FuzzedHost();
  ~FuzzedHost();
  FuzzedHost(const FuzzedHost&) = delete;
  FuzzedHost& operator=(const FuzzedHost&) = delete;

  // One fuzz input (frame_builder.h's frame list): every frame injected,
  // the sockets drained, then the checks above.
  void RunInput(absl::Span<const uint8_t> input);

  // Hands `frame` to fuzz0's input path.
  void InjectFrame(absl::Span<const uint8_t> frame);
  // Receives (without blocking) everything the sockets hold, checking it.
  void DrainSockets();
  // The ping and datagram probes; aborts if either goes unanswered.
  void CheckStillServing();
  // The tables' bounds and the interface's input count.
  void CheckBounds();

  Kernel& kernel() { return *kernel_; }
  Inet& inet() { return *inet_; }
  Interface& interface() { return *ifp_; }
  // Frames the kernel has transmitted on fuzz0.
  uint64_t frames_transmitted() const;
  uint64_t inputs_run() const { return inputs_run_; }

 private:
  struct OpenSocket {
    int fd = -1;
    bool raw = false;
  };
  int64_t Call(int number, std::vector<uint64_t> args, int* error = nullptr);
  int OpenUdp(uint32_t addr, uint16_t port, bool reuse_port, bool recv_dstaddr);
  int OpenRaw(int proto);
  void BindOrConnect(int number, int fd, uint32_t addr, uint16_t port);
  void LearnPeers();
  // The TCP connection of fuzz_network.h: established before an input,
  // aborted (with what the listener queued) after it.
  void EstablishTcp();
  void AbortTcp();
  void AbortSocket(int fd);
  void OpenTcpListener();
  // Shifts the kernel's sequence numbers in a segment for the connection
  // from kTcpHostIss to its real ISN.
  void ShiftTcpSequence(Frame& f) const;
  void DrainTcp();
  void CheckReceived(const OpenSocket& s, absl::Span<const uint8_t> data);

  std::unique_ptr<Kernel> kernel_;
  NetStack* net_ = nullptr;
  Inet* inet_ = nullptr;
  std::shared_ptr<Interface> ifp_;
  std::shared_ptr<WireTap> tap_;
  std::vector<OpenSocket> sockets_;
  int udp_host_fd_ = -1;  // 10.0.0.1:7001, the datagram probe's target
  int tcp_listener_fd_ = -1;
  int tcp_conn_fd_ = -1;         // the accepted connection, during an input
  uint32_t tcp_host_iss_ = 0;    // its real ISN
  uint64_t frames_injected_ = 0;
  uint64_t inputs_run_ = 0;
  uint16_t probe_seq_ = 0;
  std::vector<uint8_t> recv_buf_;
};

}  // namespace rump::inet_fuzz

#endif  // RUMP_NETINET_FUZZ_FUZZ_HOST_H_
