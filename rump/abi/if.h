// NetBSD network interface ABI (sys/net/if.h, if_media.h, if_types.h,
// sys/sys/sockio.h; NetBSD 7.99.34, amd64): interface flags, link states,
// media words, interface types, the interface ioctl numbers, and the byte
// layouts of the structures they carry (struct ifreq, ifaliasreq, ifdrv,
// ifmediareq, ifconf, if_clonereq, ifdatareq, if_data), given as offsets
// because the kernel sees them as copied-in byte buffers.
#ifndef RUMP_ABI_IF_H_
#define RUMP_ABI_IF_H_

#include <cstddef>
#include <cstdint>

#include "rump/abi/ioctl.h"

namespace rump::abi {

inline constexpr size_t kIfNameSize = 16;  // IFNAMSIZ, NUL included
inline constexpr size_t kMaxPathLen = 1024;  // MAXPATHLEN (link strings)

// --- interface flags (if_flags, ifr_flags)
inline constexpr uint32_t kIFF_UP = 0x0001;
inline constexpr uint32_t kIFF_BROADCAST = 0x0002;
inline constexpr uint32_t kIFF_DEBUG = 0x0004;
inline constexpr uint32_t kIFF_LOOPBACK = 0x0008;
inline constexpr uint32_t kIFF_POINTOPOINT = 0x0010;
inline constexpr uint32_t kIFF_NOTRAILERS = 0x0020;
inline constexpr uint32_t kIFF_RUNNING = 0x0040;
inline constexpr uint32_t kIFF_NOARP = 0x0080;
inline constexpr uint32_t kIFF_PROMISC = 0x0100;
inline constexpr uint32_t kIFF_ALLMULTI = 0x0200;
inline constexpr uint32_t kIFF_OACTIVE = 0x0400;
inline constexpr uint32_t kIFF_SIMPLEX = 0x0800;
inline constexpr uint32_t kIFF_LINK0 = 0x1000;
inline constexpr uint32_t kIFF_LINK1 = 0x2000;
inline constexpr uint32_t kIFF_LINK2 = 0x4000;
inline constexpr uint32_t kIFF_MULTICAST = 0x8000;
// Flags SIOCSIFFLAGS cannot change.
inline constexpr uint32_t kIFF_CANTCHANGE =
    kIFF_BROADCAST | kIFF_POINTOPOINT | kIFF_RUNNING | kIFF_OACTIVE |
    kIFF_SIMPLEX | kIFF_MULTICAST | kIFF_ALLMULTI | kIFF_PROMISC;
static_assert(kIFF_CANTCHANGE == 0x8f52);

// --- link states (ifi_link_state)
inline constexpr int kLinkStateUnknown = 0;
inline constexpr int kLinkStateDown = 1;
inline constexpr int kLinkStateUp = 2;

// --- interface types (sys/net/if_types.h) and data link types (bpf)
inline constexpr uint8_t kIFT_ETHER = 6;
inline constexpr uint8_t kIFT_LOOP = 24;
inline constexpr int kDLT_NULL = 0;
inline constexpr int kDLT_EN10MB = 1;

// --- media words (sys/net/if_media.h)
inline constexpr uint32_t kIFM_TMASK = 0x1f;   // subtype
inline constexpr uint32_t kIFM_NMASK = 0xe0;   // network type
inline constexpr uint32_t kIFM_ETHER = 0x20;
inline constexpr uint32_t kIFM_AUTO = 0;
inline constexpr uint32_t kIFM_MANUAL = 1;
inline constexpr uint32_t kIFM_NONE = 2;
inline constexpr uint32_t kIFM_AVALID = 0x1;   // ifm_status: status is valid
inline constexpr uint32_t kIFM_ACTIVE = 0x2;   // ifm_status: link is up
inline constexpr uint32_t kMediaEtherAuto = kIFM_ETHER | kIFM_AUTO;
inline constexpr uint32_t kMediaEtherNone = kIFM_ETHER | kIFM_NONE;
static_assert(kMediaEtherAuto == 0x20 && kMediaEtherNone == 0x22);

// --- link-string commands (ifd_cmd of SIOCSLINKSTR / SIOCGLINKSTR)
inline constexpr uint64_t kIFLINKSTR_QUERYLEN = 0x01;
inline constexpr uint64_t kIFLINKSTR_UNSET = 0x02;

// --- struct ifreq (144 bytes: a 16-byte name and a 128-byte union)
inline constexpr size_t kIfreqSize = 144;
inline constexpr size_t kIfrNameOff = 0;
inline constexpr size_t kIfrUnionOff = 16;    // ifr_addr / ifr_space
inline constexpr size_t kIfrUnionSize = 128;
inline constexpr size_t kIfrAddrOff = 16;     // struct sockaddr
inline constexpr size_t kIfrFlagsOff = 16;    // short
inline constexpr size_t kIfrMetricOff = 16;   // int (also ifr_media)
inline constexpr size_t kIfrMediaOff = 16;    // int
inline constexpr size_t kIfrMtuOff = 16;      // int
inline constexpr size_t kIfrDltOff = 16;      // int
inline constexpr size_t kIfrIndexOff = 16;    // u_int
inline constexpr size_t kIfrAddrflagsOff = 16;  // int
inline constexpr size_t kIfrDataOff = 16;     // pointer

// --- struct ifaliasreq (64 bytes; IPv4 SIOCAIFADDR takes it)
inline constexpr size_t kIfaliasreqSize = 64;
inline constexpr size_t kIfraNameOff = 0;
inline constexpr size_t kIfraAddrOff = 16;
inline constexpr size_t kIfraBroadaddrOff = 32;  // = ifra_dstaddr
inline constexpr size_t kIfraMaskOff = 48;

// --- struct ifdrv (40 bytes; SIOCSLINKSTR / SIOCGLINKSTR)
inline constexpr size_t kIfdrvSize = 40;
inline constexpr size_t kIfdNameOff = 0;
inline constexpr size_t kIfdCmdOff = 16;   // unsigned long
inline constexpr size_t kIfdLenOff = 24;   // size_t
inline constexpr size_t kIfdDataOff = 32;  // pointer

// --- struct ifmediareq (48 bytes)
inline constexpr size_t kIfmediareqSize = 48;
inline constexpr size_t kIfmNameOff = 0;
inline constexpr size_t kIfmCurrentOff = 16;  // int
inline constexpr size_t kIfmMaskOff = 20;     // int
inline constexpr size_t kIfmStatusOff = 24;   // int
inline constexpr size_t kIfmActiveOff = 28;   // int
inline constexpr size_t kIfmCountOff = 32;    // int
inline constexpr size_t kIfmUlistOff = 40;    // int *

// --- struct if_laddrreq (280 bytes; SIOCGLIFADDR on an AF_LINK socket)
inline constexpr size_t kIfLaddrreqSize = 280;
inline constexpr size_t kIflrNameOff = 0;
inline constexpr size_t kIflrFlagsOff = 16;      // unsigned int
inline constexpr size_t kIflrPrefixlenOff = 20;  // unsigned int
inline constexpr size_t kIflrAddrOff = 24;       // struct sockaddr_storage
inline constexpr size_t kIflrDstaddrOff = 152;   // struct sockaddr_storage
inline constexpr uint32_t kIFLR_PREFIX = 0x8000;   // in: a prefix is given
inline constexpr uint32_t kIFLR_ACTIVE = 0x4000;   // the active link address
inline constexpr uint32_t kIFLR_FACTORY = 0x2000;  // the factory link address

// --- struct if_addrprefreq (152 bytes; SIOCGIFADDRPREF / SIOCSIFADDRPREF)
inline constexpr size_t kIfAddrprefreqSize = 152;
inline constexpr size_t kIfapNameOff = 0;
inline constexpr size_t kIfapPreferenceOff = 16;  // int16_t
inline constexpr size_t kIfapAddrOff = 24;        // struct sockaddr_storage

// --- struct ifconf (16 bytes)
inline constexpr size_t kIfconfSize = 16;
inline constexpr size_t kIfcLenOff = 0;  // int
inline constexpr size_t kIfcReqOff = 8;  // pointer (ifc_buf / ifc_req)

// --- struct if_clonereq (16 bytes); names are 16-byte NUL-padded slots
inline constexpr size_t kIfClonereqSize = 16;
inline constexpr size_t kIfcrTotalOff = 0;   // int, out
inline constexpr size_t kIfcrCountOff = 4;   // int, in
inline constexpr size_t kIfcrBufferOff = 8;  // char *

// --- struct if_data (136 bytes)
inline constexpr size_t kIfDataSize = 136;
inline constexpr size_t kIfiTypeOff = 0;        // u_char
inline constexpr size_t kIfiAddrlenOff = 1;     // u_char
inline constexpr size_t kIfiHdrlenOff = 2;      // u_char
inline constexpr size_t kIfiLinkStateOff = 4;   // int
inline constexpr size_t kIfiMtuOff = 8;         // u64 from here on
inline constexpr size_t kIfiMetricOff = 16;
inline constexpr size_t kIfiBaudrateOff = 24;
inline constexpr size_t kIfiIpacketsOff = 32;
inline constexpr size_t kIfiIerrorsOff = 40;
inline constexpr size_t kIfiOpacketsOff = 48;
inline constexpr size_t kIfiOerrorsOff = 56;
inline constexpr size_t kIfiCollisionsOff = 64;
inline constexpr size_t kIfiIbytesOff = 72;
inline constexpr size_t kIfiObytesOff = 80;
inline constexpr size_t kIfiImcastsOff = 88;
inline constexpr size_t kIfiOmcastsOff = 96;
inline constexpr size_t kIfiIqdropsOff = 104;
inline constexpr size_t kIfiNoprotoOff = 112;
inline constexpr size_t kIfiLastchangeOff = 120;  // struct timespec (16)

// --- struct ifdatareq (152 bytes): a name and an if_data
inline constexpr size_t kIfdatareqSize = 152;
inline constexpr size_t kIfdrNameOff = 0;
inline constexpr size_t kIfdrDataOff = 16;

// --- struct ifcapreq (32 bytes; SIOCGIFCAP / SIOCSIFCAP)
inline constexpr size_t kIfcapreqSize = 32;
inline constexpr size_t kIfcrCapabilitiesOff = 16;  // u64
inline constexpr size_t kIfcrCapenableOff = 24;     // u64

// --- struct eccapreq (24 bytes; SIOCGETHERCAP)
inline constexpr size_t kEccapreqSize = 24;
inline constexpr size_t kEccrCapabilitiesOff = 16;  // int
inline constexpr size_t kEccrCapenableOff = 20;     // int

// --- interface ioctls ('i' group)
inline constexpr uint64_t kSIOCSIFADDR = Iow('i', 12, kIfreqSize);
inline constexpr uint64_t kSIOCSIFDSTADDR = Iow('i', 14, kIfreqSize);
inline constexpr uint64_t kSIOCSIFFLAGS = Iow('i', 16, kIfreqSize);
inline constexpr uint64_t kSIOCGIFFLAGS = Iowr('i', 17, kIfreqSize);
inline constexpr uint64_t kSIOCSIFBRDADDR = Iow('i', 19, kIfreqSize);
inline constexpr uint64_t kSIOCSIFNETMASK = Iow('i', 22, kIfreqSize);
inline constexpr uint64_t kSIOCGIFMETRIC = Iowr('i', 23, kIfreqSize);
inline constexpr uint64_t kSIOCSIFMETRIC = Iow('i', 24, kIfreqSize);
inline constexpr uint64_t kSIOCDIFADDR = Iow('i', 25, kIfreqSize);
inline constexpr uint64_t kSIOCAIFADDR = Iow('i', 26, kIfaliasreqSize);
inline constexpr uint64_t kSIOCGIFALIAS = Iowr('i', 27, kIfaliasreqSize);
inline constexpr uint64_t kSIOCGIFADDR = Iowr('i', 33, kIfreqSize);
inline constexpr uint64_t kSIOCGIFDSTADDR = Iowr('i', 34, kIfreqSize);
inline constexpr uint64_t kSIOCGIFBRDADDR = Iowr('i', 35, kIfreqSize);
inline constexpr uint64_t kSIOCGIFNETMASK = Iowr('i', 37, kIfreqSize);
inline constexpr uint64_t kSIOCGIFCONF = Iowr('i', 38, kIfconfSize);
inline constexpr uint64_t kSIOCGIFAFLAG_IN = Iowr('i', 39, kIfreqSize);
inline constexpr uint64_t kSIOCADDMULTI = Iow('i', 49, kIfreqSize);
inline constexpr uint64_t kSIOCDELMULTI = Iow('i', 50, kIfreqSize);
inline constexpr uint64_t kSIOCSIFMEDIA = Iowr('i', 53, kIfreqSize);
inline constexpr uint64_t kSIOCGIFMEDIA = Iowr('i', 54, kIfmediareqSize);
inline constexpr uint64_t kSIOCSIFCAP = Iow('i', 117, kIfcapreqSize);
inline constexpr uint64_t kSIOCGIFCAP = Iowr('i', 118, kIfcapreqSize);
inline constexpr uint64_t kSIOCGIFDLT = Iowr('i', 119, kIfreqSize);
inline constexpr uint64_t kSIOCIFGCLONERS = Iowr('i', 120, kIfClonereqSize);
inline constexpr uint64_t kSIOCIFDESTROY = Iow('i', 121, kIfreqSize);
inline constexpr uint64_t kSIOCIFCREATE = Iow('i', 122, kIfreqSize);
inline constexpr uint64_t kSIOCSDRVSPEC = Iow('i', 123, kIfdrvSize);
inline constexpr uint64_t kSIOCGDRVSPEC = Iowr('i', 123, kIfdrvSize);
inline constexpr uint64_t kSIOCGIFMTU = Iowr('i', 126, kIfreqSize);
inline constexpr uint64_t kSIOCSIFMTU = Iow('i', 127, kIfreqSize);
inline constexpr uint64_t kSIOCGIFDATA = Iowr('i', 133, kIfdatareqSize);
inline constexpr uint64_t kSIOCZIFDATA = Iowr('i', 134, kIfdatareqSize);
inline constexpr uint64_t kSIOCGLINKSTR = Iowr('i', 135, kIfdrvSize);
inline constexpr uint64_t kSIOCSLINKSTR = Iow('i', 136, kIfdrvSize);
inline constexpr uint64_t kSIOCGETHERCAP = Iowr('i', 139, kEccapreqSize);
inline constexpr uint64_t kSIOCGIFINDEX = Iowr('i', 140, kIfreqSize);
inline constexpr uint64_t kSIOCALIFADDR = Iow('i', 28, kIfLaddrreqSize);
inline constexpr uint64_t kSIOCGLIFADDR = Iowr('i', 29, kIfLaddrreqSize);
inline constexpr uint64_t kSIOCDLIFADDR = Iow('i', 30, kIfLaddrreqSize);
inline constexpr uint64_t kSIOCSIFADDRPREF = Iow('i', 31, kIfAddrprefreqSize);
inline constexpr uint64_t kSIOCGIFADDRPREF = Iowr('i', 32, kIfAddrprefreqSize);

// The values NetBSD 7.99.34's headers give on amd64, as a cross-check.
static_assert(kSIOCIFCREATE == 0x8090697a && kSIOCIFDESTROY == 0x80906979);
static_assert(kSIOCIFGCLONERS == 0xc0106978);
static_assert(kSIOCSLINKSTR == 0x80286988 && kSIOCGLINKSTR == 0xc0286987);
static_assert(kSIOCAIFADDR == 0x8040691a && kSIOCDIFADDR == 0x80906919);
static_assert(kSIOCGIFALIAS == 0xc040691b);
static_assert(kSIOCSIFADDR == 0x8090690c && kSIOCGIFADDR == 0xc0906921);
static_assert(kSIOCSIFDSTADDR == 0x8090690e && kSIOCGIFDSTADDR == 0xc0906922);
static_assert(kSIOCSIFFLAGS == 0x80906910 && kSIOCGIFFLAGS == 0xc0906911);
static_assert(kSIOCSIFBRDADDR == 0x80906913 && kSIOCGIFBRDADDR == 0xc0906923);
static_assert(kSIOCSIFNETMASK == 0x80906916 && kSIOCGIFNETMASK == 0xc0906925);
static_assert(kSIOCGIFCONF == 0xc0106926 && kSIOCGIFAFLAG_IN == 0xc0906927);
static_assert(kSIOCGIFMETRIC == 0xc0906917 && kSIOCSIFMETRIC == 0x80906918);
static_assert(kSIOCADDMULTI == 0x80906931 && kSIOCDELMULTI == 0x80906932);
static_assert(kSIOCSIFMEDIA == 0xc0906935 && kSIOCGIFMEDIA == 0xc0306936);
static_assert(kSIOCGIFDLT == 0xc0906977);
static_assert(kSIOCSIFCAP == 0x80206975 && kSIOCGIFCAP == 0xc0206976);
static_assert(kSIOCGETHERCAP == 0xc018698b);
static_assert(kSIOCSDRVSPEC == 0x8028697b && kSIOCGDRVSPEC == 0xc028697b);
static_assert(kSIOCGIFMTU == 0xc090697e && kSIOCSIFMTU == 0x8090697f);
static_assert(kSIOCGIFDATA == 0xc0986985 && kSIOCZIFDATA == 0xc0986986);
static_assert(kSIOCGIFINDEX == 0xc090698c);
static_assert(kSIOCALIFADDR == 0x8118691c && kSIOCGLIFADDR == 0xc118691d);
static_assert(kSIOCDLIFADDR == 0x8118691e);
static_assert(kSIOCSIFADDRPREF == 0x8098691f && kSIOCGIFADDRPREF == 0xc0986920);

// --- Ethernet limits (sys/net/if_ether.h)
inline constexpr size_t kEtherAddrLen = 6;
inline constexpr size_t kEtherHdrLen = 14;
inline constexpr int kEtherMtu = 1500;  // ETHERMTU
inline constexpr int kEtherMtuJumbo = 9000;  // ETHERMTU_JUMBO (ETHERCAP_JUMBO_MTU drivers)
inline constexpr int kEtherMin = 46;    // ETHERMIN: smallest MTU SIOCSIFMTU takes

// --- loopback (sys/net/if_loop.c): LOMTU = 32768 + MHLEN + MLEN on amd64
inline constexpr int kLoMtu = 33624;
inline constexpr int kLoMtuMax = 65536 + (kLoMtu - 32768);

}  // namespace rump::abi

#endif  // RUMP_ABI_IF_H_
