#include <array>

#include "capi/capi_internal.h"
#include "rump/abi/errno.h"
#include "rump/rumperrno2host.h"

namespace rump::capi {
namespace {

// The inverse of rump_errno2host(), so both directions come from one list.
// Host values are small (Linux: < 134); the first NetBSD name wins where two
// share a host value (EOPNOTSUPP and ENOTSUP are both 95 on Linux).
constexpr int kMaxHostErrno = 256;

std::array<int, kMaxHostErrno> MakeTable() {
  std::array<int, kMaxHostErrno> t{};
  for (int nb = abi::kELAST; nb >= 1; --nb) {
    const int host = rump_errno2host(nb);
    if (host <= 0 || host >= kMaxHostErrno) continue;
    if (host == rump_errno2host(abi::kEINVAL) && nb != abi::kEINVAL) continue;
    t[host] = nb;  // descending, so the lowest NetBSD number stays
  }
  return t;
}

}  // namespace

int HostToNetbsdErrno(int host_errno) {
  static const std::array<int, kMaxHostErrno> table = MakeTable();
  if (host_errno == 0) return 0;
  if (host_errno < 0 || host_errno >= kMaxHostErrno || table[host_errno] == 0) {
    return abi::kEINVAL;
  }
  return table[host_errno];
}

}  // namespace rump::capi
