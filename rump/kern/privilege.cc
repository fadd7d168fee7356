#include "rump/kern/privilege.h"

#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/in.h"
#include "rump/abi/route.h"
#include "rump/abi/socket.h"

namespace rump {
namespace privilege {
namespace {

// The interface ioctls that change something (those of NetBSD's ifioctl
// and in_control that ask for KAUTH_REQ_NETWORK_INTERFACE_SETPRIV), of the
// ones this kernel knows.
bool ChangesInterface(uint64_t cmd) {
  switch (cmd) {
    case abi::kSIOCIFCREATE:
    case abi::kSIOCIFDESTROY:
    case abi::kSIOCSIFFLAGS:
    case abi::kSIOCSIFMETRIC:
    case abi::kSIOCSIFMTU:
    case abi::kSIOCSIFCAP:
    case abi::kSIOCSIFMEDIA:
    case abi::kSIOCZIFDATA:
    case abi::kSIOCADDMULTI:
    case abi::kSIOCDELMULTI:
    case abi::kSIOCSDRVSPEC:
    case abi::kSIOCSLINKSTR:
    case abi::kSIOCALIFADDR:
    case abi::kSIOCDLIFADDR:
    case abi::kSIOCSIFADDRPREF:
    case abi::kSIOCSIFADDR:
    case abi::kSIOCSIFNETMASK:
    case abi::kSIOCSIFDSTADDR:
    case abi::kSIOCSIFBRDADDR:
    case abi::kSIOCAIFADDR:
    case abi::kSIOCDIFADDR:
      return true;
    default:
      return false;
  }
}

}  // namespace

bool IsRoot(const Credentials& cred) { return cred.euid == 0; }

absl::Status InterfaceIoctl(const Credentials& cred, uint64_t cmd) {
  if (IsRoot(cred) || !ChangesInterface(cmd)) return absl::OkStatus();
  return abi::Errno(abi::kEPERM, "interface configuration needs root");
}

absl::Status RouteMessage(const Credentials& cred, int rtm_type) {
  if (IsRoot(cred) || rtm_type == abi::kRTM_GET) return absl::OkStatus();
  return abi::Errno(abi::kEACCES, "changing routes needs root");
}

absl::Status OpenSocket(const Credentials& cred, int domain, int type) {
  if (IsRoot(cred) || type != abi::kSOCK_RAW) return absl::OkStatus();
  if (domain == abi::kAF_ROUTE || domain == abi::kAF_OROUTE) return absl::OkStatus();
  return abi::Errno(abi::kEPERM, "raw sockets need root");
}

absl::Status BindPort(const Credentials& cred, uint16_t port) {
  if (IsRoot(cred) || port == 0 || port >= abi::kIPPORT_RESERVED) return absl::OkStatus();
  return abi::Errno(abi::kEACCES, "reserved ports need root");
}

absl::Status Reboot(const Credentials& cred) {
  if (IsRoot(cred)) return absl::OkStatus();
  return abi::Errno(abi::kEPERM, "reboot needs root");
}

absl::Status SetIds(const Credentials& cred) {
  if (IsRoot(cred)) return absl::OkStatus();
  return abi::Errno(abi::kEPERM, "setting ids needs root");
}

}  // namespace privilege
}  // namespace rump
