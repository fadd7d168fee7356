"""A Python program run, unmodified, under librumphijack (python_test.sh).

`probe.py server ADDR`: in one kernel, a UDP echo on ADDR:7000 and a
forking TCP server on ADDR:7001 (each connection served by a forked child,
which must share the parent's kernel descriptors) that answers every line
in upper case, until a line "quit". Prints "ready" once both are bound.

`probe.py client ADDR`: in another kernel, exercises what the hijack
translates between Linux's ABI and NetBSD's, and prints "OK" at the end;
any failed check raises (exit 1, with a traceback).
"""

import array
import errno
import fcntl
import os
import select
import signal
import socket
import socketserver
import struct
import sys
import threading
import time


def server(addr):
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((addr, 7000))

    def udp_echo():
        while True:
            data, peer = udp.recvfrom(2048)
            udp.sendto(data, peer)

    class Upper(socketserver.StreamRequestHandler):
        def handle(self):
            for line in self.rfile:
                if line.strip() == b"close":
                    return
                if line.strip() == b"quit":
                    # The parent must stop: tell it through its own
                    # kernel socket (the child cannot call shutdown()).
                    os.kill(os.getppid(), 15)
                    return
                self.wfile.write(line.upper())
                self.wfile.flush()

    socketserver.ForkingTCPServer.allow_reuse_address = True
    tcp = socketserver.ForkingTCPServer((addr, 7001), Upper)
    threading.Thread(target=udp_echo, daemon=True).start()
    print("ready", flush=True)
    tcp.serve_forever(poll_interval=0.2)


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


# Linux's numbers (sys/ioctl.h, netinet/in.h), where Python has no name.
SIOCGIFNAME, SIOCGIFCONF, SIOCGIFFLAGS = 0x8910, 0x8912, 0x8913
SIOCGIFADDR, SIOCGIFBRDADDR, SIOCGIFNETMASK = 0x8915, 0x8919, 0x891B
SIOCGIFMTU, SIOCGIFHWADDR, SIOCGIFINDEX = 0x8921, 0x8927, 0x8933
IFF_UP, IFF_BROADCAST, IFF_LOOPBACK, IFF_RUNNING, IFF_MULTICAST = 0x1, 0x2, 0x8, 0x40, 0x1000
IP_TTL, IP_PKTINFO, IP_RECVTTL = 2, 8, 12
SO_TIMESTAMP = SCM_TIMESTAMP = 29
ARPHRD_ETHER = 1


def ifreq(name, rest=b""):
    return struct.pack("16s24s", name, rest)


