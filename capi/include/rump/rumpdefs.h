/*
 * <rump/rumpdefs.h>: NetBSD constants under a RUMP_ prefix, for programs
 * that build NetBSD-layout system call arguments on a host whose own
 * headers have different values (Linux: O_CREAT, EAGAIN, AF_INET6,
 * SOCK_NONBLOCK, ioctl encoding, ... all differ).
 *
 * The groups are the ones NetBSD's rumpdefs.h has: RUMP_O_*, RUMP_E*,
 * RUMP_RB_* / RUMP_AB_*, RUMP_SOCK_*, RUMP_AF_* / RUMP_PF_*, RUMP_SO_*,
 * RUMP_SOL_SOCKET, RUMP_MSG_*, RUMP_IP_*, RUMP_IPPROTO_*, RUMP_TCP_*, and the
 * ioctl encoding macros RUMP_IOC* and _RUMP_IO/_RUMP_IOR/_RUMP_IOW/_RUMP_IOWR.
 * Values are NetBSD 7.99.34's (x86-64). Like NetBSD's, this header has no
 * POLL*, IFF_*, SIOC*, FIO*, SHUT_*, INADDR_*, CTL_*, RTM_* or sockaddr
 * structures: clients define those themselves.
 *
 * C99 and C++; macros only.
 */
#ifndef RUMP_RUMPDEFS_H_
#define RUMP_RUMPDEFS_H_

/* ---- open(2) flags (sys/fcntl.h) ------------------------------------- */
#define RUMP_O_RDONLY    0x00000000
#define RUMP_O_WRONLY    0x00000001
#define RUMP_O_RDWR      0x00000002
#define RUMP_O_ACCMODE   0x00000003
#define RUMP_O_NONBLOCK  0x00000004
#define RUMP_O_APPEND    0x00000008
#define RUMP_O_SHLOCK    0x00000010
#define RUMP_O_EXLOCK    0x00000020
#define RUMP_O_ASYNC     0x00000040
#define RUMP_O_SYNC      0x00000080
#define RUMP_O_NOFOLLOW  0x00000100
#define RUMP_O_CREAT     0x00000200
#define RUMP_O_TRUNC     0x00000400
#define RUMP_O_EXCL      0x00000800
#define RUMP_O_NOCTTY    0x00008000
#define RUMP_O_DSYNC     0x00010000
#define RUMP_O_RSYNC     0x00020000
#define RUMP_O_DIRECT    0x00080000
#define RUMP_O_DIRECTORY 0x00200000
#define RUMP_O_CLOEXEC   0x00400000
#define RUMP_O_SEARCH    0x00800000
#define RUMP_O_NOSIGPIPE 0x01000000

