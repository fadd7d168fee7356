/*
 * <rump/rumperrno2host.h>: rump_errno2host(), the host's errno value for a
 * NetBSD errno number, for programs that want to hand rump errors to host
 * code (strerror(), perror(), their own errno checks).
 *
 * 0 stays 0; a NetBSD error the host has no name for (EFTYPE, EAUTH, the
 * RPC errors, ... on Linux) and any unknown number become EINVAL.
 *
 * C99 and C++; header only.
 */
#ifndef RUMP_RUMPERRNO2HOST_H_
#define RUMP_RUMPERRNO2HOST_H_

#include <errno.h>

#include <rump/rumpdefs.h>

/* One case per NetBSD errno, compiled only where the host defines the name. */
static inline int
rump_errno2host(int rumperrno)
{
	switch (rumperrno) {
	case 0:
		return 0;
#ifdef EPERM
	case RUMP_EPERM:
		return EPERM;
#endif
#ifdef ENOENT
	case RUMP_ENOENT:
		return ENOENT;
#endif
#ifdef ESRCH
	case RUMP_ESRCH:
		return ESRCH;
#endif
#ifdef EINTR
	case RUMP_EINTR:
		return EINTR;
#endif
#ifdef EIO
	case RUMP_EIO:
		return EIO;
#endif
#ifdef ENXIO
	case RUMP_ENXIO:
		return ENXIO;
#endif
#ifdef E2BIG
	case RUMP_E2BIG:
		return E2BIG;
#endif
#ifdef ENOEXEC
	case RUMP_ENOEXEC:
		return ENOEXEC;
#endif
#ifdef EBADF
	case RUMP_EBADF:
		return EBADF;
#endif
#ifdef ECHILD
	case RUMP_ECHILD:
		return ECHILD;
#endif
#ifdef EDEADLK
	case RUMP_EDEADLK:
		return EDEADLK;
#endif
#ifdef ENOMEM
	case RUMP_ENOMEM:
		return ENOMEM;
#endif
#ifdef EACCES
	case RUMP_EACCES:
		return EACCES;
#endif
#ifdef EFAULT
	case RUMP_EFAULT:
		return EFAULT;
#endif
#ifdef ENOTBLK
	case RUMP_ENOTBLK:
		return ENOTBLK;
#endif
#ifdef EBUSY
	case RUMP_EBUSY:
		return EBUSY;
#endif
#ifdef EEXIST
	case RUMP_EEXIST:
		return EEXIST;
#endif
#ifdef EXDEV
	case RUMP_EXDEV:
		return EXDEV;
#endif
#ifdef ENODEV
	case RUMP_ENODEV:
		return ENODEV;
#endif
#ifdef ENOTDIR
	case RUMP_ENOTDIR:
		return ENOTDIR;
#endif
#ifdef EISDIR
	case RUMP_EISDIR:
		return EISDIR;
#endif
#ifdef EINVAL
	case RUMP_EINVAL:
		return EINVAL;
#endif
#ifdef ENFILE
	case RUMP_ENFILE:
		return ENFILE;
#endif
#ifdef EMFILE
	case RUMP_EMFILE:
		return EMFILE;
#endif
#ifdef ENOTTY
	case RUMP_ENOTTY:
		return ENOTTY;
#endif
#ifdef ETXTBSY
	case RUMP_ETXTBSY:
		return ETXTBSY;
#endif
#ifdef EFBIG
	case RUMP_EFBIG:
		return EFBIG;
#endif
#ifdef ENOSPC
	case RUMP_ENOSPC:
		return ENOSPC;
#endif
#ifdef ESPIPE
	case RUMP_ESPIPE:
		return ESPIPE;
#endif
#ifdef EROFS
	case RUMP_EROFS:
		return EROFS;
#endif
#ifdef EMLINK
	case RUMP_EMLINK:
		return EMLINK;
#endif
#ifdef EPIPE
	case RUMP_EPIPE:
		return EPIPE;
#endif
#ifdef EDOM
	case RUMP_EDOM:
		return EDOM;
#endif
#ifdef ERANGE
	case RUMP_ERANGE:
		return ERANGE;
#endif
#ifdef EAGAIN
	case RUMP_EAGAIN:
		return EAGAIN;
#endif
#ifdef EINPROGRESS
	case RUMP_EINPROGRESS:
		return EINPROGRESS;
#endif
#ifdef EALREADY
	case RUMP_EALREADY:
		return EALREADY;
#endif
#ifdef ENOTSOCK
	case RUMP_ENOTSOCK:
		return ENOTSOCK;
#endif
#ifdef EDESTADDRREQ
	case RUMP_EDESTADDRREQ:
		return EDESTADDRREQ;
#endif
#ifdef EMSGSIZE
	case RUMP_EMSGSIZE:
		return EMSGSIZE;
#endif
#ifdef EPROTOTYPE
	case RUMP_EPROTOTYPE:
		return EPROTOTYPE;
#endif
#ifdef ENOPROTOOPT
	case RUMP_ENOPROTOOPT:
		return ENOPROTOOPT;
#endif
#ifdef EPROTONOSUPPORT
	case RUMP_EPROTONOSUPPORT:
		return EPROTONOSUPPORT;
#endif
#ifdef ESOCKTNOSUPPORT
	case RUMP_ESOCKTNOSUPPORT:
		return ESOCKTNOSUPPORT;
#endif
#ifdef EOPNOTSUPP
	case RUMP_EOPNOTSUPP:
		return EOPNOTSUPP;
#endif
#ifdef EPFNOSUPPORT
	case RUMP_EPFNOSUPPORT:
		return EPFNOSUPPORT;
#endif
#ifdef EAFNOSUPPORT
	case RUMP_EAFNOSUPPORT:
		return EAFNOSUPPORT;
#endif
#ifdef EADDRINUSE
	case RUMP_EADDRINUSE:
		return EADDRINUSE;
#endif
#ifdef EADDRNOTAVAIL
	case RUMP_EADDRNOTAVAIL:
		return EADDRNOTAVAIL;
#endif
#ifdef ENETDOWN
	case RUMP_ENETDOWN:
		return ENETDOWN;
#endif
#ifdef ENETUNREACH
	case RUMP_ENETUNREACH:
		return ENETUNREACH;
#endif
#ifdef ENETRESET
	case RUMP_ENETRESET:
		return ENETRESET;
#endif
#ifdef ECONNABORTED
	case RUMP_ECONNABORTED:
		return ECONNABORTED;
#endif
#ifdef ECONNRESET
	case RUMP_ECONNRESET:
		return ECONNRESET;
#endif
#ifdef ENOBUFS
	case RUMP_ENOBUFS:
		return ENOBUFS;
#endif
#ifdef EISCONN
	case RUMP_EISCONN:
		return EISCONN;
#endif
#ifdef ENOTCONN
	case RUMP_ENOTCONN:
		return ENOTCONN;
#endif
#ifdef ESHUTDOWN
	case RUMP_ESHUTDOWN:
		return ESHUTDOWN;
#endif
#ifdef ETOOMANYREFS
	case RUMP_ETOOMANYREFS:
		return ETOOMANYREFS;
#endif
#ifdef ETIMEDOUT
	case RUMP_ETIMEDOUT:
		return ETIMEDOUT;
#endif
#ifdef ECONNREFUSED
	case RUMP_ECONNREFUSED:
		return ECONNREFUSED;
#endif
#ifdef ELOOP
	case RUMP_ELOOP:
		return ELOOP;
#endif
#ifdef ENAMETOOLONG
	case RUMP_ENAMETOOLONG:
		return ENAMETOOLONG;
#endif
#ifdef EHOSTDOWN
	case RUMP_EHOSTDOWN:
		return EHOSTDOWN;
#endif
#ifdef EHOSTUNREACH
	case RUMP_EHOSTUNREACH:
		return EHOSTUNREACH;
#endif
#ifdef ENOTEMPTY
	case RUMP_ENOTEMPTY:
		return ENOTEMPTY;
#endif
#ifdef EPROCLIM
	case RUMP_EPROCLIM:
		return EPROCLIM;
#endif
#ifdef EUSERS
	case RUMP_EUSERS:
		return EUSERS;
#endif
#ifdef EDQUOT
	case RUMP_EDQUOT:
		return EDQUOT;
#endif
#ifdef ESTALE
	case RUMP_ESTALE:
		return ESTALE;
#endif
#ifdef EREMOTE
	case RUMP_EREMOTE:
		return EREMOTE;
#endif
#ifdef EBADRPC
	case RUMP_EBADRPC:
		return EBADRPC;
#endif
#ifdef ERPCMISMATCH
	case RUMP_ERPCMISMATCH:
		return ERPCMISMATCH;
#endif
#ifdef EPROGUNAVAIL
	case RUMP_EPROGUNAVAIL:
		return EPROGUNAVAIL;
#endif
#ifdef EPROGMISMATCH
	case RUMP_EPROGMISMATCH:
		return EPROGMISMATCH;
#endif
#ifdef EPROCUNAVAIL
	case RUMP_EPROCUNAVAIL:
		return EPROCUNAVAIL;
#endif
#ifdef ENOLCK
	case RUMP_ENOLCK:
		return ENOLCK;
#endif
#ifdef ENOSYS
	case RUMP_ENOSYS:
		return ENOSYS;
#endif
#ifdef EFTYPE
	case RUMP_EFTYPE:
		return EFTYPE;
#endif
#ifdef EAUTH
	case RUMP_EAUTH:
		return EAUTH;
#endif
#ifdef ENEEDAUTH
	case RUMP_ENEEDAUTH:
		return ENEEDAUTH;
#endif
#ifdef EIDRM
	case RUMP_EIDRM:
		return EIDRM;
#endif
#ifdef ENOMSG
	case RUMP_ENOMSG:
		return ENOMSG;
#endif
#ifdef EOVERFLOW
	case RUMP_EOVERFLOW:
		return EOVERFLOW;
#endif
#ifdef EILSEQ
	case RUMP_EILSEQ:
		return EILSEQ;
#endif
#ifdef ENOTSUP
	case RUMP_ENOTSUP:
		return ENOTSUP;
#endif
#ifdef ECANCELED
	case RUMP_ECANCELED:
		return ECANCELED;
#endif
#ifdef EBADMSG
	case RUMP_EBADMSG:
		return EBADMSG;
#endif
#ifdef ENODATA
	case RUMP_ENODATA:
		return ENODATA;
#endif
#ifdef ENOSR
	case RUMP_ENOSR:
		return ENOSR;
#endif
#ifdef ENOSTR
	case RUMP_ENOSTR:
		return ENOSTR;
#endif
#ifdef ETIME
	case RUMP_ETIME:
		return ETIME;
#endif
#ifdef ENOATTR
	case RUMP_ENOATTR:
		return ENOATTR;
#endif
#ifdef EMULTIHOP
	case RUMP_EMULTIHOP:
		return EMULTIHOP;
#endif
#ifdef ENOLINK
	case RUMP_ENOLINK:
		return ENOLINK;
#endif
#ifdef EPROTO
	case RUMP_EPROTO:
		return EPROTO;
#endif
	default:
		return EINVAL;
	}
}

#endif /* RUMP_RUMPERRNO2HOST_H_ */
