// Package rump is a small safe wrapper over NetBSD's rump kernel C API
// (librump.so.0, found with pkg-config): boot the in-process kernel, put an
// interface on a shmif bus file, give it an IPv4 address, and use UDP
// sockets in the kernel's network stack.
//
//	if err := rump.Init(); err != nil { ... }
//	unit, err := rump.ShmifCreate("bus")
//	err = unit.ConfigureIPv4(netip.MustParseAddr("10.0.2.1"), 24)
//	conn, err := rump.ListenUDP(netip.MustParseAddrPort("10.0.2.1:7777"))
//	defer conn.Close()
//
// Errors carry NetBSD errno numbers (Errno), as the C API reports them:
// errors.Is(err, rump.ENXIO), or errors.As(err, &errno).
package rump

/*
#cgo pkg-config: rump
#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpnet_if_pub.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// NetBSD layouts (rumpdefs.h has no structures).
struct nb_sockaddr_in { // 16 bytes
	uint8_t sin_len;
	uint8_t sin_family;
	uint8_t sin_port[2];
	uint8_t sin_addr[4];
	uint8_t sin_zero[8];
};

struct nb_ifaliasreq { // 64 bytes
	char ifra_name[16];
	struct nb_sockaddr_in ifra_addr;
	struct nb_sockaddr_in ifra_broadaddr;
	struct nb_sockaddr_in ifra_mask;
};

struct nb_ifreq { // 144 bytes
	char ifr_name[16];
	union {
		uint8_t ifru_space[128];
		void *ifru_data;
	} ifr_ifru;
};

struct nb_pollfd {
	int fd;
	short events;
	short revents;
};

// _IOW('i', 26, struct ifaliasreq)
#define NB_SIOCAIFADDR 0x8040691aUL
// _IOWR('i', 39, struct ifreq)
#define NB_SIOCGIFAFLAG_IN 0xc0906927UL
#define NB_POLLIN 0x0001

// cgo cannot call variadic functions.
static int nb_aifaddr(int s, struct nb_ifaliasreq *req) {
	return rump_sys_ioctl(s, NB_SIOCAIFADDR, req);
}

// The IN_IFF_* flags of address *sin on interface name, or -1.
static int nb_addr_flags(int s, const char *name, const struct nb_sockaddr_in *sin) {
	struct nb_ifreq ifr;
	int flags;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, sizeof(ifr.ifr_name));
	memcpy(ifr.ifr_ifru.ifru_space, sin, sizeof(*sin));
	if (rump_sys_ioctl(s, NB_SIOCGIFAFLAG_IN, &ifr) == -1)
		return -1;
	memcpy(&flags, ifr.ifr_ifru.ifru_space, sizeof(flags));
	return flags;
}

static int nb_poll_in(int fd, int ms) {
	struct nb_pollfd pfd = {fd, NB_POLLIN, 0};
	int n = rump_sys_poll((struct pollfd *)(void *)&pfd, 1, ms);
	return n == 1 ? (pfd.revents & NB_POLLIN) != 0 : n;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// Errno is a NetBSD errno number (not the host's: NetBSD's EAGAIN is 35).
type Errno int

// NetBSD errno values the wrapper and its callers meet most.
const (
	ENOENT        Errno = 2
	ENXIO         Errno = 6
	ENOEXEC       Errno = 8
	EBADF         Errno = 9
	EINVAL        Errno = 22
	EADDRINUSE    Errno = 48
	EADDRNOTAVAIL Errno = 49
	ETIMEDOUT     Errno = 60
)

var errnoNames = map[Errno]string{
	1: "EPERM", 2: "ENOENT", 6: "ENXIO", 8: "ENOEXEC", 9: "EBADF",
	12: "ENOMEM", 13: "EACCES", 14: "EFAULT", 16: "EBUSY", 17: "EEXIST",
	20: "ENOTDIR", 21: "EISDIR", 22: "EINVAL", 35: "EAGAIN", 38: "ENOTSOCK",
	40: "EMSGSIZE", 43: "EPROTONOSUPPORT", 45: "EOPNOTSUPP",
	47: "EAFNOSUPPORT", 48: "EADDRINUSE", 49: "EADDRNOTAVAIL",
	50: "ENETDOWN", 51: "ENETUNREACH", 60: "ETIMEDOUT", 65: "EHOSTUNREACH",
	78: "ENOSYS",
}

func (e Errno) Error() string {
	if name, ok := errnoNames[e]; ok {
		return fmt.Sprintf("NetBSD errno %d (%s)", int(e), name)
	}
	return fmt.Sprintf("NetBSD errno %d", int(e))
}

// Error is a failed call: which one, and the NetBSD errno it gave.
type Error struct {
	Op    string
	Errno Errno
}

func (e *Error) Error() string { return e.Op + ": " + e.Errno.Error() }

// Unwrap gives the Errno, for errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Errno }

// sysErr turns what cgo read from errno after a rump_sys_* call into an
// *Error (the number in errno is already NetBSD's).
func sysErr(op string, err error) error {
	var n syscall.Errno
	if errors.As(err, &n) && n != 0 {
		return &Error{Op: op, Errno: Errno(n)}
	}
	return &Error{Op: op, Errno: EINVAL}
}

// Init boots the kernel of this process (rump_init). Calling it again does
// nothing.
func Init() error {
	if e := C.rump_init(); e != 0 {
		return &Error{Op: "rump_init", Errno: Errno(e)}
	}
	return nil
}

// IfNum is a shmif interface's unit number: shmif<N>.
type IfNum int

// Name is the interface name, e.g. "shmif0".
func (n IfNum) Name() string { return fmt.Sprintf("shmif%d", int(n)) }

func (n IfNum) String() string { return n.Name() }

// ConfigureIPv4 gives the interface addr/prefixLen with its broadcast
// address (SIOCAIFADDR, which also brings it up).
func (n IfNum) ConfigureIPv4(addr netip.Addr, prefixLen int) error {
	return ConfigureIPv4(n.Name(), addr, prefixLen)
}

// ShmifCreate creates the lowest free shmif<N> attached to the bus file at
// path (created if missing). ENXIO before Init; ENOEXEC for a file that is
// not a bus; EINVAL for a path with a NUL byte.
func ShmifCreate(path string) (IfNum, error) {
	if strings.IndexByte(path, 0) >= 0 {
		return -1, &Error{Op: "rump_pub_shmif_create", Errno: EINVAL}
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var unit C.int = -1
	if e := C.rump_pub_shmif_create(cpath, &unit); e != 0 {
		return -1, &Error{Op: "rump_pub_shmif_create", Errno: Errno(e)}
	}
	return IfNum(unit), nil
}

func sockaddr(ap netip.AddrPort) C.struct_nb_sockaddr_in {
	var sin C.struct_nb_sockaddr_in
	sin.sin_len = C.uint8_t(unsafe.Sizeof(sin))
	sin.sin_family = 2 // AF_INET
	sin.sin_port[0] = C.uint8_t(ap.Port() >> 8)
	sin.sin_port[1] = C.uint8_t(ap.Port())
	for i, b := range ap.Addr().As4() {
		sin.sin_addr[i] = C.uint8_t(b)
	}
	return sin
}

func fromSockaddr(sin *C.struct_nb_sockaddr_in) netip.AddrPort {
	var a [4]byte
	for i := range a {
		a[i] = byte(sin.sin_addr[i])
	}
	port := uint16(sin.sin_port[0])<<8 | uint16(sin.sin_port[1])
	return netip.AddrPortFrom(netip.AddrFrom4(a), port)
}

// ConfigureIPv4 gives interface ifname addr/prefixLen and the matching
// broadcast address (SIOCAIFADDR), then waits while duplicate address
// detection holds the address tentative (unusable), as `ifconfig -w` does.
// An address another station holds fails with EADDRINUSE.
func ConfigureIPv4(ifname string, addr netip.Addr, prefixLen int) error {
	if len(ifname) >= 16 || strings.IndexByte(ifname, 0) >= 0 || !addr.Is4() ||
		prefixLen < 0 || prefixLen > 32 {
		return &Error{Op: "SIOCAIFADDR", Errno: EINVAL}
	}
	mask := ^uint32(0) << (32 - prefixLen)
	if prefixLen == 0 {
		mask = 0
	}
	a4 := addr.As4()
	a := uint32(a4[0])<<24 | uint32(a4[1])<<16 | uint32(a4[2])<<8 | uint32(a4[3])
	v4 := func(x uint32) netip.AddrPort {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x)}), 0)
	}
	var req C.struct_nb_ifaliasreq
	for i := 0; i < len(ifname); i++ {
		req.ifra_name[i] = C.char(ifname[i])
	}
	req.ifra_addr = sockaddr(netip.AddrPortFrom(addr, 0))
	req.ifra_broadaddr = sockaddr(v4(a | ^mask))
	req.ifra_mask = sockaddr(v4(mask))

	s, err := C.rump_sys_socket(C.RUMP_PF_INET, C.RUMP_SOCK_DGRAM, 0)
	if s == -1 {
		return sysErr("socket", err)
	}
	defer C.rump_sys_close(s)
	if r, err := C.nb_aifaddr(s, &req); r == -1 {
		return sysErr("SIOCAIFADDR", err)
	}
	const tentative, duplicated = 0x01, 0x02 // IN_IFF_*
	for deadline := time.Now().Add(30 * time.Second); ; {
		flags, err := C.nb_addr_flags(s, &req.ifra_name[0], &req.ifra_addr)
		switch {
		case flags == -1:
			return sysErr("SIOCGIFAFLAG_IN", err)
		case flags&duplicated != 0:
			return &Error{Op: "duplicate address detection", Errno: EADDRINUSE}
		case flags&tentative == 0:
			return nil
		case time.Now().After(deadline):
			return &Error{Op: "duplicate address detection", Errno: ETIMEDOUT}
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// UDPConn is a UDP socket in the rump kernel's network stack. Close it when
// done.
type UDPConn struct {
	fd C.int
}

// ListenUDP opens a UDP socket bound to addr (port 0: an ephemeral port).
func ListenUDP(addr netip.AddrPort) (*UDPConn, error) {
	if !addr.Addr().Is4() {
		return nil, &Error{Op: "bind", Errno: EINVAL}
	}
	s, err := C.rump_sys_socket(C.RUMP_PF_INET, C.RUMP_SOCK_DGRAM, 0)
	if s == -1 {
		return nil, sysErr("socket", err)
	}
	sin := sockaddr(addr)
	if r, err := C.rump_sys_bind(s, (*C.struct_sockaddr)(unsafe.Pointer(&sin)), C.uint(unsafe.Sizeof(sin))); r == -1 {
		C.rump_sys_close(s)
		return nil, sysErr("bind", err)
	}
	return &UDPConn{fd: s}, nil
}

// Close closes the socket; closing twice gives EBADF.
func (c *UDPConn) Close() error {
	if c.fd < 0 {
		return &Error{Op: "close", Errno: EBADF}
	}
	r, err := C.rump_sys_close(c.fd)
	c.fd = -1
	if r == -1 {
		return sysErr("close", err)
	}
	return nil
}

// LocalAddr is the bound address (getsockname).
func (c *UDPConn) LocalAddr() (netip.AddrPort, error) {
	var sin C.struct_nb_sockaddr_in
	n := C.uint(unsafe.Sizeof(sin))
	if r, err := C.rump_sys_getsockname(c.fd, (*C.struct_sockaddr)(unsafe.Pointer(&sin)), &n); r == -1 {
		return netip.AddrPort{}, sysErr("getsockname", err)
	}
	return fromSockaddr(&sin), nil
}

// WriteTo sends one datagram to addr.
func (c *UDPConn) WriteTo(b []byte, addr netip.AddrPort) (int, error) {
	if !addr.Addr().Is4() {
		return 0, &Error{Op: "sendto", Errno: EINVAL}
	}
	sin := sockaddr(addr)
	var p unsafe.Pointer
	if len(b) > 0 {
		p = unsafe.Pointer(&b[0])
	}
	n, err := C.rump_sys_sendto(c.fd, p, C.size_t(len(b)), 0,
		(*C.struct_sockaddr)(unsafe.Pointer(&sin)), C.uint(unsafe.Sizeof(sin)))
	if n < 0 {
		return 0, sysErr("sendto", err)
	}
	return int(n), nil
}

// ReadFrom receives one datagram (blocking) into b.
func (c *UDPConn) ReadFrom(b []byte) (int, netip.AddrPort, error) {
	var sin C.struct_nb_sockaddr_in
	sinlen := C.uint(unsafe.Sizeof(sin))
	var p unsafe.Pointer
	if len(b) > 0 {
		p = unsafe.Pointer(&b[0])
	}
	n, err := C.rump_sys_recvfrom(c.fd, p, C.size_t(len(b)), 0,
		(*C.struct_sockaddr)(unsafe.Pointer(&sin)), &sinlen)
	if n < 0 {
		return 0, netip.AddrPort{}, sysErr("recvfrom", err)
	}
	return int(n), fromSockaddr(&sin), nil
}

// WaitReadable waits up to timeout for a datagram; true when one waits.
func (c *UDPConn) WaitReadable(timeout time.Duration) (bool, error) {
	ms := timeout.Milliseconds()
	if ms > 1<<30 {
		ms = 1 << 30
	}
	r, err := C.nb_poll_in(c.fd, C.int(ms))
	if r < 0 {
		return false, sysErr("poll", err)
	}
	return r == 1, nil
}
