"""The slides' UDP client, with the server's address and port as arguments
and the slides' timeout: it sends one line from stdin and prints the reply,
or says it waited 10 s in vain (exit status 1)."""
import sys
from socket import AF_INET, SOCK_DGRAM, socket

server, port = sys.argv[1], int(sys.argv[2])
client = socket(AF_INET, SOCK_DGRAM)
client.settimeout(10)
client.sendto(sys.stdin.readline().rstrip("\n").encode(), (server, port))
try:
    reply, _ = client.recvfrom(2048)
except TimeoutError:
    print("no reply within 10 s", file=sys.stderr)
    sys.exit(1)
print(reply.decode())
client.close()
