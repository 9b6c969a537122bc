"""Wrong: once it has an object it serves it forever, without asking the
origin whether it changed."""
import sys
from socket import AF_INET, SO_REUSEADDR, SOCK_STREAM, SOL_SOCKET, socket
from urllib.parse import urlsplit

cache = {}
server = socket(AF_INET, SOCK_STREAM)
server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
server.bind(("", int(sys.argv[1])))
server.listen(5)
while True:
    client, _ = server.accept()
    raw_url = client.recv(65536).decode(errors="replace").split()[1]
    if raw_url not in cache:
        url = urlsplit(raw_url)
        origin = socket(AF_INET, SOCK_STREAM)
        origin.connect((url.hostname, url.port or 80))
        origin.sendall(f"GET {url.path} HTTP/1.0\r\nHost: {url.netloc}\r\n\r\n".encode())
        response = b""
        while chunk := origin.recv(65536):
            response += chunk
        origin.close()
        cache[raw_url] = response
    client.sendall(cache[raw_url])
    client.close()
