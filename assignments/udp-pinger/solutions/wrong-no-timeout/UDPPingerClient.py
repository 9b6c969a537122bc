"""Wrong: it never times out, so the first lost ping stops it for good."""
import sys
import time
from socket import AF_INET, SOCK_DGRAM, socket

server = (sys.argv[1], int(sys.argv[2]))
client = socket(AF_INET, SOCK_DGRAM)
for sequence in range(1, 11):
    sent = time.time()
    client.sendto(f"Ping {sequence} {sent}".encode(), server)
    reply, _ = client.recvfrom(1024)
    print(f"{reply.decode()}  RTT {time.time() - sent:.6f} s")
