//! A small safe wrapper over NetBSD's rump kernel C API (librump.so.0): boot
//! the in-process kernel, put an interface on a shmif bus file, give it an
//! IPv4 address, and use UDP sockets in the kernel's network stack.
//!
//! ```no_run
//! use rump::{Kernel, Shmif, UdpSocket};
//! use std::net::{Ipv4Addr, SocketAddrV4};
//!
//! Kernel::init()?;
//! let unit = Shmif::create("bus")?;
//! unit.configure_ipv4(Ipv4Addr::new(10, 0, 2, 1), 24)?;
//! let socket = UdpSocket::bind(SocketAddrV4::new(Ipv4Addr::new(10, 0, 2, 1), 7777))?;
//! # Ok::<(), rump::Errno>(())
//! ```
//!
//! Errors are NetBSD errno numbers ([`Errno`]), as the C API reports them;
//! the raw declarations are in [`sys`].

pub mod sys;

use std::ffi::CString;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::raw::{c_int, c_uint, c_void};
use std::path::Path;
use std::time::Duration;

/// A NetBSD errno number (not the host's: NetBSD's EAGAIN is 35).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Errno(pub i32);

impl Errno {
    pub const ENOENT: Errno = Errno(2);
    pub const EBADF: Errno = Errno(9);
    pub const EINVAL: Errno = Errno(22);
    pub const ENXIO: Errno = Errno(6);
    pub const EISDIR: Errno = Errno(21);
    pub const EADDRINUSE: Errno = Errno(48);
    pub const EADDRNOTAVAIL: Errno = Errno(49);
    pub const ENOEXEC: Errno = Errno(8);
    pub const ETIMEDOUT: Errno = Errno(60);

    /// What a `rump_sys_*` call left in errno.
    fn last() -> Errno {
        Errno(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    }

    /// NetBSD's name for the number, for the common ones.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "EPERM",
            2 => "ENOENT",
            6 => "ENXIO",
            8 => "ENOEXEC",
            9 => "EBADF",
            12 => "ENOMEM",
            13 => "EACCES",
            14 => "EFAULT",
            16 => "EBUSY",
            17 => "EEXIST",
            20 => "ENOTDIR",
            21 => "EISDIR",
            22 => "EINVAL",
            35 => "EAGAIN",
            38 => "ENOTSOCK",
            40 => "EMSGSIZE",
            43 => "EPROTONOSUPPORT",
            45 => "EOPNOTSUPP",
            47 => "EAFNOSUPPORT",
            48 => "EADDRINUSE",
            49 => "EADDRNOTAVAIL",
            50 => "ENETDOWN",
            51 => "ENETUNREACH",
            60 => "ETIMEDOUT",
            65 => "EHOSTUNREACH",
            78 => "ENOSYS",
            _ => return None,
        })
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "NetBSD errno {} ({})", self.0, name),
            None => write!(f, "NetBSD errno {}", self.0),
        }
    }
}

impl std::error::Error for Errno {}

fn check(rv: c_int) -> Result<c_int, Errno> {
    if rv == -1 {
        Err(Errno::last())
    } else {
        Ok(rv)
    }
}

/// The rump kernel of this process. One per process; booting is
/// idempotent (a second `init` returns the same kernel).
#[derive(Debug)]
pub struct Kernel {
    _private: (),
}

impl Kernel {
    /// Boots the kernel (`rump_init`).
    pub fn init() -> Result<Kernel, Errno> {
        match unsafe { sys::rump_init() } {
            0 => Ok(Kernel { _private: () }),
            e => Err(Errno(e)),
        }
    }
}

/// A shmif interface's unit number: `shmif<N>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IfNum(pub i32);

impl IfNum {
    /// The interface name, e.g. "shmif0".
    pub fn name(self) -> String {
        format!("shmif{}", self.0)
    }

    /// Gives the interface `addr/prefix_len` with its broadcast address
    /// (SIOCAIFADDR, which also brings it up).
    pub fn configure_ipv4(self, addr: Ipv4Addr, prefix_len: u8) -> Result<(), Errno> {
        configure_ipv4(&self.name(), addr, prefix_len)
    }
}

impl fmt::Display for IfNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "shmif{}", self.0)
    }
}

/// shmif interfaces: virtual Ethernet on a bus file shared by processes.
pub struct Shmif;

impl Shmif {
    /// Creates the lowest free `shmif<N>` attached to the bus file at `path`
    /// (created if missing). ENXIO before [`Kernel::init`]; ENOEXEC for a
    /// file that is not a bus; EINVAL for a path with a NUL byte.
    pub fn create<P: AsRef<Path>>(path: P) -> Result<IfNum, Errno> {
        use std::os::unix::ffi::OsStrExt;
        let path = CString::new(path.as_ref().as_os_str().as_bytes()).map_err(|_| Errno::EINVAL)?;
        let mut unit: c_int = -1;
        match unsafe { sys::rump_pub_shmif_create(path.as_ptr(), &mut unit) } {
            0 => Ok(IfNum(unit)),
            e => Err(Errno(e)),
        }
    }
}

