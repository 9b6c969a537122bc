"""Wrong: it times its pings with the CPU time it used, not the time that
passed."""
import sys
import time
from socket import AF_INET, SOCK_DGRAM, socket

server = (sys.argv[1], int(sys.argv[2]))
client = socket(AF_INET, SOCK_DGRAM)
client.settimeout(1)
for sequence in range(1, 11):
    sent = time.process_time()
    client.sendto(f"Ping {sequence} {sent}".encode(), server)
    try:
        reply, _ = client.recvfrom(1024)
    except TimeoutError:
        print("Request timed out")
        continue
    print(f"{reply.decode()}  RTT {time.process_time() - sent:.6f} s")
