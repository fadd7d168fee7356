// bus_chat: one side of the shmif demo. Attaches to a bus file as a host with
// an Ethernet and an IPv4 address, announces itself with an ARP request for
// its peer, sends COUNT UDP datagrams to the peer, and prints every frame it
// receives from the other side until it has COUNT datagrams from the peer.
//
//   bus_chat BUS NAME MY_IP PEER_IP COUNT
//
// It reads the bus from its oldest frame, so two bus_chats started one after
// the other still see each other's whole conversation.
#include <arpa/inet.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "shmif/bus.h"
#include "shmif/demo/protocol_frames.h"

namespace {

using shmif::demo::Ipv4Address;
using shmif::demo::MacAddress;

constexpr uint16_t kPort = 7777;

bool ParseIp(const char* text, Ipv4Address* out) {
  in_addr a;
  if (inet_pton(AF_INET, text, &a) != 1) return false;
  std::memcpy(out->data(), &a, 4);
  return true;
}

std::string FormatMac(const uint8_t* m) {
  return absl::StrFormat("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
                         m[4], m[5]);
}

// A one-line description of a received frame.
std::string Describe(const uint8_t* f, uint32_t len) {
  const uint16_t type = uint16_t(f[12] << 8 | f[13]);
  std::string from = FormatMac(f + 6);
  if (type == 0x0806 && len >= 42) {
    return absl::StrFormat("ARP from %s: who has %d.%d.%d.%d?", from, f[38], f[39],
                           f[40], f[41]);
  }
  if (type == 0x0800 && len >= 42 && f[23] == 17) {
    const size_t ihl = (f[14] & 0x0f) * 4;
    const size_t data = 14 + ihl + 8;
    if (data <= len) {
      return absl::StrFormat("UDP from %d.%d.%d.%d (%s): \"%s\"", f[26], f[27], f[28],
                             f[29], from,
                             std::string(reinterpret_cast<const char*>(f) + data,
                                         len - data));
    }
  }
  return absl::StrFormat("frame of %u bytes from %s", len, from);
}

}  // namespace

int main(int argc, char** argv) {
  Ipv4Address me, peer;
  int count = 0;
  if (argc != 6 || !ParseIp(argv[3], &me) || !ParseIp(argv[4], &peer) ||
      !absl::SimpleAtoi(argv[5], &count) || count < 1) {
    fprintf(stderr, "usage: bus_chat BUS NAME MY_IP PEER_IP COUNT\n");
    return 1;
  }
  const std::string name = argv[2];
  auto bus = shmif::Bus::Attach(argv[1], {.read_from = shmif::ReadFrom::kOldest});
  if (!bus.ok()) {
    fprintf(stderr, "bus_chat: %s\n", std::string(bus.status().message()).c_str());
    return 1;
  }
  // A shmif-style MAC: b2:a0 and the host part of the IPv4 address.
  const MacAddress mac = {0xb2, 0xa0, me[0], me[1], me[2], me[3]};
  const MacAddress broadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  printf("[%s] attached to %s as %s, %s\n", name.c_str(), argv[1],
         FormatMac(mac.data()).c_str(), argv[3]);

  if (absl::Status s = (*bus)->Send(shmif::demo::MakeArpRequest(mac, me, peer)); !s.ok()) {
    fprintf(stderr, "bus_chat: %s\n", s.ToString().c_str());
    return 1;
  }
  for (int i = 1; i <= count; ++i) {
    const std::string text = absl::StrCat("hello ", i, " from ", name);
    absl::Status s = (*bus)->Send(shmif::demo::MakeUdpFrame(
        broadcast, mac, me, peer, kPort, kPort, uint16_t(i), text));
    if (!s.ok()) {
      fprintf(stderr, "bus_chat: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  printf("[%s] sent an ARP request and %d UDP datagrams to %s\n", name.c_str(), count,
         argv[4]);
  fflush(stdout);

  std::vector<uint8_t> buf(shmif::kMaxFrameLen);
  int from_peer = 0;
  while (from_peer < count) {
    auto got = (*bus)->Receive(absl::MakeSpan(buf), absl::Seconds(10));
    if (!got.ok()) {
      fprintf(stderr, "bus_chat: %s\n", std::string(got.status().message()).c_str());
      return 1;
    }
    printf("[%s] received %s\n", name.c_str(), Describe(buf.data(), got->len).c_str());
    fflush(stdout);
    if (got->len >= 34 && std::memcmp(buf.data() + 26, peer.data(), 4) == 0 &&
        buf[23] == 17) {
      ++from_peer;
    }
  }
  return 0;
}
