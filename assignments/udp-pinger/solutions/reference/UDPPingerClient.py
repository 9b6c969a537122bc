"""A UDP pinger: ten pings, one second's timeout each; the RTT of each reply
in seconds, or "Request timed out"."""
import sys
import time
from socket import AF_INET, SOCK_DGRAM, socket

server = (sys.argv[1], int(sys.argv[2]))
client = socket(AF_INET, SOCK_DGRAM)
client.settimeout(1)
for sequence in range(1, 11):
    sent = time.time()
    client.sendto(f"Ping {sequence} {sent}".encode(), server)
    try:
        reply, _ = client.recvfrom(1024)
    except TimeoutError:
        print("Request timed out")
        continue
    print(f"{reply.decode()}  RTT {time.time() - sent:.6f} s")
client.close()
