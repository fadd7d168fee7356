"""A checked UDP exchange for the VXLAN tests (run hijacked in rump kernels).

    udp_echo.py server ADDR PORT COUNT   print "listening"; echo COUNT
                                         distinct datagrams back, then exit
    udp_echo.py client ADDR PORT COUNT   send COUNT numbered datagrams of
                                         varied sizes, each resent until its
                                         echo comes back; print "echoed COUNT"

A lost datagram is resent (UDP may lose one while ARP resolves); an echo
that differs from what was sent fails the client.
"""

import socket
import sys


def payload(i):
    return (b"%08d" % i) * (1 + (i * 37) % 170)


def main():
    role, addr, port, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if role == "server":
        s.bind((addr, port))
        print("listening", flush=True)
        got = set()
        while len(got) < count:
            data, peer = s.recvfrom(65536)
            got.add(data[:8])
            s.sendto(data, peer)
        # Echo resends of the last datagrams for a while, then stop.
        s.settimeout(3)
        try:
            while True:
                data, peer = s.recvfrom(65536)
                s.sendto(data, peer)
        except socket.timeout:
            pass
        print("served %d" % len(got), flush=True)
        return
    s.settimeout(1)
    for i in range(count):
        want = payload(i)
        for _ in range(60):
            s.sendto(want, (addr, port))
            try:
                while True:
                    data, _ = s.recvfrom(65536)
                    if data[:8] == want[:8]:
                        break
            except socket.timeout:
                continue
            if data != want:
                sys.exit("datagram %d came back different" % i)
            break
        else:
            sys.exit("no echo for datagram %d" % i)
    print("echoed %d" % count, flush=True)


if __name__ == "__main__":
    main()
