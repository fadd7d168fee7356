"""A checked TCP transfer both ways, for Linux <-> rump kernel tests.

    bulk.py server ADDR PORT NBYTES_DOWN   listen; receive until the client's
                                           FIN; then send NBYTES_DOWN and close
    bulk.py client ADDR PORT NBYTES_UP     connect; send NBYTES_UP; SHUT_WR;
                                           receive until the server's FIN

Each side prints one line per direction, "sent N sha256 H" and
"received N sha256 H", so that the test compares what one end sent with
what the other received. The server prints "listening" once it accepts.
Run plainly on Linux, or under rumphijack in a rump kernel.
"""

import hashlib
import os
import socket
import sys

CHUNK = 256 * 1024


def send_all(sock, n):
    h = hashlib.sha256()
    block = os.urandom(CHUNK)
    left = n
    while left > 0:
        piece = block[: min(CHUNK, left)]
        sock.sendall(piece)
        h.update(piece)
        left -= len(piece)
        # A new block now and then, so a misplaced chunk shows in the hash.
        if left % (16 * CHUNK) == 0:
            block = os.urandom(CHUNK)
    print(f"sent {n} sha256 {h.hexdigest()}", flush=True)


def receive_all(sock):
    h = hashlib.sha256()
    n = 0
    while True:
        data = sock.recv(CHUNK)
        if not data:
            break
        h.update(data)
        n += len(data)
    print(f"received {n} sha256 {h.hexdigest()}", flush=True)


def main():
    role, addr, port, nbytes = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    if role == "server":
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((addr, port))
        ls.listen(1)
        print("listening", flush=True)
        conn, _ = ls.accept()
        receive_all(conn)
        send_all(conn, nbytes)
        conn.close()
        ls.close()
    else:
        conn = socket.create_connection((addr, port), timeout=120)
        conn.settimeout(None)
        send_all(conn, nbytes)
        conn.shutdown(socket.SHUT_WR)
        receive_all(conn)
        conn.close()


if __name__ == "__main__":
    main()
