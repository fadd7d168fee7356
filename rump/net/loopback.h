// The loopback driver and its cloner "lo" (NetBSD's if_loop.c): lo<N> has
// flags LOOPBACK|MULTICAST|RUNNING and MTU 33624; what it transmits it
// receives back at once. lo0 cannot be destroyed (EPERM).
//
// A loopback frame is a packet of some address family behind the 4-byte
// header of DLT_NULL (the family as a host-order 32-bit integer), so that
// input can hand it to the family that sent it and a capture of lo0 reads
// as one of NetBSD's does. Families send with LoopOutput; NetStack
// dispatches what comes back to the family's loopback input.
#ifndef RUMP_NET_LOOPBACK_H_
#define RUMP_NET_LOOPBACK_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "rump/net/interface.h"

namespace rump {

inline constexpr size_t kLoopHeaderLen = 4;

std::unique_ptr<InterfaceCloner> MakeLoopbackCloner();

// Transmits `packet` of address family `family` on the loopback interface
// `ifp` (NetBSD's looutput).
absl::Status LoopOutput(Interface& ifp, int family, absl::Span<const uint8_t> packet);

// Splits a loopback frame into its family and packet; false for a frame
// shorter than the header.
bool ParseLoopFrame(absl::Span<const uint8_t> frame, int* family,
                    absl::Span<const uint8_t>* packet);

}  // namespace rump

#endif  // RUMP_NET_LOOPBACK_H_
