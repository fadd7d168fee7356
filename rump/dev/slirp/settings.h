// SlirpSettings: what a slirp interface's link string says (see slirp.h):
// the virtual network, the host's and the DNS forwarder's addresses on it,
// and the host ports forwarded into the kernel.
#ifndef RUMP_DEV_SLIRP_SETTINGS_H_
#define RUMP_DEV_SLIRP_SETTINGS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rump {

struct SlirpSettings {
  // IPv4 addresses in host byte order.
  uint32_t network = 0x0a000200;  // 10.0.2.0
  int prefix_len = 24;
  uint32_t host = 0x0a000202;     // 10.0.2.2: the gateway, the host's loopback
  uint32_t dns = 0x0a000203;      // 10.0.2.3

  struct Forward {
    bool udp = false;
    uint32_t host_addr = 0x7f000001;  // 127.0.0.1
    uint16_t host_port = 0;
    uint32_t guest_addr = 0;          // 0: the network's .15
    uint16_t guest_port = 0;
  };
  std::vector<Forward> forwards;

  uint32_t netmask() const { return prefix_len == 0 ? 0 : ~uint32_t(0) << (32 - prefix_len); }
  // The address a forward without one goes to: the network's .15.
  uint32_t default_guest() const { return (network & netmask()) | 15; }

  // The settings as a link string that Parse gives back.
  std::string ToString() const;
};

// Parses a link string ("" is every default). InvalidArgument names the
// part that is wrong: an unknown key, a bad address or port, a host or DNS
// address outside the network, a prefix outside 8..30.
absl::StatusOr<SlirpSettings> ParseSlirpSettings(absl::string_view linkstr);

}  // namespace rump

#endif  // RUMP_DEV_SLIRP_SETTINGS_H_
