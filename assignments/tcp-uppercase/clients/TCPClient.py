"""The slides' TCP client, with the server's address and port as arguments
and a 10 s timeout: it sends one line from stdin, then prints what the
server sends until it closes the connection (exit status 1 if it has not
within 10 s)."""
import sys
from socket import AF_INET, SOCK_STREAM, socket

server, port = sys.argv[1], int(sys.argv[2])
client = socket(AF_INET, SOCK_STREAM)
client.settimeout(10)
client.connect((server, port))
client.send(sys.stdin.readline().rstrip("\n").encode())
received = b""
try:
    while chunk := client.recv(1024):
        received += chunk
except TimeoutError:
    print(received.decode(errors="replace"))
    print("the connection was still open after 10 s", file=sys.stderr)
    sys.exit(1)
print(received.decode(errors="replace"))
client.close()
