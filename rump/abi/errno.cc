#include "rump/abi/errno.h"

#include <cerrno>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"

namespace rump::abi {
namespace {

constexpr char kErrnoPayload[] = "rump.netbsd/errno";

absl::StatusCode CodeFor(int e) {
  switch (e) {
    case kENOENT: case kESRCH: case kENXIO: case kENODEV:
      return absl::StatusCode::kNotFound;
    case kEEXIST: case kEADDRINUSE: case kEISCONN:
      return absl::StatusCode::kAlreadyExists;
    case kEPERM: case kEACCES:
      return absl::StatusCode::kPermissionDenied;
    case kENOMEM: case kENOBUFS: case kEMFILE: case kENFILE: case kENOSPC:
      return absl::StatusCode::kResourceExhausted;
    case kEAGAIN: case kEBUSY: case kEINPROGRESS: case kEALREADY:
      return absl::StatusCode::kUnavailable;
    case kETIMEDOUT:
      return absl::StatusCode::kDeadlineExceeded;
    case kEINTR: case kECANCELED:
      return absl::StatusCode::kCancelled;
    case kENOSYS: case kEOPNOTSUPP: case kENOTTY: case kEPROTONOSUPPORT:
    case kEAFNOSUPPORT: case kESOCKTNOSUPPORT: case kEPFNOSUPPORT:
      return absl::StatusCode::kUnimplemented;
    case kE2BIG: case kERANGE: case kEOVERFLOW: case kEMSGSIZE:
      return absl::StatusCode::kOutOfRange;
    case kEIO: case kEFAULT:
      return absl::StatusCode::kDataLoss;
    case kENOTCONN: case kENOTDIR: case kEISDIR: case kEBADF: case kENOEXEC:
    case kEPIPE: case kESHUTDOWN: case kENETDOWN: case kENETUNREACH:
    case kEHOSTDOWN: case kEHOSTUNREACH: case kECONNREFUSED: case kECONNRESET:
      return absl::StatusCode::kFailedPrecondition;
    default:
      return absl::StatusCode::kInvalidArgument;
  }
}

constexpr const char* kMessages[] = {
    "No error: zero, zip, zilch, none!",
    "Operation not permitted",  // 1 kEPERM
    "No such file or directory",  // 2 kENOENT
    "No such process",  // 3 kESRCH
    "Interrupted system call",  // 4 kEINTR
    "Input/output error",  // 5 kEIO
    "Device not configured",  // 6 kENXIO
    "Argument list too long",  // 7 kE2BIG
    "Exec format error",  // 8 kENOEXEC
    "Bad file descriptor",  // 9 kEBADF
    "No child processes",  // 10 ECHILD
    "Resource deadlock avoided",  // 11 EDEADLK
    "Cannot allocate memory",  // 12 kENOMEM
    "Permission denied",  // 13 kEACCES
    "Bad address",  // 14 kEFAULT
    "Block device required",  // 15 ENOTBLK
    "Device busy",  // 16 kEBUSY
    "File exists",  // 17 kEEXIST
    "Cross-device link",  // 18 EXDEV
    "Operation not supported by device",  // 19 kENODEV
    "Not a directory",  // 20 kENOTDIR
    "Is a directory",  // 21 kEISDIR
    "Invalid argument",  // 22 kEINVAL
    "Too many open files in system",  // 23 kENFILE
    "Too many open files",  // 24 kEMFILE
    "Inappropriate ioctl for device",  // 25 kENOTTY
    "Text file busy",  // 26 ETXTBSY
    "File too large",  // 27 EFBIG
    "No space left on device",  // 28 kENOSPC
    "Illegal seek",  // 29 ESPIPE
    "Read-only file system",  // 30 EROFS
    "Too many links",  // 31 EMLINK
    "Broken pipe",  // 32 kEPIPE
    "Numerical argument out of domain",  // 33 EDOM
    "Result too large or too small",  // 34 kERANGE
    "Resource temporarily unavailable",  // 35 kEAGAIN
    "Operation now in progress",  // 36 kEINPROGRESS
    "Operation already in progress",  // 37 kEALREADY
    "Socket operation on non-socket",  // 38 ENOTSOCK
    "Destination address required",  // 39 EDESTADDRREQ
    "Message too long",  // 40 kEMSGSIZE
    "Protocol wrong type for socket",  // 41 EPROTOTYPE
    "Protocol option not available",  // 42 ENOPROTOOPT
    "Protocol not supported",  // 43 kEPROTONOSUPPORT
    "Socket type not supported",  // 44 kESOCKTNOSUPPORT
    "Operation not supported",  // 45 kEOPNOTSUPP
    "Protocol family not supported",  // 46 kEPFNOSUPPORT
    "Address family not supported by protocol family",  // 47 kEAFNOSUPPORT
    "Address already in use",  // 48 kEADDRINUSE
    "Can't assign requested address",  // 49 EADDRNOTAVAIL
    "Network is down",  // 50 kENETDOWN
    "Network is unreachable",  // 51 kENETUNREACH
    "Network dropped connection on reset",  // 52 ENETRESET
    "Software caused connection abort",  // 53 ECONNABORTED
    "Connection reset by peer",  // 54 kECONNRESET
    "No buffer space available",  // 55 kENOBUFS
    "Socket is already connected",  // 56 kEISCONN
    "Socket is not connected",  // 57 kENOTCONN
    "Can't send after socket shutdown",  // 58 kESHUTDOWN
    "Too many references: can't splice",  // 59 ETOOMANYREFS
    "Operation timed out",  // 60 kETIMEDOUT
    "Connection refused",  // 61 kECONNREFUSED
    "Too many levels of symbolic links",  // 62 ELOOP
    "File name too long",  // 63 ENAMETOOLONG
    "Host is down",  // 64 kEHOSTDOWN
    "No route to host",  // 65 kEHOSTUNREACH
    "Directory not empty",  // 66 ENOTEMPTY
    "Too many processes",  // 67 EPROCLIM
    "Too many users",  // 68 EUSERS
    "Disc quota exceeded",  // 69 EDQUOT
    "Stale NFS file handle",  // 70 ESTALE
    "Too many levels of remote in path",  // 71 EREMOTE
    "RPC struct is bad",  // 72 EBADRPC
    "RPC version wrong",  // 73 ERPCMISMATCH
    "RPC prog. not avail",  // 74 EPROGUNAVAIL
    "Program version wrong",  // 75 EPROGMISMATCH
    "Bad procedure for program",  // 76 EPROCUNAVAIL
    "No locks available",  // 77 ENOLCK
    "Function not implemented",  // 78 kENOSYS
    "Inappropriate file type or format",  // 79 EFTYPE
    "Authentication error",  // 80 EAUTH
    "Need authenticator",  // 81 ENEEDAUTH
    "Identifier removed",  // 82 EIDRM
    "No message of desired type",  // 83 ENOMSG
    "Value too large to be stored in data type",  // 84 kEOVERFLOW
    "Illegal byte sequence",  // 85 EILSEQ
    "Not supported",  // 86 ENOTSUP
    "Operation canceled",  // 87 kECANCELED
    "Bad or Corrupt message",  // 88 EBADMSG
    "No message available",  // 89 ENODATA
    "No STREAM resources",  // 90 ENOSR
    "Not a STREAM",  // 91 ENOSTR
    "STREAM ioctl timeout",  // 92 ETIME
    "Attribute not found",  // 93 ENOATTR
    "Multihop attempted",  // 94 EMULTIHOP
    "Link has been severed",  // 95 ENOLINK
    "Protocol error",  // 96 EPROTO
};

// Host (Linux) errno -> NetBSD errno, by name.
struct HostPair {
  int host;
  int netbsd;
};
constexpr HostPair kHostPairs[] = {
#ifdef EPERM
    {EPERM, kEPERM},
#endif
#ifdef ENOENT
    {ENOENT, kENOENT},
#endif
#ifdef ESRCH
    {ESRCH, kESRCH},
#endif
#ifdef EINTR
    {EINTR, kEINTR},
#endif
#ifdef EIO
    {EIO, kEIO},
#endif
#ifdef ENXIO
    {ENXIO, kENXIO},
#endif
#ifdef E2BIG
    {E2BIG, kE2BIG},
#endif
#ifdef ENOEXEC
    {ENOEXEC, kENOEXEC},
#endif
#ifdef EBADF
    {EBADF, kEBADF},
#endif
#ifdef ECHILD
    {ECHILD, kECHILD},
#endif
#ifdef EDEADLK
    {EDEADLK, kEDEADLK},
#endif
#ifdef ENOMEM
    {ENOMEM, kENOMEM},
#endif
#ifdef EACCES
    {EACCES, kEACCES},
#endif
#ifdef EFAULT
    {EFAULT, kEFAULT},
#endif
#ifdef ENOTBLK
    {ENOTBLK, kENOTBLK},
#endif
#ifdef EBUSY
    {EBUSY, kEBUSY},
#endif
#ifdef EEXIST
    {EEXIST, kEEXIST},
#endif
#ifdef EXDEV
    {EXDEV, kEXDEV},
#endif
#ifdef ENODEV
    {ENODEV, kENODEV},
#endif
#ifdef ENOTDIR
    {ENOTDIR, kENOTDIR},
#endif
#ifdef EISDIR
    {EISDIR, kEISDIR},
#endif
#ifdef EINVAL
    {EINVAL, kEINVAL},
#endif
#ifdef ENFILE
    {ENFILE, kENFILE},
#endif
#ifdef EMFILE
    {EMFILE, kEMFILE},
#endif
#ifdef ENOTTY
    {ENOTTY, kENOTTY},
#endif
#ifdef ETXTBSY
    {ETXTBSY, kETXTBSY},
#endif
#ifdef EFBIG
    {EFBIG, kEFBIG},
#endif
#ifdef ENOSPC
    {ENOSPC, kENOSPC},
#endif
#ifdef ESPIPE
    {ESPIPE, kESPIPE},
#endif
#ifdef EROFS
    {EROFS, kEROFS},
#endif
#ifdef EMLINK
    {EMLINK, kEMLINK},
#endif
#ifdef EPIPE
    {EPIPE, kEPIPE},
#endif
#ifdef EDOM
    {EDOM, kEDOM},
#endif
#ifdef ERANGE
    {ERANGE, kERANGE},
#endif
#ifdef EAGAIN
    {EAGAIN, kEAGAIN},
#endif
#ifdef EINPROGRESS
    {EINPROGRESS, kEINPROGRESS},
#endif
#ifdef EALREADY
    {EALREADY, kEALREADY},
#endif
#ifdef ENOTSOCK
    {ENOTSOCK, kENOTSOCK},
#endif
#ifdef EDESTADDRREQ
    {EDESTADDRREQ, kEDESTADDRREQ},
#endif
#ifdef EMSGSIZE
    {EMSGSIZE, kEMSGSIZE},
#endif
#ifdef EPROTOTYPE
    {EPROTOTYPE, kEPROTOTYPE},
#endif
#ifdef ENOPROTOOPT
    {ENOPROTOOPT, kENOPROTOOPT},
#endif
#ifdef EPROTONOSUPPORT
    {EPROTONOSUPPORT, kEPROTONOSUPPORT},
#endif
#ifdef ESOCKTNOSUPPORT
    {ESOCKTNOSUPPORT, kESOCKTNOSUPPORT},
#endif
#ifdef EOPNOTSUPP
    {EOPNOTSUPP, kEOPNOTSUPP},
#endif
#ifdef EPFNOSUPPORT
    {EPFNOSUPPORT, kEPFNOSUPPORT},
#endif
#ifdef EAFNOSUPPORT
    {EAFNOSUPPORT, kEAFNOSUPPORT},
#endif
#ifdef EADDRINUSE
    {EADDRINUSE, kEADDRINUSE},
#endif
#ifdef EADDRNOTAVAIL
    {EADDRNOTAVAIL, kEADDRNOTAVAIL},
#endif
#ifdef ENETDOWN
    {ENETDOWN, kENETDOWN},
#endif
#ifdef ENETUNREACH
    {ENETUNREACH, kENETUNREACH},
#endif
#ifdef ENETRESET
    {ENETRESET, kENETRESET},
#endif
#ifdef ECONNABORTED
    {ECONNABORTED, kECONNABORTED},
#endif
#ifdef ECONNRESET
    {ECONNRESET, kECONNRESET},
#endif
#ifdef ENOBUFS
    {ENOBUFS, kENOBUFS},
#endif
#ifdef EISCONN
    {EISCONN, kEISCONN},
#endif
#ifdef ENOTCONN
    {ENOTCONN, kENOTCONN},
#endif
#ifdef ESHUTDOWN
    {ESHUTDOWN, kESHUTDOWN},
#endif
#ifdef ETOOMANYREFS
    {ETOOMANYREFS, kETOOMANYREFS},
#endif
#ifdef ETIMEDOUT
    {ETIMEDOUT, kETIMEDOUT},
#endif
#ifdef ECONNREFUSED
    {ECONNREFUSED, kECONNREFUSED},
#endif
#ifdef ELOOP
    {ELOOP, kELOOP},
#endif
#ifdef ENAMETOOLONG
    {ENAMETOOLONG, kENAMETOOLONG},
#endif
#ifdef EHOSTDOWN
    {EHOSTDOWN, kEHOSTDOWN},
#endif
#ifdef EHOSTUNREACH
    {EHOSTUNREACH, kEHOSTUNREACH},
#endif
#ifdef ENOTEMPTY
    {ENOTEMPTY, kENOTEMPTY},
#endif
#ifdef EPROCLIM
    {EPROCLIM, kEPROCLIM},
#endif
#ifdef EUSERS
    {EUSERS, kEUSERS},
#endif
#ifdef EDQUOT
    {EDQUOT, kEDQUOT},
#endif
#ifdef ESTALE
    {ESTALE, kESTALE},
#endif
#ifdef EREMOTE
    {EREMOTE, kEREMOTE},
#endif
#ifdef EBADRPC
    {EBADRPC, kEBADRPC},
#endif
#ifdef ERPCMISMATCH
    {ERPCMISMATCH, kERPCMISMATCH},
#endif
#ifdef EPROGUNAVAIL
    {EPROGUNAVAIL, kEPROGUNAVAIL},
#endif
#ifdef EPROGMISMATCH
    {EPROGMISMATCH, kEPROGMISMATCH},
#endif
#ifdef EPROCUNAVAIL
    {EPROCUNAVAIL, kEPROCUNAVAIL},
#endif
#ifdef ENOLCK
    {ENOLCK, kENOLCK},
#endif
#ifdef ENOSYS
    {ENOSYS, kENOSYS},
#endif
#ifdef EFTYPE
    {EFTYPE, kEFTYPE},
#endif
#ifdef EAUTH
    {EAUTH, kEAUTH},
#endif
#ifdef ENEEDAUTH
    {ENEEDAUTH, kENEEDAUTH},
#endif
#ifdef EIDRM
    {EIDRM, kEIDRM},
#endif
#ifdef ENOMSG
    {ENOMSG, kENOMSG},
#endif
#ifdef EOVERFLOW
    {EOVERFLOW, kEOVERFLOW},
#endif
#ifdef EILSEQ
    {EILSEQ, kEILSEQ},
#endif
#ifdef ENOTSUP
    {ENOTSUP, kENOTSUP},
#endif
#ifdef ECANCELED
    {ECANCELED, kECANCELED},
#endif
#ifdef EBADMSG
    {EBADMSG, kEBADMSG},
#endif
#ifdef ENODATA
    {ENODATA, kENODATA},
#endif
#ifdef ENOSR
    {ENOSR, kENOSR},
#endif
#ifdef ENOSTR
    {ENOSTR, kENOSTR},
#endif
#ifdef ETIME
    {ETIME, kETIME},
#endif
#ifdef ENOATTR
    {ENOATTR, kENOATTR},
#endif
#ifdef EMULTIHOP
    {EMULTIHOP, kEMULTIHOP},
#endif
#ifdef ENOLINK
    {ENOLINK, kENOLINK},
#endif
#ifdef EPROTO
    {EPROTO, kEPROTO},
#endif
};

}  // namespace

int FromHostErrno(int host_errno) {
  if (host_errno == 0) return 0;
  for (const HostPair& p : kHostPairs) {
    if (p.host == host_errno) return p.netbsd;
  }
  return kEIO;
}

absl::Status Errno(int netbsd_errno, absl::string_view message) {
  absl::Status s(CodeFor(netbsd_errno),
                 message.empty() ? ErrnoMessage(netbsd_errno) : message);
  s.SetPayload(kErrnoPayload, absl::Cord(std::to_string(netbsd_errno)));
  return s;
}

int ToErrno(const absl::Status& status) {
  if (status.ok()) return 0;
  if (auto payload = status.GetPayload(kErrnoPayload)) {
    int e;
    if (absl::SimpleAtoi(std::string(*payload), &e)) return e;
  }
  switch (status.code()) {
    case absl::StatusCode::kNotFound: return kENOENT;
    case absl::StatusCode::kAlreadyExists: return kEEXIST;
    case absl::StatusCode::kPermissionDenied: return kEPERM;
    case absl::StatusCode::kResourceExhausted: return kENOMEM;
    case absl::StatusCode::kUnavailable: return kEAGAIN;
    case absl::StatusCode::kDeadlineExceeded: return kETIMEDOUT;
    case absl::StatusCode::kCancelled: return kEINTR;
    case absl::StatusCode::kUnimplemented: return kENOSYS;
    case absl::StatusCode::kOutOfRange: return kERANGE;
    case absl::StatusCode::kDataLoss: return kEIO;
    case absl::StatusCode::kFailedPrecondition: return kEINVAL;
    default: return kEINVAL;
  }
}

const char* ErrnoMessage(int netbsd_errno) {
  if (netbsd_errno < 0 || netbsd_errno > kELAST) return "Invalid error!";
  return kMessages[netbsd_errno];
}

}  // namespace rump::abi
