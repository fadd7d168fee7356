//! udp_exchange: the C example's UDP exchange in Rust, through the safe
//! wrapper. Two processes on one bus file:
//!
//!   udp_exchange BUS ADDR/PREFIXLEN serve            answer datagrams on
//!       port 7777 until 3 s pass without one after the first (30 s for the
//!       first)
//!   udp_exchange BUS ADDR/PREFIXLEN send PEER TEXT   send TEXT to PEER:7777
//!       (again every 0.5 s, 20 times at most) until the answer comes
//!
//! Output lines as the C program's: "shmifN ADDR/LEN on BUS",
//! "listening on ADDR:7777", "got 'TEXT' from A:P", "reply from A:P: TEXT".
use rump::{Errno, Kernel, Shmif, UdpSocket};
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::process::exit;
use std::time::Duration;

const PORT: u16 = 7777;

fn usage(prog: &str) -> ! {
    eprintln!(
        "usage: {prog} BUS ADDR/PREFIXLEN serve\n       {prog} BUS ADDR/PREFIXLEN send PEER TEXT"
    );
    exit(2);
}

fn parse_cidr(text: &str) -> Option<(Ipv4Addr, u8)> {
    let (addr, len) = match text.split_once('/') {
        Some((a, l)) => (a, l.parse().ok()?),
        None => (text, 24),
    };
    if len > 32 {
        return None;
    }
    Some((addr.parse().ok()?, len))
}

fn die(what: &str, e: Errno) -> ! {
    eprintln!("udp_exchange: {what}: {e}");
    exit(1);
}

fn serve(addr: Ipv4Addr) -> i32 {
    let socket = UdpSocket::bind(SocketAddrV4::new(addr, PORT)).unwrap_or_else(|e| die("bind", e));
    println!("listening on {addr}:{PORT}");
    std::io::stdout().flush().ok();
    let mut answered = 0;
    let mut buf = [0u8; 1024];
    loop {
        let wait = Duration::from_secs(if answered == 0 { 30 } else { 3 });
        if !socket
            .wait_readable(wait)
            .unwrap_or_else(|e| die("poll", e))
        {
            break;
        }
        let (n, from) = socket
            .recv_from(&mut buf)
            .unwrap_or_else(|e| die("recvfrom", e));
        println!("got '{}' from {from}", String::from_utf8_lossy(&buf[..n]));
        std::io::stdout().flush().ok();
        socket
            .send_to(&buf[..n], from)
            .unwrap_or_else(|e| die("sendto", e));
        answered += 1;
    }
    if answered == 0 {
        eprintln!("udp_exchange: no datagram in 30 s");
        return 1;
    }
    0
}

fn send(addr: Ipv4Addr, peer: Ipv4Addr, text: &str) -> i32 {
    let socket = UdpSocket::bind(SocketAddrV4::new(addr, 0)).unwrap_or_else(|e| die("bind", e));
    let to = SocketAddrV4::new(peer, PORT);
    let mut buf = [0u8; 1024];
    // The first datagram may wait for ARP, or the peer may not be up yet.
    for _ in 0..20 {
        socket
            .send_to(text.as_bytes(), to)
            .unwrap_or_else(|e| die("sendto", e));
        if socket
            .wait_readable(Duration::from_millis(500))
            .unwrap_or_else(|e| die("poll", e))
        {
            let (n, from) = socket
                .recv_from(&mut buf)
                .unwrap_or_else(|e| die("recvfrom", e));
            let reply = String::from_utf8_lossy(&buf[..n]);
            println!("reply from {from}: {reply}");
            return if reply == text { 0 } else { 1 };
        }
    }
    eprintln!("udp_exchange: no reply from {peer} in 10 s");
    1
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let prog = args.first().map(String::as_str).unwrap_or("udp_exchange");
    if args.len() < 4 {
        usage(prog);
    }
    let (addr, len) = parse_cidr(&args[2]).unwrap_or_else(|| usage(prog));
    let peer = match (args[3].as_str(), args.len()) {
        ("serve", 4) => None,
        ("send", 6) => Some(args[4].parse::<Ipv4Addr>().unwrap_or_else(|_| usage(prog))),
        _ => usage(prog),
    };

    Kernel::init().unwrap_or_else(|e| die("rump_init", e));
    let unit = Shmif::create(&args[1]).unwrap_or_else(|e| die("rump_pub_shmif_create", e));
    unit.configure_ipv4(addr, len)
        .unwrap_or_else(|e| die("SIOCAIFADDR", e));
    println!("{unit} {} on {}", args[2], args[1]);
    std::io::stdout().flush().ok();

    exit(match peer {
        None => serve(addr),
        Some(peer) => send(addr, peer, &args[5]),
    });
}
