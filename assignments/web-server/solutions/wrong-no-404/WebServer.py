"""Wrong: a file it does not have gets 200 and an empty body."""
from pathlib import Path
from socket import AF_INET, SO_REUSEADDR, SOCK_STREAM, SOL_SOCKET, socket

TYPES = {".html": "text/html", ".png": "image/png"}

server = socket(AF_INET, SOCK_STREAM)
server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
server.bind(("", 6789))
server.listen(1)
while True:
    connection, address = server.accept()
    parts = connection.recv(4096).decode(errors="replace").split()
    path = Path(Path(parts[1].lstrip("/")).name) if len(parts) > 1 else Path("")
    body = path.read_bytes() if path.is_file() else b""
    connection.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: {TYPES.get(path.suffix, 'text/html')}"
                       f"\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
    connection.close()
