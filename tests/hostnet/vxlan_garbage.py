"""Sends malformed VXLAN datagrams to a VTEP, for the fault tests.

    vxlan_garbage.py ADDR PORT VNI COUNT [FROM_ADDR]

Sends COUNT datagrams, each wrong in one way a VTEP must refuse: shorter
than the header, flags without the I bit (random bytes), the I bit with
other flags, another VNI, an inner frame shorter than an Ethernet header,
an inner frame longer than 1514 bytes. Prints "sent COUNT".
"""

import os
import random
import socket
import struct
import sys


def header(flags, vni):
    return struct.pack("!B3xI", flags, vni << 8)


def main():
    addr, port, vni, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    rnd = random.Random(os.getpid())
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if len(sys.argv) > 5:
        s.bind((sys.argv[5], 0))
    for i in range(count):
        kind = i % 6
        if kind == 0:
            d = os.urandom(rnd.randrange(0, 8))
        elif kind == 1:
            d = bytearray(os.urandom(rnd.randrange(8, 1600)))
            d[0] &= 0xF7  # the I bit clear
            d = bytes(d)
        elif kind == 2:
            other = rnd.choice([0x01, 0x02, 0x04, 0x10, 0x20, 0x40, 0x80])
            d = header(0x08 | other, vni) + os.urandom(60)
        elif kind == 3:
            d = header(0x08, (vni + 1 + rnd.randrange(0, 1000)) & 0xFFFFFF) + os.urandom(60)
        elif kind == 4:
            d = header(0x08, vni) + os.urandom(rnd.randrange(0, 14))
        else:
            d = header(0x08, vni) + os.urandom(rnd.randrange(1515, 8000))
        s.sendto(d, (addr, port))
    print("sent %d" % count)


if __name__ == "__main__":
    main()
