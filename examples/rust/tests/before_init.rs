//! Before Kernel::init every call fails with ENXIO, as the C API says (a
//! test binary of its own: the kernel is per process and stays booted).
use rump::{Errno, Shmif, UdpSocket};
use std::net::{Ipv4Addr, SocketAddrV4};

#[test]
fn everything_is_enxio_before_init() {
    assert_eq!(Shmif::create("/nonexistent/bus").unwrap_err(), Errno::ENXIO);
    assert_eq!(
        UdpSocket::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)).unwrap_err(),
        Errno::ENXIO
    );
}
