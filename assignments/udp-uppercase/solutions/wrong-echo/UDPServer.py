"""Wrong: it echoes the sentence as it came."""
from socket import AF_INET, SOCK_DGRAM, socket

server = socket(AF_INET, SOCK_DGRAM)
server.bind(("", 12000))
while True:
    message, client_address = server.recvfrom(2048)
    server.sendto(message, client_address)
