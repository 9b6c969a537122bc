"""A caching web proxy: one request at a time; a cached object is checked
with the origin by a conditional GET (If-Modified-Since) before it is
served again."""
import sys
from socket import AF_INET, SO_REUSEADDR, SOCK_STREAM, SOL_SOCKET, socket
from urllib.parse import urlsplit

cache = {}   # URL -> (Last-Modified, Content-Type, body)


def read_response(connection) -> tuple[int, dict, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    headers = {k.strip().lower(): v.strip()
               for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", 0))
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split()[1]), headers, body


def from_origin(url: str) -> tuple[int, dict, bytes]:
    parts = urlsplit(url)
    request = f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n"
    if url in cache:
        request += f"If-Modified-Since: {cache[url][0]}\r\n"
    origin = socket(AF_INET, SOCK_STREAM)
    origin.connect((parts.hostname, parts.port or 80))
    origin.sendall((request + "\r\n").encode())
    answer = read_response(origin)
    origin.close()
    return answer


server = socket(AF_INET, SOCK_STREAM)
server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
server.bind(("", int(sys.argv[1])))
server.listen(5)
print("Ready to serve")
while True:
    client, _ = server.accept()
    request = client.recv(65536).decode(errors="replace").split()
    if len(request) < 2:   # a connection closed unused, or no request line
        client.close()
        continue
    url = request[1]
    try:
        status, headers, body = from_origin(url)
    except (OSError, ValueError) as exc:   # no origin there, or no HTTP from it
        print("origin failed:", url, exc)
        status, headers, body = 502, {"content-type": "text/plain"}, b"Bad Gateway\n"
    if status == 304:
        print("hit (revalidated):", url)
        _, kind, body = cache[url]
        status = 200
    else:
        kind = headers.get("content-type", "application/octet-stream")
        if status == 200 and "last-modified" in headers:
            cache[url] = (headers["last-modified"], kind, body)
    reason = {200: "OK", 502: "Bad Gateway"}.get(status, "Error")
    client.sendall(f"HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}\r\n"
                   f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
    client.close()
