//! Raw declarations of the parts of NetBSD's rump kernel C API that the
//! wrapper uses (<rump/rump.h>, <rump/rumpnet_if_pub.h>,
//! <rump/rump_syscalls.h>), with the link names librump.so.0 exports:
//! `rump_sys_X` is the symbol `rump___sysimpl_X` (with NetBSD's versioned
//! name where it has one, e.g. socket30).
//!
//! Conventions, as NetBSD's: `rump_init` and `rump_pub_*` return 0 or a
//! NetBSD errno; `rump_sys_*` return -1 and leave a NetBSD errno in the
//! thread's `errno`. Structures and numbers are NetBSD's (sockaddrs with a
//! length byte first, NetBSD ioctl numbers), defined here.
#![allow(non_camel_case_types)]

use std::os::raw::{c_char, c_int, c_uint, c_ulong, c_void};

extern "C" {
    pub fn rump_init() -> c_int;
    pub fn rump_pub_shmif_create(path: *const c_char, ifnum: *mut c_int) -> c_int;

    #[link_name = "rump___sysimpl_socket30"]
    pub fn rump_sys_socket(domain: c_int, kind: c_int, protocol: c_int) -> c_int;
    #[link_name = "rump___sysimpl_close"]
    pub fn rump_sys_close(fd: c_int) -> c_int;
    #[link_name = "rump___sysimpl_bind"]
    pub fn rump_sys_bind(fd: c_int, name: *const c_void, namelen: c_uint) -> c_int;
    #[link_name = "rump___sysimpl_getsockname"]
    pub fn rump_sys_getsockname(fd: c_int, name: *mut c_void, namelen: *mut c_uint) -> c_int;
    #[link_name = "rump___sysimpl_sendto"]
    pub fn rump_sys_sendto(
        fd: c_int,
        buf: *const c_void,
        len: usize,
        flags: c_int,
        to: *const c_void,
        tolen: c_uint,
    ) -> isize;
    #[link_name = "rump___sysimpl_recvfrom"]
    pub fn rump_sys_recvfrom(
        fd: c_int,
        buf: *mut c_void,
        len: usize,
        flags: c_int,
        from: *mut c_void,
        fromlen: *mut c_uint,
    ) -> isize;
    #[link_name = "rump___sysimpl_ioctl"]
    pub fn rump_sys_ioctl(fd: c_int, request: c_ulong, ...) -> c_int;
    #[link_name = "rump___sysimpl_poll"]
    pub fn rump_sys_poll(fds: *mut pollfd, nfds: c_uint, timeout: c_int) -> c_int;
}

// ---- NetBSD numbers ----------------------------------------------------------

pub const AF_INET: u8 = 2;
pub const PF_INET: c_int = 2;
pub const SOCK_DGRAM: c_int = 2;
pub const POLLIN: i16 = 0x0001;

/// NetBSD's ioctl encoding (sys/ioccom.h): _IOW(group, num, len).
pub const fn iow(group: u8, num: u8, len: usize) -> c_ulong {
    0x8000_0000 | (((len as c_ulong) & 0x1fff) << 16) | ((group as c_ulong) << 8) | num as c_ulong
}
pub const SIOCAIFADDR: c_ulong = iow(b'i', 26, std::mem::size_of::<ifaliasreq>());
/// _IOWR(group, num, len): the ioctl reads and writes its argument.
pub const fn iowr(group: u8, num: u8, len: usize) -> c_ulong {
    iow(group, num, len) | 0x4000_0000
}
pub const SIOCGIFAFLAG_IN: c_ulong = iowr(b'i', 39, std::mem::size_of::<ifreq_addr>());
/// The IN_IFF_* address flags SIOCGIFAFLAG_IN reports.
pub const IN_IFF_TENTATIVE: c_int = 0x01;
pub const IN_IFF_DUPLICATED: c_int = 0x02;

// ---- NetBSD layouts ----------------------------------------------------------

/// struct sockaddr_in (16 bytes); port and address in network byte order.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct sockaddr_in {
    pub sin_len: u8,
    pub sin_family: u8,
    pub sin_port: [u8; 2],
    pub sin_addr: [u8; 4],
    pub sin_zero: [u8; 8],
}

/// struct ifaliasreq (64 bytes): what SIOCAIFADDR takes for IPv4.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct ifaliasreq {
    pub ifra_name: [u8; 16],
    pub ifra_addr: sockaddr_in,
    pub ifra_broadaddr: sockaddr_in,
    pub ifra_mask: sockaddr_in,
}

/// struct ifreq (144 bytes) as SIOCGIFAFLAG_IN uses it: the address in,
/// its flags (an int at the same place) out.
#[repr(C, align(8))]
#[derive(Clone, Copy)]
pub struct ifreq_addr {
    pub ifr_name: [u8; 16],
    pub ifr_space: [u8; 128],
}

/// struct pollfd.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct pollfd {
    pub fd: c_int,
    pub events: i16,
    pub revents: i16,
}

const _: () = assert!(std::mem::size_of::<sockaddr_in>() == 16);
const _: () = assert!(std::mem::size_of::<ifaliasreq>() == 64);
const _: () = assert!(SIOCAIFADDR == 0x8040_691a);
const _: () = assert!(std::mem::size_of::<ifreq_addr>() == 144);
const _: () = assert!(SIOCGIFAFLAG_IN == 0xc090_6927);
