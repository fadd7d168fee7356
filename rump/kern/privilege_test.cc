// The decisions of rump/kern/privilege.h on their own: root (effective uid
// 0) is allowed everything; anyone else gets NetBSD's errno for what needs
// root and OK for the rest.
#include "rump/kern/privilege.h"

#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/route.h"
#include "rump/abi/socket.h"

namespace rump {
namespace {

const Credentials kRoot{};
const Credentials kUser{1000, 1000, 100, 100};
const Credentials kSetuidRoot{1000, 0, 100, 100};  // effective root
const Credentials kDroppedRoot{0, 1000, 0, 100};   // real root only

int E(const absl::Status& s) { return abi::ToErrno(s); }

TEST(PrivilegeDecisionTest, RootIsTheEffectiveUid) {
  EXPECT_TRUE(privilege::IsRoot(kRoot));
  EXPECT_TRUE(privilege::IsRoot(kSetuidRoot));
  EXPECT_FALSE(privilege::IsRoot(kUser));
  EXPECT_FALSE(privilege::IsRoot(kDroppedRoot));
}

TEST(PrivilegeDecisionTest, InterfaceChangesNeedRoot) {
  for (uint64_t cmd : {abi::kSIOCIFCREATE, abi::kSIOCIFDESTROY, abi::kSIOCSIFFLAGS,
                       abi::kSIOCSIFMTU, abi::kSIOCSIFMETRIC, abi::kSIOCSIFCAP,
                       abi::kSIOCSIFMEDIA, abi::kSIOCZIFDATA, abi::kSIOCADDMULTI,
                       abi::kSIOCDELMULTI, abi::kSIOCSDRVSPEC, abi::kSIOCSLINKSTR,
                       abi::kSIOCALIFADDR, abi::kSIOCDLIFADDR, abi::kSIOCSIFADDRPREF,
                       abi::kSIOCSIFADDR, abi::kSIOCSIFNETMASK, abi::kSIOCSIFDSTADDR,
                       abi::kSIOCSIFBRDADDR, abi::kSIOCAIFADDR, abi::kSIOCDIFADDR}) {
    EXPECT_EQ(E(privilege::InterfaceIoctl(kUser, cmd)), abi::kEPERM) << std::hex << cmd;
    EXPECT_EQ(E(privilege::InterfaceIoctl(kDroppedRoot, cmd)), abi::kEPERM) << std::hex << cmd;
    EXPECT_TRUE(privilege::InterfaceIoctl(kRoot, cmd).ok()) << std::hex << cmd;
    EXPECT_TRUE(privilege::InterfaceIoctl(kSetuidRoot, cmd).ok()) << std::hex << cmd;
  }
  for (uint64_t cmd : {abi::kSIOCGIFFLAGS, abi::kSIOCGIFMTU, abi::kSIOCGIFADDR,
                       abi::kSIOCGIFCONF, abi::kSIOCIFGCLONERS, abi::kSIOCGIFDATA,
                       abi::kSIOCGLINKSTR, abi::kSIOCGIFALIAS, abi::kSIOCGLIFADDR}) {
    EXPECT_TRUE(privilege::InterfaceIoctl(kUser, cmd).ok()) << std::hex << cmd;
  }
}

TEST(PrivilegeDecisionTest, RouteChangesNeedRootGetDoesNot) {
  for (int type : {int(abi::kRTM_ADD), int(abi::kRTM_DELETE), int(abi::kRTM_CHANGE), 0x55}) {
    EXPECT_EQ(E(privilege::RouteMessage(kUser, type)), abi::kEACCES) << type;
    EXPECT_TRUE(privilege::RouteMessage(kRoot, type).ok()) << type;
  }
  EXPECT_TRUE(privilege::RouteMessage(kUser, abi::kRTM_GET).ok());
}

TEST(PrivilegeDecisionTest, RawSocketsNeedRootOutsidePfRoute) {
  EXPECT_EQ(E(privilege::OpenSocket(kUser, abi::kAF_INET, abi::kSOCK_RAW)), abi::kEPERM);
  EXPECT_EQ(E(privilege::OpenSocket(kUser, abi::kAF_LINK, abi::kSOCK_RAW)), abi::kEPERM);
  EXPECT_EQ(E(privilege::OpenSocket(kUser, 99, abi::kSOCK_RAW)), abi::kEPERM);
  EXPECT_TRUE(privilege::OpenSocket(kUser, abi::kAF_ROUTE, abi::kSOCK_RAW).ok());
  EXPECT_TRUE(privilege::OpenSocket(kUser, abi::kAF_OROUTE, abi::kSOCK_RAW).ok());
  EXPECT_TRUE(privilege::OpenSocket(kUser, abi::kAF_INET, abi::kSOCK_DGRAM).ok());
  EXPECT_TRUE(privilege::OpenSocket(kUser, abi::kAF_INET, abi::kSOCK_STREAM).ok());
  EXPECT_TRUE(privilege::OpenSocket(kRoot, abi::kAF_INET, abi::kSOCK_RAW).ok());
}

TEST(PrivilegeDecisionTest, ReservedPortsNeedRoot) {
  for (int port : {1, 80, 1023}) {
    EXPECT_EQ(E(privilege::BindPort(kUser, uint16_t(port))), abi::kEACCES) << port;
    EXPECT_TRUE(privilege::BindPort(kRoot, uint16_t(port)).ok()) << port;
  }
  for (int port : {0, 1024, 65535}) {
    EXPECT_TRUE(privilege::BindPort(kUser, uint16_t(port)).ok()) << port;
  }
}

TEST(PrivilegeDecisionTest, RebootNeedsRoot) {
  EXPECT_EQ(E(privilege::Reboot(kUser)), abi::kEPERM);
  EXPECT_TRUE(privilege::Reboot(kRoot).ok());
}

}  // namespace
}  // namespace rump