fn sockaddr(addr: SocketAddrV4) -> sys::sockaddr_in {
    sys::sockaddr_in {
        sin_len: std::mem::size_of::<sys::sockaddr_in>() as u8,
        sin_family: sys::AF_INET,
        sin_port: addr.port().to_be_bytes(),
        sin_addr: addr.ip().octets(),
        sin_zero: [0; 8],
    }
}

fn from_sockaddr(sin: &sys::sockaddr_in) -> SocketAddrV4 {
    SocketAddrV4::new(
        Ipv4Addr::from(sin.sin_addr),
        u16::from_be_bytes(sin.sin_port),
    )
}

/// Gives interface `ifname` the address `addr/prefix_len` and the matching
/// broadcast address (SIOCAIFADDR), then waits while duplicate address
/// detection holds the address tentative (unusable), as `ifconfig -w` does.
/// An address another station holds fails with EADDRINUSE.
pub fn configure_ipv4(ifname: &str, addr: Ipv4Addr, prefix_len: u8) -> Result<(), Errno> {
    if ifname.len() >= 16 || ifname.as_bytes().contains(&0) || prefix_len > 32 {
        return Err(Errno::EINVAL);
    }
    let mask: u32 = if prefix_len == 0 {
        0
    } else {
        !0u32 << (32 - prefix_len)
    };
    let broadcast = u32::from(addr) | !mask;
    let mut req = sys::ifaliasreq::default();
    req.ifra_name[..ifname.len()].copy_from_slice(ifname.as_bytes());
    req.ifra_addr = sockaddr(SocketAddrV4::new(addr, 0));
    req.ifra_broadaddr = sockaddr(SocketAddrV4::new(Ipv4Addr::from(broadcast), 0));
    req.ifra_mask = sockaddr(SocketAddrV4::new(Ipv4Addr::from(mask), 0));

    let socket = Socket(check(unsafe {
        sys::rump_sys_socket(sys::PF_INET, sys::SOCK_DGRAM, 0)
    })?);
    check(unsafe {
        sys::rump_sys_ioctl(socket.0, sys::SIOCAIFADDR, &mut req as *mut sys::ifaliasreq)
    })?;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let mut q = sys::ifreq_addr {
            ifr_name: req.ifra_name,
            ifr_space: [0; 128],
        };
        // SAFETY: sockaddr_in is 16 plain bytes.
        let sin: [u8; 16] = unsafe { std::mem::transmute(req.ifra_addr) };
        q.ifr_space[..16].copy_from_slice(&sin);
        check(unsafe {
            sys::rump_sys_ioctl(socket.0, sys::SIOCGIFAFLAG_IN, &mut q as *mut sys::ifreq_addr)
        })?;
        let flags = c_int::from_ne_bytes([q.ifr_space[0], q.ifr_space[1], q.ifr_space[2], q.ifr_space[3]]);
        if flags & sys::IN_IFF_DUPLICATED != 0 {
            return Err(Errno::EADDRINUSE);
        }
        if flags & sys::IN_IFF_TENTATIVE == 0 {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            return Err(Errno::ETIMEDOUT);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A kernel descriptor, closed on drop.
#[derive(Debug)]
struct Socket(c_int);

impl Drop for Socket {
    fn drop(&mut self) {
        unsafe {
            sys::rump_sys_close(self.0);
        }
    }
}

/// A UDP socket in the rump kernel's network stack; closed when dropped.
#[derive(Debug)]
pub struct UdpSocket {
    socket: Socket,
}

impl UdpSocket {
    /// A socket bound to `addr` (port 0: an ephemeral port).
    pub fn bind(addr: SocketAddrV4) -> Result<UdpSocket, Errno> {
        let socket = Socket(check(unsafe {
            sys::rump_sys_socket(sys::PF_INET, sys::SOCK_DGRAM, 0)
        })?);
        let sin = sockaddr(addr);
        check(unsafe {
            sys::rump_sys_bind(
                socket.0,
                &sin as *const sys::sockaddr_in as *const c_void,
                std::mem::size_of::<sys::sockaddr_in>() as c_uint,
            )
        })?;
        Ok(UdpSocket { socket })
    }

    /// The kernel descriptor number (valid while the socket lives).
    pub fn raw_fd(&self) -> i32 {
        self.socket.0
    }

    /// The bound address (getsockname).
    pub fn local_addr(&self) -> Result<SocketAddrV4, Errno> {
        let mut sin = sys::sockaddr_in::default();
        let mut len = std::mem::size_of::<sys::sockaddr_in>() as c_uint;
        check(unsafe {
            sys::rump_sys_getsockname(
                self.socket.0,
                &mut sin as *mut sys::sockaddr_in as *mut c_void,
                &mut len,
            )
        })?;
        Ok(from_sockaddr(&sin))
    }

    /// Sends one datagram; returns the bytes sent.
    pub fn send_to(&self, buf: &[u8], to: SocketAddrV4) -> Result<usize, Errno> {
        let sin = sockaddr(to);
        let n = unsafe {
            sys::rump_sys_sendto(
                self.socket.0,
                buf.as_ptr() as *const c_void,
                buf.len(),
                0,
                &sin as *const sys::sockaddr_in as *const c_void,
                std::mem::size_of::<sys::sockaddr_in>() as c_uint,
            )
        };
        if n < 0 {
            Err(Errno::last())
        } else {
            Ok(n as usize)
        }
    }

    /// Receives one datagram (blocking); returns its length and sender.
    pub fn recv_from(&self, buf: &mut [u8]) -> Result<(usize, SocketAddrV4), Errno> {
        let mut sin = sys::sockaddr_in::default();
        let mut len = std::mem::size_of::<sys::sockaddr_in>() as c_uint;
        let n = unsafe {
            sys::rump_sys_recvfrom(
                self.socket.0,
                buf.as_mut_ptr() as *mut c_void,
                buf.len(),
                0,
                &mut sin as *mut sys::sockaddr_in as *mut c_void,
                &mut len,
            )
        };
        if n < 0 {
            Err(Errno::last())
        } else {
            Ok((n as usize, from_sockaddr(&sin)))
        }
    }

    /// Waits up to `timeout` for a datagram; true when one is waiting.
    pub fn wait_readable(&self, timeout: Duration) -> Result<bool, Errno> {
        let mut pfd = sys::pollfd {
            fd: self.socket.0,
            events: sys::POLLIN,
            revents: 0,
        };
        let ms = timeout.as_millis().min(i32::MAX as u128) as c_int;
        let n = check(unsafe { sys::rump_sys_poll(&mut pfd, 1, ms) })?;
        Ok(n == 1 && pfd.revents & sys::POLLIN != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch directory, removed when dropped.
    struct TempDir(std::path::PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            let dir = std::env::temp_dir().join(format!("rump-rs-{}-{}", std::process::id(), name));
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }
        fn join(&self, name: &str) -> std::path::PathBuf {
            self.0.join(name)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn init_is_idempotent() {
        Kernel::init().unwrap();
        Kernel::init().unwrap();
    }

    #[test]
    fn shmif_on_a_bus_file() {
        Kernel::init().unwrap();
        let dir = TempDir::new("bus");
        let bus = dir.join("bus");
        let unit = Shmif::create(&bus).unwrap();
        assert!(unit.name().starts_with("shmif"));
        assert_eq!(std::fs::metadata(&bus).unwrap().len(), 1 << 20);
        unit.configure_ipv4(Ipv4Addr::new(10, 0, 7, 1), 24).unwrap();
    }

    #[test]
    fn shmif_errors_are_netbsd_errnos() {
        Kernel::init().unwrap();
        let dir = TempDir::new("notbus");
        let notbus = dir.join("not-a-bus");
        std::fs::write(&notbus, b"this is not a shmif bus, it has the wrong magic").unwrap();
        assert_eq!(Shmif::create(&notbus), Err(Errno::ENOEXEC));
        assert_eq!(Shmif::create("bad\0path"), Err(Errno::EINVAL));
    }

    #[test]
    fn bad_addresses() {
        Kernel::init().unwrap();
        assert_eq!(
            configure_ipv4("nosuch0", Ipv4Addr::new(10, 9, 9, 9), 24),
            Err(Errno::ENXIO)
        );
        assert_eq!(
            configure_ipv4("shmif0", Ipv4Addr::new(10, 9, 9, 9), 33),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            configure_ipv4(
                "a-name-far-too-long-for-ifreq",
                Ipv4Addr::new(10, 9, 9, 9),
                24
            ),
            Err(Errno::EINVAL)
        );
    }

    #[test]
    fn udp_socket_closes_on_drop() {
        Kernel::init().unwrap();
        let dir = TempDir::new("udp");
        let unit = Shmif::create(dir.join("bus")).unwrap();
        unit.configure_ipv4(Ipv4Addr::new(10, 0, 8, 1), 24).unwrap();
        let addr = SocketAddrV4::new(Ipv4Addr::new(10, 0, 8, 1), 7000);
        let socket = UdpSocket::bind(addr).unwrap();
        assert_eq!(socket.local_addr(), Ok(addr));
        // The port is taken while the socket lives, free once it is dropped.
        assert_eq!(UdpSocket::bind(addr).unwrap_err(), Errno::EADDRINUSE);
        drop(socket);
        UdpSocket::bind(addr).unwrap();
    }

    #[test]
    fn errno_display() {
        assert_eq!(Errno(35).to_string(), "NetBSD errno 35 (EAGAIN)");
        assert_eq!(Errno(1234).to_string(), "NetBSD errno 1234");
    }
}
