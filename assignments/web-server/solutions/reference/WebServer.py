"""A web server that handles one HTTP request at a time: the requested file
of its working directory with its type and length, or 404 Not Found."""
from pathlib import Path
from socket import AF_INET, SO_REUSEADDR, SOCK_STREAM, SOL_SOCKET, socket

TYPES = {".html": "text/html", ".png": "image/png"}

server = socket(AF_INET, SOCK_STREAM)
server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
server.bind(("", 6789))
server.listen(1)
print("Ready to serve")
while True:
    connection, address = server.accept()
    request = connection.recv(4096).decode(errors="replace")
    parts = request.split()
    name = Path(parts[1].lstrip("/")).name if len(parts) > 1 else ""
    path = Path(name)
    if name and path.is_file():
        body = path.read_bytes()
        kind = TYPES.get(path.suffix, "application/octet-stream")
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    else:
        body = b"<html><body><h1>404 Not Found</h1></body></html>\n"
        head = (f"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    connection.sendall(head.encode() + body)
    connection.close()
