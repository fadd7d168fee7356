"""tap_fd.py NAME FD CMD ARGS...: the privileged helper of an unprivileged
kernel. Opens (creating) the Linux tap NAME (IFF_TAP|IFF_NO_PI), puts it on
descriptor FD, and executes CMD with it inherited, so that CMD (for example
rump_server run as an ordinary user, with "linkstr fd:FD" on its virt
interface) needs no privilege of its own.
"""

import fcntl
import os
import struct
import sys

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000


def main():
    name, target = sys.argv[1].encode(), int(sys.argv[2])
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name, IFF_TAP | IFF_NO_PI))
    if fd != target:
        os.dup2(fd, target)  # inheritable, unlike fd
        os.close(fd)
    else:
        os.set_inheritable(fd, True)
    os.execvp(sys.argv[3], sys.argv[3:])


if __name__ == "__main__":
    main()