/* ---- errno values (sys/errno.h); texts in <rump/rumperr.h> ----------- */
#define RUMP_EPERM           1
#define RUMP_ENOENT          2
#define RUMP_ESRCH           3
#define RUMP_EINTR           4
#define RUMP_EIO             5
#define RUMP_ENXIO           6
#define RUMP_E2BIG           7
#define RUMP_ENOEXEC         8
#define RUMP_EBADF           9
#define RUMP_ECHILD          10
#define RUMP_EDEADLK         11
#define RUMP_ENOMEM          12
#define RUMP_EACCES          13
#define RUMP_EFAULT          14
#define RUMP_ENOTBLK         15
#define RUMP_EBUSY           16
#define RUMP_EEXIST          17
#define RUMP_EXDEV           18
#define RUMP_ENODEV          19
#define RUMP_ENOTDIR         20
#define RUMP_EISDIR          21
#define RUMP_EINVAL          22
#define RUMP_ENFILE          23
#define RUMP_EMFILE          24
#define RUMP_ENOTTY          25
#define RUMP_ETXTBSY         26
#define RUMP_EFBIG           27
#define RUMP_ENOSPC          28
#define RUMP_ESPIPE          29
#define RUMP_EROFS           30
#define RUMP_EMLINK          31
#define RUMP_EPIPE           32
#define RUMP_EDOM            33
#define RUMP_ERANGE          34
#define RUMP_EAGAIN          35
#define RUMP_EWOULDBLOCK     RUMP_EAGAIN
#define RUMP_EINPROGRESS     36
#define RUMP_EALREADY        37
#define RUMP_ENOTSOCK        38
#define RUMP_EDESTADDRREQ    39
#define RUMP_EMSGSIZE        40
#define RUMP_EPROTOTYPE      41
#define RUMP_ENOPROTOOPT     42
#define RUMP_EPROTONOSUPPORT 43
#define RUMP_ESOCKTNOSUPPORT 44
#define RUMP_EOPNOTSUPP      45
#define RUMP_EPFNOSUPPORT    46
#define RUMP_EAFNOSUPPORT    47
#define RUMP_EADDRINUSE      48
#define RUMP_EADDRNOTAVAIL   49
#define RUMP_ENETDOWN        50
#define RUMP_ENETUNREACH     51
#define RUMP_ENETRESET       52
#define RUMP_ECONNABORTED    53
#define RUMP_ECONNRESET      54
#define RUMP_ENOBUFS         55
#define RUMP_EISCONN         56
#define RUMP_ENOTCONN        57
#define RUMP_ESHUTDOWN       58
#define RUMP_ETOOMANYREFS    59
#define RUMP_ETIMEDOUT       60
#define RUMP_ECONNREFUSED    61
#define RUMP_ELOOP           62
#define RUMP_ENAMETOOLONG    63
#define RUMP_EHOSTDOWN       64
#define RUMP_EHOSTUNREACH    65
#define RUMP_ENOTEMPTY       66
#define RUMP_EPROCLIM        67
#define RUMP_EUSERS          68
#define RUMP_EDQUOT          69
#define RUMP_ESTALE          70
#define RUMP_EREMOTE         71
#define RUMP_EBADRPC         72
#define RUMP_ERPCMISMATCH    73
#define RUMP_EPROGUNAVAIL    74
#define RUMP_EPROGMISMATCH   75
#define RUMP_EPROCUNAVAIL    76
#define RUMP_ENOLCK          77
#define RUMP_ENOSYS          78
#define RUMP_EFTYPE          79
#define RUMP_EAUTH           80
#define RUMP_ENEEDAUTH       81
#define RUMP_EIDRM           82
#define RUMP_ENOMSG          83
#define RUMP_EOVERFLOW       84
#define RUMP_EILSEQ          85
#define RUMP_ENOTSUP         86
#define RUMP_ECANCELED       87
#define RUMP_EBADMSG         88
#define RUMP_ENODATA         89
#define RUMP_ENOSR           90
#define RUMP_ENOSTR          91
#define RUMP_ETIME           92
#define RUMP_ENOATTR         93
#define RUMP_EMULTIHOP       94
#define RUMP_ENOLINK         95
#define RUMP_EPROTO          96
#define RUMP_ELAST           96
/* Kernel-internal pseudo errors; never returned to a caller. */
#define RUMP_EJUSTRETURN     -2
#define RUMP_ERESTART        -3
#define RUMP_EPASSTHROUGH    -4
#define RUMP_EDUPFD          -5
#define RUMP_EMOVEFD         -6

/* ---- reboot(2) flags and boothowto bits (sys/reboot.h) --------------- */
#define RUMP_RB_AUTOBOOT  0
#define RUMP_RB_ASKNAME   0x00000001
#define RUMP_RB_SINGLE    0x00000002
#define RUMP_RB_NOSYNC    0x00000004
#define RUMP_RB_HALT      0x00000008
#define RUMP_RB_INITNAME  0x00000010
#define RUMP_RB_KDB       0x00000040
#define RUMP_RB_RDONLY    0x00000080
#define RUMP_RB_DUMP      0x00000100
#define RUMP_RB_MINIROOT  0x00000200
#define RUMP_RB_STRING    0x00000400
#define RUMP_RB_POWERDOWN (RUMP_RB_HALT | 0x800)
#define RUMP_RB_USERCONF  0x00001000
#define RUMP_AB_NORMAL    0x00000000
#define RUMP_AB_QUIET     0x00010000
#define RUMP_AB_VERBOSE   0x00020000
#define RUMP_AB_SILENT    0x00040000
#define RUMP_AB_DEBUG     0x00080000

/* ---- socket types (sys/socket.h) ------------------------------------- */
#define RUMP_SOCK_STREAM     1
#define RUMP_SOCK_DGRAM      2
#define RUMP_SOCK_RAW        3
#define RUMP_SOCK_RDM        4
#define RUMP_SOCK_SEQPACKET  5
#define RUMP_SOCK_CONN_DGRAM 6
#define RUMP_SOCK_DCCP       RUMP_SOCK_CONN_DGRAM
#define RUMP_SOCK_CLOEXEC    0x10000000
#define RUMP_SOCK_NONBLOCK   0x20000000
#define RUMP_SOCK_NOSIGPIPE  0x40000000
#define RUMP_SOCK_FLAGS_MASK 0xf0000000

