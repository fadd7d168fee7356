"""Turns transmit checksum offload off on a Linux interface (ethtool -K IF
tx off, for hosts without ethtool).

    tx_csum_off.py IFNAME

Between namespaces a packet keeps an offloaded checksum unfilled (no NIC
ever fills it); through a vxlan interface that leaves the inner TCP
checksum wrong in the datagram a VTEP receives in user space, so the test
makes Linux compute it.
"""

import ctypes
import fcntl
import socket
import struct
import sys

SIOCETHTOOL = 0x8946
ETHTOOL_STXCSUM = 0x00000017


def main():
    name = sys.argv[1].encode()
    value = ctypes.create_string_buffer(struct.pack("II", ETHTOOL_STXCSUM, 0))
    ifreq = struct.pack("16sP16x", name, ctypes.addressof(value))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s.fileno(), SIOCETHTOOL, ifreq)
    print("tx checksum offload off on %s" % sys.argv[1])


if __name__ == "__main__":
    main()
