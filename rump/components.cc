#include "rump/components.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "rump/dev/shmif/shmif.h"
#include "rump/dev/slirp/slirp.h"
#include "rump/dev/virt/virt.h"
#include "rump/net/net_stack.h"
#include "rump/netinet/inet.h"
#include "rump/netinet6/inet6.h"

namespace rump {
namespace {

// The components, in boot order.
enum class Piece { kNet, kInet, kInet6, kShmif, kVirt, kSlirp };

ComponentFactory FactoryFor(Piece p) {
  switch (p) {
    case Piece::kNet:
      return [] { return std::make_unique<NetStack>(); };
    case Piece::kInet:
      return [] { return std::make_unique<Inet>(); };
    case Piece::kInet6:
      return [] { return std::make_unique<Inet6>(); };
    case Piece::kShmif:
      return [] { return std::make_unique<Shmif>(); };
    case Piece::kVirt:
      return [] { return std::make_unique<Virtif>(); };
    case Piece::kSlirp:
      return [] { return std::make_unique<Slirpif>(); };
  }
  return nullptr;
}

// What a NetBSD rump library name brings, prerequisites included.
//   rumpnet, rumpnet_net  the network base and interfaces (NetStack)
//   rumpnet_netinet       IPv4: ARP, IP, ICMP, UDP, raw IP (Inet; needs NetStack)
//   rumpnet_netinet6      IPv6, first slice: addresses, ND, ICMPv6 echo
//                         (Inet6; needs NetStack)
//   rumpnet_shmif         shmif interfaces (needs NetStack)
//   rumpnet_virtif        virt interfaces on Linux tap devices (needs NetStack)
//   rumpnet_slirp         slirp interfaces, user-mode NAT to the host (ours,
//                         not NetBSD's; needs NetStack)
//   rumpnet_config        <rump/netconfig.h> (capi/netconfig.cc), which
//                         configures interfaces (NetStack); its IPv4 calls
//                         answer EAFNOSUPPORT unless rumpnet_netinet is
//                         there too, as NetBSD's without an inet domain
// Known names that add nothing yet: the base libraries (rump, rumpuser,
// rumpkern, rumpkern_sysproxy, rumpdev, rumpvfs) and the protocol libraries
// still to come (rumpnet_local).
bool PiecesFor(const std::string& name, std::vector<Piece>* out) {
  if (name == "rumpnet" || name == "rumpnet_net") {
    out->push_back(Piece::kNet);
    return true;
  }
  if (name == "rumpnet_netinet") {
    out->push_back(Piece::kNet);
    out->push_back(Piece::kInet);
    return true;
  }
  if (name == "rumpnet_netinet6") {
    out->push_back(Piece::kNet);
    out->push_back(Piece::kInet6);
    return true;
  }
  if (name == "rumpnet_config") {
    out->push_back(Piece::kNet);
    return true;
  }
  if (name == "rumpnet_shmif") {
    out->push_back(Piece::kNet);
    out->push_back(Piece::kShmif);
    return true;
  }
  if (name == "rumpnet_virtif") {
    out->push_back(Piece::kNet);
    out->push_back(Piece::kVirt);
    return true;
  }
  if (name == "rumpnet_slirp") {
    out->push_back(Piece::kNet);
    out->push_back(Piece::kSlirp);
    return true;
  }
  static const char* const kNothingYet[] = {
      "rump",      "rumpuser",        "rumpkern",          "rumpkern_sysproxy",
      "rumpdev",   "rumpvfs",         "rumpnet_local"};
  return std::find(std::begin(kNothingYet), std::end(kNothingYet), name) !=
         std::end(kNothingYet);
}

}  // namespace

absl::StatusOr<std::vector<ComponentFactory>> ComponentsFor(
    const std::vector<std::string>& library_names) {
  std::vector<Piece> pieces;
  for (const std::string& name : library_names) {
    if (!PiecesFor(name, &pieces)) {
      return absl::NotFoundError(absl::StrCat("unknown rump component library: ", name));
    }
  }
  std::sort(pieces.begin(), pieces.end());
  pieces.erase(std::unique(pieces.begin(), pieces.end()), pieces.end());
  std::vector<ComponentFactory> factories;
  for (Piece p : pieces) factories.push_back(FactoryFor(p));
  return factories;
}

std::vector<ComponentFactory> AllComponents() {
  return {FactoryFor(Piece::kNet),   FactoryFor(Piece::kInet),  FactoryFor(Piece::kInet6),
          FactoryFor(Piece::kShmif),
          FactoryFor(Piece::kVirt), FactoryFor(Piece::kSlirp)};
}

}  // namespace rump