/* ---- address families; PF_x == AF_x (sys/socket.h) ------------------- */
#define RUMP_AF_UNSPEC    0
#define RUMP_AF_LOCAL     1
#define RUMP_AF_UNIX      RUMP_AF_LOCAL
#define RUMP_AF_INET      2
#define RUMP_AF_IMPLINK   3
#define RUMP_AF_PUP       4
#define RUMP_AF_CHAOS     5
#define RUMP_AF_NS        6
#define RUMP_AF_ISO       7
#define RUMP_AF_OSI       RUMP_AF_ISO
#define RUMP_AF_ECMA      8
#define RUMP_AF_DATAKIT   9
#define RUMP_AF_CCITT     10
#define RUMP_AF_SNA       11
#define RUMP_AF_DECnet    12
#define RUMP_AF_DLI       13
#define RUMP_AF_LAT       14
#define RUMP_AF_HYLINK    15
#define RUMP_AF_APPLETALK 16
#define RUMP_AF_OROUTE    17
#define RUMP_AF_LINK      18
#define RUMP_AF_COIP      20
#define RUMP_AF_CNT       21
#define RUMP_AF_IPX       23
#define RUMP_AF_INET6     24
#define RUMP_AF_ISDN      26
#define RUMP_AF_E164      RUMP_AF_ISDN
#define RUMP_AF_NATM      27
#define RUMP_AF_ARP       28
#define RUMP_AF_BLUETOOTH 31
#define RUMP_AF_IEEE80211 32
#define RUMP_AF_MPLS      33
#define RUMP_AF_ROUTE     34
#define RUMP_AF_MAX       35

#define RUMP_PF_UNSPEC    RUMP_AF_UNSPEC
#define RUMP_PF_LOCAL     RUMP_AF_LOCAL
#define RUMP_PF_UNIX      RUMP_PF_LOCAL
#define RUMP_PF_INET      RUMP_AF_INET
#define RUMP_PF_IMPLINK   RUMP_AF_IMPLINK
#define RUMP_PF_PUP       RUMP_AF_PUP
#define RUMP_PF_CHAOS     RUMP_AF_CHAOS
#define RUMP_PF_NS        RUMP_AF_NS
#define RUMP_PF_ISO       RUMP_AF_ISO
#define RUMP_PF_OSI       RUMP_AF_ISO
#define RUMP_PF_ECMA      RUMP_AF_ECMA
#define RUMP_PF_DATAKIT   RUMP_AF_DATAKIT
#define RUMP_PF_CCITT     RUMP_AF_CCITT
#define RUMP_PF_SNA       RUMP_AF_SNA
#define RUMP_PF_DECnet    RUMP_AF_DECnet
#define RUMP_PF_DLI       RUMP_AF_DLI
#define RUMP_PF_LAT       RUMP_AF_LAT
#define RUMP_PF_HYLINK    RUMP_AF_HYLINK
#define RUMP_PF_APPLETALK RUMP_AF_APPLETALK
#define RUMP_PF_OROUTE    RUMP_AF_OROUTE
#define RUMP_PF_LINK      RUMP_AF_LINK
/* NetBSD defines these through its pseudo_AF_* names (19, 22, 25, 29). */
#define RUMP_PF_XTP       19
#define RUMP_PF_COIP      RUMP_AF_COIP
#define RUMP_PF_CNT       RUMP_AF_CNT
#define RUMP_PF_RTIP      22
#define RUMP_PF_IPX       RUMP_AF_IPX
#define RUMP_PF_INET6     RUMP_AF_INET6
#define RUMP_PF_PIP       25
#define RUMP_PF_ISDN      RUMP_AF_ISDN
#define RUMP_PF_E164      RUMP_AF_E164
#define RUMP_PF_NATM      RUMP_AF_NATM
#define RUMP_PF_ARP       RUMP_AF_ARP
#define RUMP_PF_KEY       29
#define RUMP_PF_BLUETOOTH RUMP_AF_BLUETOOTH
#define RUMP_PF_MPLS      RUMP_AF_MPLS
#define RUMP_PF_ROUTE     RUMP_AF_ROUTE
#define RUMP_PF_MAX       RUMP_AF_MAX

