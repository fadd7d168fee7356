// The loopback driver and its cloner "lo" (NetBSD's if_loop.c): lo<N> has
// flags LOOPBACK|MULTICAST|RUNNING and MTU 33624; what it transmits it
// receives back at once. lo0 cannot be destroyed (EPERM).
#ifndef RUMP_NET_LOOPBACK_H_
#define RUMP_NET_LOOPBACK_H_

#include <memory>

#include "rump/net/interface.h"

namespace rump {

std::unique_ptr<InterfaceCloner> MakeLoopbackCloner();

}  // namespace rump

#endif  // RUMP_NET_LOOPBACK_H_
