"""Wrong: it reads files as text (what cannot be decoded is replaced), so an
image arrives changed."""
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
    if path.is_file():
        body = path.read_text(errors="replace").encode()
        status = "200 OK"
    else:
        body, status = b"not found\n", "404 Not Found"
    connection.sendall(f"HTTP/1.1 {status}\r\nContent-Type: {TYPES.get(path.suffix, 'text/html')}"
                       f"\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
    connection.close()