/* ---- socket-level options (sys/socket.h) ----------------------------- */
#define RUMP_SOL_SOCKET     0xffff
#define RUMP_SO_DEBUG       0x0001
#define RUMP_SO_ACCEPTCONN  0x0002
#define RUMP_SO_REUSEADDR   0x0004
#define RUMP_SO_KEEPALIVE   0x0008
#define RUMP_SO_DONTROUTE   0x0010
#define RUMP_SO_BROADCAST   0x0020
#define RUMP_SO_USELOOPBACK 0x0040
#define RUMP_SO_LINGER      0x0080
#define RUMP_SO_OOBINLINE   0x0100
#define RUMP_SO_REUSEPORT   0x0200
#define RUMP_SO_NOSIGPIPE   0x0800
#define RUMP_SO_ACCEPTFILTER 0x1000
#define RUMP_SO_TIMESTAMP   0x2000
#define RUMP_SO_SNDBUF      0x1001
#define RUMP_SO_RCVBUF      0x1002
#define RUMP_SO_SNDLOWAT    0x1003
#define RUMP_SO_RCVLOWAT    0x1004
#define RUMP_SO_ERROR       0x1007
#define RUMP_SO_TYPE        0x1008
#define RUMP_SO_OVERFLOWED  0x1009
#define RUMP_SO_NOHEADER    0x100a
#define RUMP_SO_SNDTIMEO    0x100b
#define RUMP_SO_RCVTIMEO    0x100c

/* ---- send/recv flags (sys/socket.h) ---------------------------------- */
#define RUMP_MSG_OOB          0x0001
#define RUMP_MSG_PEEK         0x0002
#define RUMP_MSG_DONTROUTE    0x0004
#define RUMP_MSG_EOR          0x0008
#define RUMP_MSG_TRUNC        0x0010
#define RUMP_MSG_CTRUNC       0x0020
#define RUMP_MSG_WAITALL      0x0040
#define RUMP_MSG_DONTWAIT     0x0080
#define RUMP_MSG_BCAST        0x0100
#define RUMP_MSG_MCAST        0x0200
#define RUMP_MSG_NOSIGNAL     0x0400
#define RUMP_MSG_CMSG_CLOEXEC 0x0800
/* The name NetBSD's generated header gives MSG_CMSG_CLOEXEC, kept so that
 * programs written against it compile. */
#define RUMP_MSG_CRUMP_MSG_CLOEXEC RUMP_MSG_CMSG_CLOEXEC
#define RUMP_MSG_NBIO         0x1000
#define RUMP_MSG_WAITFORONE   0x2000
#define RUMP_MSG_NOTIFICATION 0x4000
#define RUMP_MSG_USERFLAGS    0x0ffffff
#define RUMP_MSG_NAMEMBUF     0x1000000
#define RUMP_MSG_CONTROLMBUF  0x2000000
#define RUMP_MSG_IOVUSRSPACE  0x4000000
#define RUMP_MSG_LENUSRSPACE  0x8000000

/* ---- IP protocols (netinet/in.h) ------------------------------------- */
#define RUMP_IPPROTO_IP       0
#define RUMP_IPPROTO_HOPOPTS  0
#define RUMP_IPPROTO_ICMP     1
#define RUMP_IPPROTO_IGMP     2
#define RUMP_IPPROTO_GGP      3
#define RUMP_IPPROTO_IPV4     4
#define RUMP_IPPROTO_IPIP     4
#define RUMP_IPPROTO_TCP      6
#define RUMP_IPPROTO_EGP      8
#define RUMP_IPPROTO_PUP      12
#define RUMP_IPPROTO_UDP      17
#define RUMP_IPPROTO_IDP      22
#define RUMP_IPPROTO_TP       29
#define RUMP_IPPROTO_DCCP     33
#define RUMP_IPPROTO_IPV6     41
#define RUMP_IPPROTO_ROUTING  43
#define RUMP_IPPROTO_FRAGMENT 44
#define RUMP_IPPROTO_RSVP     46
#define RUMP_IPPROTO_GRE      47
#define RUMP_IPPROTO_ESP      50
#define RUMP_IPPROTO_AH       51
#define RUMP_IPPROTO_MOBILE   55
#define RUMP_IPPROTO_ICMPV6   58
#define RUMP_IPPROTO_NONE     59
#define RUMP_IPPROTO_DSTOPTS  60
#define RUMP_IPPROTO_EON      80
#define RUMP_IPPROTO_ETHERIP  97
#define RUMP_IPPROTO_ENCAP    98
#define RUMP_IPPROTO_PIM      103
#define RUMP_IPPROTO_IPCOMP   108
#define RUMP_IPPROTO_VRRP     112
#define RUMP_IPPROTO_CARP     112
#define RUMP_IPPROTO_SCTP     132
#define RUMP_IPPROTO_PFSYNC   240
#define RUMP_IPPROTO_RAW      255
#define RUMP_IPPROTO_MAX      256

