"""What a check sends a student's server byte for byte, as real clients do:
a connection closed without a request, a malformed request line, an empty
datagram. Run on a host by ``Lab.exchange``:

    python -m orchestrator.assignments.wire tcp|udp ADDRESS PORT HEX WAIT_S

It sends the bytes (tcp: on a new connection, then closes its side; no
bytes: it closes at once), prints in hex what came back before the peer
closed or WAIT_S passed, and exits 0; 2 if the connection was refused,
3 if nothing came back.
"""
from __future__ import annotations

import socket
import sys

REFUSED, SILENT = 2, 3
CHUNK = 65536


def exchange(protocol: str, address: str, port: int, data: bytes, wait_s: float) -> bytes:
    kind = socket.SOCK_STREAM if protocol == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.settimeout(wait_s)
        if protocol == "udp":
            sock.sendto(data, (address, port))
            try:
                return sock.recv(CHUNK)
            except TimeoutError:
                return b""
        sock.connect((address, port))
        if not data:
            return b""
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        try:
            while chunk := sock.recv(CHUNK):
                received += chunk
        except (TimeoutError, ConnectionResetError):
            pass
        return received


def main(argv: list[str]) -> int:
    protocol, address, port, data, wait_s = argv
    try:
        received = exchange(protocol, address, int(port), bytes.fromhex(data), float(wait_s))
    except ConnectionRefusedError:
        return REFUSED
    print(received.hex())
    return 0 if received else SILENT


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
