"""A web server that handles one HTTP request at a time: the requested file
of its working directory with its type and length, 404 Not Found for any
other, 400 Bad Request for a request line it cannot read."""
from pathlib import Path
from socket import AF_INET, SO_REUSEADDR, SOCK_STREAM, SOL_SOCKET, socket

TYPES = {".html": "text/html", ".png": "image/png"}


def response(status: str, body: bytes, kind: str = "text/html") -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: {kind}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body


def answer(request: str) -> bytes:
    parts = request.split("\r\n", 1)[0].split()
    if len(parts) != 3 or not parts[1].startswith("/"):
        return response("400 Bad Request", b"<html><body><h1>400 Bad Request</h1></body></html>\n")
    # Only a file of this folder, by its name: /../etc/passwd is not one.
    path = Path(Path(parts[1]).name)
    if path.name and path.is_file():
        return response("200 OK", path.read_bytes(), TYPES.get(path.suffix,
                                                              "application/octet-stream"))
    return response("404 Not Found", b"<html><body><h1>404 Not Found</h1></body></html>\n")


server = socket(AF_INET, SOCK_STREAM)
server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
server.bind(("", 6789))
server.listen(1)
print("Ready to serve")
while True:
    connection, address = server.accept()
    try:
        request = connection.recv(4096).decode(errors="replace")
        if request:   # a browser may open a connection and close it unused
            connection.sendall(answer(request))
    except OSError as exc:   # a client that went away: serve the next one
        print("connection from", address, "failed:", exc)
    finally:
        connection.close()