def interface_ioctls():
    """The ifreq ioctls on a kernel socket, as Linux's ifconfig uses them.
    Returns {name: index} of the interfaces."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    fd = s.fileno()
    # SIOCGIFCONF: Linux's 40-byte records, IPv4 addresses only.
    buf = array.array("B", bytes(40 * 16))
    res = fcntl.ioctl(fd, SIOCGIFCONF, struct.pack("iL", len(buf), buf.buffer_info()[0]))
    n = struct.unpack("iL", res)[0]
    expect(n > 0 and n % 40 == 0, "SIOCGIFCONF length %d" % n)
    raw = buf.tobytes()
    conf = [(raw[i : i + 16].rstrip(b"\0"), struct.unpack("H", raw[i + 16 : i + 18])[0],
             socket.inet_ntoa(raw[i + 20 : i + 24])) for i in range(0, n, 40)]
    expect((b"lo0", socket.AF_INET, "127.0.0.1") in conf, "SIOCGIFCONF %r" % conf)
    shmif = [c for c in conf if c[0] == b"shmif0"]
    expect(len(shmif) == 1, "SIOCGIFCONF %r" % conf)
    me = shmif[0][2]
    # With no buffer: the length it needs.
    res = fcntl.ioctl(fd, SIOCGIFCONF, struct.pack("iL", 0, 0))
    expect(struct.unpack("iL", res)[0] == n, "SIOCGIFCONF's length with no buffer")

    def addr_of(request, name=b"shmif0"):
        res = fcntl.ioctl(fd, request, ifreq(name))
        expect(struct.unpack("H", res[16:18])[0] == socket.AF_INET, "family of %x" % request)
        return socket.inet_ntoa(res[20:24])

    expect(addr_of(SIOCGIFADDR) == me, "SIOCGIFADDR")
    expect(addr_of(SIOCGIFNETMASK) == "255.255.255.0", "SIOCGIFNETMASK")
    expect(addr_of(SIOCGIFBRDADDR) == me.rsplit(".", 1)[0] + ".255", "SIOCGIFBRDADDR")
    expect(addr_of(SIOCGIFADDR, b"lo0") == "127.0.0.1", "SIOCGIFADDR lo0")
    flags = struct.unpack("h", fcntl.ioctl(fd, SIOCGIFFLAGS, ifreq(b"shmif0"))[16:18])[0]
    want = IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_MULTICAST
    expect(flags & want == want and not flags & IFF_LOOPBACK, "shmif0 flags %#x" % flags)
    flags = struct.unpack("h", fcntl.ioctl(fd, SIOCGIFFLAGS, ifreq(b"lo0"))[16:18])[0]
    expect(flags & (IFF_UP | IFF_LOOPBACK) == IFF_UP | IFF_LOOPBACK, "lo0 flags %#x" % flags)
    mtu = struct.unpack("i", fcntl.ioctl(fd, SIOCGIFMTU, ifreq(b"shmif0"))[16:20])[0]
    expect(mtu == 1500, "SIOCGIFMTU %d" % mtu)
    index = struct.unpack("i", fcntl.ioctl(fd, SIOCGIFINDEX, ifreq(b"shmif0"))[16:20])[0]
    expect(index > 0, "SIOCGIFINDEX %d" % index)
    name = fcntl.ioctl(fd, SIOCGIFNAME, struct.pack("16si20s", b"", index, b""))[:16]
    expect(name.rstrip(b"\0") == b"shmif0", "SIOCGIFNAME %r" % name)
    hw = fcntl.ioctl(fd, SIOCGIFHWADDR, ifreq(b"shmif0"))
    family = struct.unpack("H", hw[16:18])[0]
    mac = hw[18:24]
    expect(family == ARPHRD_ETHER and mac != bytes(6), "SIOCGIFHWADDR %d %r" % (family, mac))
    try:
        fcntl.ioctl(fd, SIOCGIFADDR, ifreq(b"nosuch0"))
        raise AssertionError("SIOCGIFADDR of nosuch0 answered")
    except OSError as e:
        expect(e.errno == errno.ENODEV, "SIOCGIFADDR nosuch0: %r" % e)
    s.close()
    print("ioctl: shmif0 %s index %d mac %s" % (me, index, mac.hex(":")))
    return me, index


def receive_options(addr, ifaddr):
    """IP_PKTINFO, IP_RECVTTL and SO_TIMESTAMP through recvmsg's
    ancillary data, and what sendmsg takes."""
    me, index = ifaddr
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.connect((addr, 7000))
    u.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
    u.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
    u.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMP, 1)
    expect(u.getsockopt(socket.IPPROTO_IP, IP_PKTINFO) != 0, "getsockopt IP_PKTINFO")
    u.send(b"ancillary")
    data, anc, flags, _ = u.recvmsg(2048, 1024)
    expect(data == b"ancillary" and not flags & socket.MSG_CTRUNC, "recvmsg %r %#x" % (data, flags))
    got = {(level, kind): d for level, kind, d in anc}
    expect(len(anc) == 3, "three control messages: %r" % anc)
    ifindex, spec_dst, dst = struct.unpack("i4s4s", got[(socket.IPPROTO_IP, IP_PKTINFO)])
    expect(ifindex == index and socket.inet_ntoa(dst) == me and spec_dst == dst,
           "IP_PKTINFO %d %r %r" % (ifindex, spec_dst, dst))
    ttl = struct.unpack("i", got[(socket.IPPROTO_IP, IP_TTL)])[0]
    expect(ttl == 64, "IP_TTL %d" % ttl)
    sec, usec = struct.unpack("qq", got[(socket.SOL_SOCKET, SCM_TIMESTAMP)])
    expect(abs(sec - time.time()) < 3600 and 0 <= usec < 1000000, "SCM_TIMESTAMP %d %d" % (sec, usec))
    # Room for the first message only: it comes, with MSG_CTRUNC.
    u.send(b"short")
    data, anc, flags, _ = u.recvmsg(2048, socket.CMSG_SPACE(16))
    expect(data == b"short" and flags & socket.MSG_CTRUNC and len(anc) == 1,
           "recvmsg with a short buffer: %r %#x" % (anc, flags))
    # sendmsg: an IP_PKTINFO that asks for nothing is fine; SCM_RIGHTS is not.
    nothing = struct.pack("i4s4s", 0, bytes(4), bytes(4))
    u.sendmsg([b"with pktinfo"], [(socket.IPPROTO_IP, IP_PKTINFO, nothing)])
    expect(u.recv(100) == b"with pktinfo", "sendmsg with an empty IP_PKTINFO")
    try:
        u.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", 0))])
        raise AssertionError("sendmsg with SCM_RIGHTS went")
    except OSError as e:
        expect(e.errno == errno.EOPNOTSUPP, "SCM_RIGHTS: %r" % e)
    u.close()
    print("ancillary: IP_PKTINFO, IP_TTL, SCM_TIMESTAMP")


def client(addr):
    # Name lookups stay on the host (/etc/hosts here).
    infos = socket.getaddrinfo("localhost", 80, socket.AF_INET, socket.SOCK_STREAM)
    expect(infos and infos[0][4][0] == "127.0.0.1", "getaddrinfo(localhost) %r" % infos)
    print("names: localhost from the host's /etc/hosts")

    # UDP: an ephemeral port, sendto/recvfrom with addresses, select.
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("0.0.0.0", 0))
    host, port = u.getsockname()
    expect(host == "0.0.0.0" and port > 0, "getsockname %r" % ((host, port),))
    u.sendto(b"ping over udp", (addr, 7000))
    r, _, _ = select.select([u], [], [], 30)
    expect(r == [u], "select did not see the UDP answer")
    data, peer = u.recvfrom(2048)
    expect(data == b"ping over udp" and peer == (addr, 7000), "recvfrom %r %r" % (data, peer))
    u.close()
    print("udp: echo from", peer)

    # Socket options, in Linux's numbers.
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    expect(t.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) != 0, "SO_REUSEADDR")
    expect(t.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) == socket.SOCK_STREAM, "SO_TYPE")
    t.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    expect(t.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) >= 65536, "SO_RCVBUF")
    t.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    expect(t.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0, "TCP_NODELAY")
    # Set only: NetBSD's kernel answers getsockopt(TCP_KEEPIDLE) with
    # ENOPROTOOPT (this probe also runs there).
    t.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30)
    try:
        t.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
        raise AssertionError("SO_PEERCRED answered")
    except OSError as e:
        expect(e.errno == errno.ENOPROTOOPT, "SO_PEERCRED: %r" % e)
    print("options: ok")

    ifaddr = interface_ioctls()
    receive_options(addr, ifaddr)

    # Non-blocking connect: EINPROGRESS, then writable, SO_ERROR 0.
    t.setblocking(False)
    rc = t.connect_ex((addr, 7001))
    expect(rc in (errno.EINPROGRESS, 0), "connect_ex %d" % rc)
    _, w, _ = select.select([], [t], [], 30)
    expect(w == [t], "select did not see the connection")
    expect(t.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0, "SO_ERROR")
    expect(t.getpeername() == (addr, 7001), "getpeername %r" % (t.getpeername(),))
    t.setblocking(True)
    print("connect: non-blocking, EINPROGRESS then connected")

    # A host pipe and a kernel socket in one poll: each wakes it alone.
    rfd, wfd = os.pipe()
    p = select.poll()
    p.register(rfd, select.POLLIN)
    p.register(t.fileno(), select.POLLIN)
    expect(p.poll(0) == [], "idle poll not empty")
    os.write(wfd, b"x")
    expect(p.poll(30000) == [(rfd, select.POLLIN)], "poll did not see the host pipe alone")
    os.read(rfd, 1)
    t.sendall(b"mixed\n")
    ev = p.poll(30000)
    expect(ev == [(t.fileno(), select.POLLIN)], "poll did not see the kernel socket alone: %r" % ev)
    expect(t.recv(100) == b"MIXED\n", "echo through the mixed poll")
    os.close(rfd)
    os.close(wfd)
    print("poll: host pipe and kernel socket together")

    # Threads that mixed host and kernel descriptors in a poll leave no
    # descriptors behind when they end (the library's wake-up pipes).
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def mixed_poll_once():
        r, w = os.pipe()
        q = select.poll()
        q.register(r, select.POLLIN)
        q.register(u.fileno(), select.POLLIN)
        q.poll(0)
        os.close(r)
        os.close(w)

    mixed_poll_once()
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        th = threading.Thread(target=mixed_poll_once)
        th.start()
        th.join()
    # Python's join() returns before the thread's C++ thread_local
    # destructors have run: wait (a minute at most) for the count to settle.
    for _ in range(1200):
        after = len(os.listdir("/proc/self/fd"))
        if after == before:
            break
        time.sleep(0.05)
    expect(after == before, "20 threads left %d descriptors" % (after - before))
    u.close()
    print("poll: threads leave no wake-up pipes behind")

    # sendmsg / recvmsg with several buffers.
    t.sendmsg([b"send", b"msg\n"])
    buf1, buf2 = bytearray(3), bytearray(10)
    n, anc, flags, peer = t.recvmsg_into([buf1, buf2])
    expect(bytes(buf1) + bytes(buf2[: n - 3]) == b"SENDMSG\n", "recvmsg_into %r %r" % (buf1, buf2))
    t.close()
    print("sendmsg/recvmsg: ok")

    # sendfile(2) itself (socket.sendfile would fall back to send() on an
    # error): a host file into a kernel socket.
    path = "sendfile.txt"
    with open(path, "wb") as f:
        f.write(b"sent from a file\n" * 100)
    c = socket.create_connection((addr, 7001), timeout=30)
    with open(path, "rb") as f:
        sent = 0
        while sent < 1700:
            n = os.sendfile(c.fileno(), f.fileno(), sent, 1700 - sent)
            expect(n > 0, "sendfile returned %d" % n)
            sent += n
    f = c.makefile("rb")
    for _ in range(100):
        expect(f.readline() == b"SENT FROM A FILE\n", "sendfile's bytes")
    f.close()
    c.close()
    os.unlink(path)
    print("sendfile: a host file into a kernel socket")

    # The forking server: three connections, three children.
    for i in range(3):
        c = socket.create_connection((addr, 7001), timeout=30)
        c.sendall(b"child %d\n" % i)
        f = c.makefile("rb")
        expect(f.readline() == b"CHILD %d\n" % i, "forked child %d" % i)
        f.close()
        c.close()
    print("fork: three children served")

    # SIGPIPE: a program that left it at SIG_DFL dies writing to a
    # connection its peer closed, as on Linux (the kernel has no signals;
    # the library raises it). In a child process: a fresh hijacked python.
    code = (
        "import signal, socket\n"
        "signal.signal(signal.SIGPIPE, signal.SIG_DFL)\n"
        "c = socket.create_connection((%r, 7001), timeout=30)\n"
        "c.sendall(b'close\\n')\n"
        "assert c.recv(10) == b''\n"
        "for i in range(10000):\n"
        "    try:\n"
        "        c.send(b'x' * 1000)\n"
        "    except ConnectionResetError:\n"
        "        pass\n"
        "raise SystemExit(3)\n" % addr
    )
    import subprocess

    rc = subprocess.run([sys.executable, "-c", code]).returncode
    expect(rc == -13, "the SIGPIPE child exited %d, not -13" % rc)
    print("sigpipe: raised")

    # Refused: a port nobody listens on.
    try:
        socket.create_connection((addr, 7999), timeout=30)
        raise AssertionError("connected to a closed port")
    except ConnectionRefusedError:
        print("refused: ECONNREFUSED")

    c = socket.create_connection((addr, 7001), timeout=30)
    c.sendall(b"quit\n")
    c.close()
    print("OK")


def inetd(addr):
    """Accepts one connection on ADDR:7003, puts it on descriptors 0 and 1
    and execs a python that copies 0 to 1 (inetd-style), until EOF."""
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.bind((addr, 7003))
    ls.listen(1)
    print("ready", flush=True)
    conn, _ = ls.accept()
    os.dup2(conn.fileno(), 0)
    os.dup2(conn.fileno(), 1)
    conn.close()
    ls.close()
    copy = "import os\nwhile d := os.read(0, 4096):\n    os.write(1, d)\n"
    os.execv(sys.executable, [sys.executable, "-c", copy])


def aserver(addr):
    """An asyncio echo server (epoll) on ADDR:7002, until a line "quit"."""
    import asyncio

    async def main():
        done = asyncio.Event()

        async def echo(reader, writer):
            while line := await reader.readline():
                if line.strip() == b"quit":
                    done.set()
                    break
                writer.write(line)
                await writer.drain()
            writer.close()

        srv = await asyncio.start_server(echo, addr, 7002)
        print("ready", flush=True)
        await done.wait()
        srv.close()

    asyncio.run(main())


def aclients(addr):
    """100 concurrent asyncio clients of aserver, 20 lines each."""
    import asyncio

    async def one(i):
        reader, writer = await asyncio.open_connection(addr, 7002)
        for j in range(20):
            line = b"client %d line %d\n" % (i, j)
            writer.write(line)
            await writer.drain()
            expect(await reader.readline() == line, "echo %d/%d" % (i, j))
        writer.close()
        await writer.wait_closed()

    async def main():
        await asyncio.gather(*(one(i) for i in range(100)))
        reader, writer = await asyncio.open_connection(addr, 7002)
        writer.write(b"quit\n")
        await writer.drain()
        writer.close()

    asyncio.run(main())
    print("asyncio: 100 clients x 20 lines echoed")


def sigint(addr):
    """Blocks in recv on a kernel socket until Ctrl-C: Python's own SIGINT
    handler (no SA_RESTART) must interrupt the call and raise
    KeyboardInterrupt, as it does on a Linux socket."""
    # A background job of a script starts with SIGINT ignored, and Python
    # then leaves it so: put Python's handler in place as an interactive
    # start would.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((addr, 7100))
    print("ready", flush=True)
    try:
        data = u.recv(100)
        print("returned %r" % data, flush=True)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    # The connection goes on after the interrupted call.
    u.sendto(b"after", (addr, 7100))
    expect(u.recv(100) == b"after", "a call after the interrupted one")
    print("after: ok", flush=True)


if __name__ == "__main__":
    modes = {"server": server, "client": client, "aserver": aserver, "aclients": aclients,
             "inetd": inetd, "sigint": sigint}
    modes[sys.argv[1]](sys.argv[2])
