"""Wrong: it answers every request well, including a path that leaves its
folder: GET /../../etc/passwd, with ../ enough to reach /, sends the
machine's passwd file."""
from pathlib import Path
from socket import AF_INET, SO_REUSEADDR, SOCK_STREAM, SOL_SOCKET, socket

TYPES = {".html": "text/html", ".png": "image/png"}

server = socket(AF_INET, SOCK_STREAM)
server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
server.bind(("", 6789))
server.listen(1)
while True:
    connection, address = server.accept()
    try:
        parts = connection.recv(4096).decode(errors="replace").split("\r\n")[0].split()
        if len(parts) != 3:
            if parts:
                connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            continue
        path = Path(parts[1][1:])
        if path.is_file():
            body = path.read_bytes()
            head = f"HTTP/1.1 200 OK\r\nContent-Type: {TYPES.get(path.suffix, 'text/plain')}"
        else:
            body = b"<html><body><h1>404 Not Found</h1></body></html>"
            head = "HTTP/1.1 404 Not Found\r\nContent-Type: text/html"
        connection.sendall(f"{head}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
    finally:
        connection.close()
