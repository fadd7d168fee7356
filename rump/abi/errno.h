// NetBSD errno values: the numbers that cross the syscall boundary, and the
// bridge between them and absl::Status, which the kernel uses inside.
//
// Inside the kernel an error is an absl::Status. A status made with Errno()
// carries its exact NetBSD errno; ToErrno() recovers it at the ABI edge (and
// maps statuses made otherwise by their canonical code).
#ifndef RUMP_ABI_ERRNO_H_
#define RUMP_ABI_ERRNO_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace rump::abi {

inline constexpr int kEPERM = 1;
inline constexpr int kENOENT = 2;
inline constexpr int kESRCH = 3;
inline constexpr int kEINTR = 4;
inline constexpr int kEIO = 5;
inline constexpr int kENXIO = 6;
inline constexpr int kE2BIG = 7;
inline constexpr int kENOEXEC = 8;
inline constexpr int kEBADF = 9;
inline constexpr int kECHILD = 10;
inline constexpr int kEDEADLK = 11;
inline constexpr int kENOMEM = 12;
inline constexpr int kEACCES = 13;
inline constexpr int kEFAULT = 14;
inline constexpr int kENOTBLK = 15;
inline constexpr int kEBUSY = 16;
inline constexpr int kEEXIST = 17;
inline constexpr int kEXDEV = 18;
inline constexpr int kENODEV = 19;
inline constexpr int kENOTDIR = 20;
inline constexpr int kEISDIR = 21;
inline constexpr int kEINVAL = 22;
inline constexpr int kENFILE = 23;
inline constexpr int kEMFILE = 24;
inline constexpr int kENOTTY = 25;
inline constexpr int kETXTBSY = 26;
inline constexpr int kEFBIG = 27;
inline constexpr int kENOSPC = 28;
inline constexpr int kESPIPE = 29;
inline constexpr int kEROFS = 30;
inline constexpr int kEMLINK = 31;
inline constexpr int kEPIPE = 32;
inline constexpr int kEDOM = 33;
inline constexpr int kERANGE = 34;
inline constexpr int kEAGAIN = 35;
inline constexpr int kEINPROGRESS = 36;
inline constexpr int kEALREADY = 37;
inline constexpr int kENOTSOCK = 38;
inline constexpr int kEDESTADDRREQ = 39;
inline constexpr int kEMSGSIZE = 40;
inline constexpr int kEPROTOTYPE = 41;
inline constexpr int kENOPROTOOPT = 42;
inline constexpr int kEPROTONOSUPPORT = 43;
inline constexpr int kESOCKTNOSUPPORT = 44;
inline constexpr int kEOPNOTSUPP = 45;
inline constexpr int kEPFNOSUPPORT = 46;
inline constexpr int kEAFNOSUPPORT = 47;
inline constexpr int kEADDRINUSE = 48;
inline constexpr int kEADDRNOTAVAIL = 49;
inline constexpr int kENETDOWN = 50;
inline constexpr int kENETUNREACH = 51;
inline constexpr int kENETRESET = 52;
inline constexpr int kECONNABORTED = 53;
inline constexpr int kECONNRESET = 54;
inline constexpr int kENOBUFS = 55;
inline constexpr int kEISCONN = 56;
inline constexpr int kENOTCONN = 57;
inline constexpr int kESHUTDOWN = 58;
inline constexpr int kETOOMANYREFS = 59;
inline constexpr int kETIMEDOUT = 60;
inline constexpr int kECONNREFUSED = 61;
inline constexpr int kELOOP = 62;
inline constexpr int kENAMETOOLONG = 63;
inline constexpr int kEHOSTDOWN = 64;
inline constexpr int kEHOSTUNREACH = 65;
inline constexpr int kENOTEMPTY = 66;
inline constexpr int kEPROCLIM = 67;
inline constexpr int kEUSERS = 68;
inline constexpr int kEDQUOT = 69;
inline constexpr int kESTALE = 70;
inline constexpr int kEREMOTE = 71;
inline constexpr int kEBADRPC = 72;
inline constexpr int kERPCMISMATCH = 73;
inline constexpr int kEPROGUNAVAIL = 74;
inline constexpr int kEPROGMISMATCH = 75;
inline constexpr int kEPROCUNAVAIL = 76;
inline constexpr int kENOLCK = 77;
inline constexpr int kENOSYS = 78;
inline constexpr int kEFTYPE = 79;
inline constexpr int kEAUTH = 80;
inline constexpr int kENEEDAUTH = 81;
inline constexpr int kEIDRM = 82;
inline constexpr int kENOMSG = 83;
inline constexpr int kEOVERFLOW = 84;
inline constexpr int kEILSEQ = 85;
inline constexpr int kENOTSUP = 86;
inline constexpr int kECANCELED = 87;
inline constexpr int kEBADMSG = 88;
inline constexpr int kENODATA = 89;
inline constexpr int kENOSR = 90;
inline constexpr int kENOSTR = 91;
inline constexpr int kETIME = 92;
inline constexpr int kENOATTR = 93;
inline constexpr int kEMULTIHOP = 94;
inline constexpr int kENOLINK = 95;
inline constexpr int kEPROTO = 96;
inline constexpr int kEWOULDBLOCK = kEAGAIN;
inline constexpr int kELAST = 96;

// A status whose errno at the ABI edge is `netbsd_errno` (1..kELAST).
absl::Status Errno(int netbsd_errno, absl::string_view message = "");

// The NetBSD errno for `status`: 0 for OK, the exact value for statuses made
// by Errno(), otherwise a close match for the canonical code (EINVAL for
// InvalidArgument, ENOENT for NotFound, ...).
int ToErrno(const absl::Status& status);

// The NetBSD errno for a host (Linux) errno value of the same name; EIO for
// host errors NetBSD has no name for.
int FromHostErrno(int host_errno);

// NetBSD's message for `netbsd_errno` ("Operation not permitted", ...), as
// rump_strerror() gives it; "Invalid error!" for unknown values.
const char* ErrnoMessage(int netbsd_errno);

}  // namespace rump::abi

#endif  // RUMP_ABI_ERRNO_H_