/* ---- IPPROTO_IP level options (netinet/in.h) ------------------------- */
#define RUMP_IP_OPTIONS        1
#define RUMP_IP_HDRINCL        2
#define RUMP_IP_TOS            3
#define RUMP_IP_TTL            4
#define RUMP_IP_RECVOPTS       5
#define RUMP_IP_RECVRETOPTS    6
#define RUMP_IP_RECVDSTADDR    7
#define RUMP_IP_RETOPTS        8
#define RUMP_IP_MULTICAST_IF   9
#define RUMP_IP_MULTICAST_TTL  10
#define RUMP_IP_MULTICAST_LOOP 11
#define RUMP_IP_ADD_MEMBERSHIP 12
#define RUMP_IP_DROP_MEMBERSHIP 13
#define RUMP_IP_PORTALGO       18
#define RUMP_IP_PORTRANGE      19
#define RUMP_IP_RECVIF         20
#define RUMP_IP_ERRORMTU       21
#define RUMP_IP_IPSEC_POLICY   22
#define RUMP_IP_RECVTTL        23
#define RUMP_IP_MINTTL         24
#define RUMP_IP_PKTINFO        25
#define RUMP_IP_RECVPKTINFO    26
#define RUMP_IP_DEFAULT_MULTICAST_TTL  1
#define RUMP_IP_DEFAULT_MULTICAST_LOOP 1
#define RUMP_IP_MAX_MEMBERSHIPS        20

/* ---- IPPROTO_TCP level options (netinet/tcp.h) ----------------------- */
#define RUMP_TCP_NODELAY   1
#define RUMP_TCP_MAXSEG    2
#define RUMP_TCP_KEEPIDLE  3
#define RUMP_TCP_NOPUSH    4
#define RUMP_TCP_KEEPINTVL 5
#define RUMP_TCP_KEEPCNT   6
#define RUMP_TCP_KEEPINIT  7
#define RUMP_TCP_INFO      9
#define RUMP_TCP_MD5SIG    0x10
#define RUMP_TCP_CONGCTL   0x20

/* ---- ioctl command encoding (sys/ioccom.h) ---------------------------
 * bits 0-7 number, 8-15 group, 16-28 parameter length, 29 VOID, 30 OUT
 * (kernel to user), 31 IN (user to kernel). Use with NetBSD-layout types:
 * _RUMP_IOWR('i', 33, struct my_netbsd_ifreq) is SIOCGIFADDR when
 * sizeof(struct my_netbsd_ifreq) == 144. */
#define RUMP_IOCPARM_MASK   0x1fff
#define RUMP_IOCPARM_SHIFT  16
#define RUMP_IOCGROUP_SHIFT 8
#define RUMP_IOCPARM_LEN(x) (((x) >> RUMP_IOCPARM_SHIFT) & RUMP_IOCPARM_MASK)
#define RUMP_IOCBASECMD(x)  ((x) & ~(RUMP_IOCPARM_MASK << RUMP_IOCPARM_SHIFT))
#define RUMP_IOCGROUP(x)    (((x) >> RUMP_IOCGROUP_SHIFT) & 0xff)
#define RUMP_IOCPARM_MAX    4096
#define RUMP_IOC_VOID       ((unsigned long)0x20000000)
#define RUMP_IOC_OUT        ((unsigned long)0x40000000)
#define RUMP_IOC_IN         ((unsigned long)0x80000000)
#define RUMP_IOC_INOUT      (RUMP_IOC_IN | RUMP_IOC_OUT)
#define RUMP_IOC_DIRMASK    ((unsigned long)0xe0000000)
#define _RUMP_IOC(inout, group, num, len)                                  \
  ((unsigned long)(inout) |                                                \
   (((unsigned long)(len) & RUMP_IOCPARM_MASK) << RUMP_IOCPARM_SHIFT) |    \
   ((unsigned long)(group) << RUMP_IOCGROUP_SHIFT) | (unsigned long)(num))
#define _RUMP_IO(g, n)       _RUMP_IOC(RUMP_IOC_VOID, (g), (n), 0)
#define _RUMP_IOR(g, n, t)   _RUMP_IOC(RUMP_IOC_OUT, (g), (n), sizeof(t))
#define _RUMP_IOW(g, n, t)   _RUMP_IOC(RUMP_IOC_IN, (g), (n), sizeof(t))
#define _RUMP_IOWR(g, n, t)  _RUMP_IOC(RUMP_IOC_INOUT, (g), (n), sizeof(t))

#endif /* RUMP_RUMPDEFS_H_ */
