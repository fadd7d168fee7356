"""Counts the frames of a pcap file (shmif_dumpbus -p) for the VXLAN tests.

    bus_frames.py PCAP [SRC_IP DST_IP]

Prints one line of counts, "frames N ipv4 N duplicates N arp_requests N",
and with SRC_IP and DST_IP also "echo_requests N echo_replies N who_has N"
for ICMP echoes from SRC_IP to DST_IP (and replies back) and ARP requests
from SRC_IP for DST_IP. A duplicate is an IPv4
frame whose bytes equal an earlier frame's: every IPv4 packet a kernel sends
differs from its others (IP identifier, ICMP sequence, TCP sequence), so two
equal ones mean the frame was delivered twice.
"""

import socket
import struct
import sys


def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off : off + 16])
        off += 16
        yield data[off : off + incl]
        off += incl


def main():
    path = sys.argv[1]
    pair = None
    if len(sys.argv) == 4:
        pair = (socket.inet_aton(sys.argv[2]), socket.inet_aton(sys.argv[3]))
    seen = set()
    n = ipv4 = dups = arp_req = echo_req = echo_rep = who_has = 0
    for fr in frames(path):
        n += 1
        ethertype = fr[12:14]
        if ethertype == b"\x08\x06" and len(fr) >= 22 and fr[20:22] == b"\x00\x01":
            arp_req += 1
            if pair and len(fr) >= 42 and (fr[28:32], fr[38:42]) == pair:
                who_has += 1
        if ethertype != b"\x08\x00" or len(fr) < 34:
            continue
        ipv4 += 1
        if fr in seen:
            dups += 1
        seen.add(fr)
        ihl = (fr[14] & 0x0F) * 4
        if pair and fr[23] == 1 and len(fr) > 14 + ihl:
            src, dst, icmp_type = fr[26:30], fr[30:34], fr[14 + ihl]
            if (src, dst) == pair and icmp_type == 8:
                echo_req += 1
            if (dst, src) == pair and icmp_type == 0:
                echo_rep += 1
    line = "frames %d ipv4 %d duplicates %d arp_requests %d" % (n, ipv4, dups, arp_req)
    if pair:
        line += " echo_requests %d echo_replies %d who_has %d" % (echo_req, echo_rep, who_has)
    print(line)


if __name__ == "__main__":
    main()
