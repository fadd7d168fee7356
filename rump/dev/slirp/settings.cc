#include "rump/dev/slirp/settings.h"

#include <arpa/inet.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace rump {
namespace {

bool ParseAddr(absl::string_view text, uint32_t* out) {
  struct in_addr a;
  if (inet_pton(AF_INET, std::string(text).c_str(), &a) != 1) return false;
  *out = ntohl(a.s_addr);
  return true;
}

std::string Dotted(uint32_t host_order) {
  struct in_addr a;
  a.s_addr = htonl(host_order);
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof(buf));
  return buf;
}

bool ParsePort(absl::string_view text, uint16_t* out) {
  uint32_t v;
  if (!absl::SimpleAtoi(text, &v) || v == 0 || v > 65535) return false;
  *out = uint16_t(v);
  return true;
}

absl::Status Bad(absl::string_view part, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("slirp link string: '", part, "': ", why));
}

// tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT
absl::StatusOr<SlirpSettings::Forward> ParseForward(absl::string_view part,
                                                   absl::string_view value) {
  SlirpSettings::Forward f;
  std::vector<absl::string_view> proto = absl::StrSplit(value, absl::MaxSplits(':', 1));
  if (proto.size() != 2 || (proto[0] != "tcp" && proto[0] != "udp")) {
    return Bad(part, "expected tcp: or udp: first");
  }
  f.udp = proto[0] == "udp";
  std::vector<absl::string_view> sides = absl::StrSplit(proto[1], '-');
  if (sides.size() != 2) return Bad(part, "expected [HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT");
  for (int i = 0; i < 2; ++i) {
    std::vector<absl::string_view> ap = absl::StrSplit(sides[i], ':');
    if (ap.size() != 2) return Bad(part, "expected ADDR:PORT on each side of '-'");
    uint32_t* addr = i == 0 ? &f.host_addr : &f.guest_addr;
    uint16_t* port = i == 0 ? &f.host_port : &f.guest_port;
    if (!ap[0].empty() && !ParseAddr(ap[0], addr)) return Bad(part, "bad address");
    if (!ParsePort(ap[1], port)) return Bad(part, "bad port (1..65535)");
  }
  return f;
}

}  // namespace

std::string SlirpSettings::ToString() const {
  std::string s = absl::StrCat("net=", Dotted(network), "/", prefix_len, ",host=", Dotted(host),
                               ",dns=", Dotted(dns));
  for (const Forward& f : forwards) {
    absl::StrAppend(&s, ",hostfwd=", f.udp ? "udp:" : "tcp:", Dotted(f.host_addr), ":",
                    f.host_port, "-", Dotted(f.guest_addr == 0 ? default_guest() : f.guest_addr),
                    ":", f.guest_port);
  }
  return s;
}

absl::StatusOr<SlirpSettings> ParseSlirpSettings(absl::string_view linkstr) {
  SlirpSettings s;
  bool host_given = false, dns_given = false;
  for (absl::string_view part : absl::StrSplit(linkstr, ',', absl::SkipEmpty())) {
    std::vector<absl::string_view> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
    if (kv.size() != 2) return Bad(part, "expected KEY=VALUE");
    const absl::string_view key = kv[0], value = kv[1];
    if (key == "net") {
      std::vector<absl::string_view> np = absl::StrSplit(value, '/');
      int len = 24;
      if (np.size() > 2 || !ParseAddr(np[0], &s.network) ||
          (np.size() == 2 && !absl::SimpleAtoi(np[1], &len))) {
        return Bad(part, "expected net=A.B.C.D/LEN");
      }
      if (len < 8 || len > 30) return Bad(part, "prefix length outside 8..30");
      s.prefix_len = len;
      s.network &= s.netmask();
    } else if (key == "host") {
      if (!ParseAddr(value, &s.host)) return Bad(part, "bad address");
      host_given = true;
    } else if (key == "dns") {
      if (!ParseAddr(value, &s.dns)) return Bad(part, "bad address");
      dns_given = true;
    } else if (key == "hostfwd") {
      absl::StatusOr<SlirpSettings::Forward> f = ParseForward(part, value);
      if (!f.ok()) return f.status();
      s.forwards.push_back(*f);
    } else {
      return Bad(part, "unknown key (net, host, dns, hostfwd)");
    }
  }
  // Host and DNS follow the network unless given: its .2 and .3.
  if (!host_given) s.host = s.network | 2;
  if (!dns_given) s.dns = s.network | 3;
  if ((s.host & s.netmask()) != s.network) return Bad("host", "outside the network");
  if ((s.dns & s.netmask()) != s.network) return Bad("dns", "outside the network");
  for (SlirpSettings::Forward& f : s.forwards) {
    if (f.guest_addr == 0) f.guest_addr = s.default_guest();
    if ((f.guest_addr & s.netmask()) != s.network) {
      return Bad("hostfwd", "guest address outside the network");
    }
  }
  return s;
}

}  // namespace rump
