"""Wrong: it forwards every request as it is and keeps nothing."""
import sys
from socket import AF_INET, SO_REUSEADDR, SOCK_STREAM, SOL_SOCKET, socket
from urllib.parse import urlsplit

server = socket(AF_INET, SOCK_STREAM)
server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
server.bind(("", int(sys.argv[1])))
server.listen(5)
while True:
    client, _ = server.accept()
    url = urlsplit(client.recv(65536).decode(errors="replace").split()[1])
    origin = socket(AF_INET, SOCK_STREAM)
    origin.connect((url.hostname, url.port or 80))
    origin.sendall(f"GET {url.path} HTTP/1.0\r\nHost: {url.netloc}\r\n\r\n".encode())
    while chunk := origin.recv(65536):
        client.sendall(chunk)
    origin.close()
    client.close()
