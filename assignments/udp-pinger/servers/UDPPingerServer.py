"""The textbook's UDP pinger server, without its own random drops: here the
link loses packets. It answers each ping with the message in uppercase."""
from socket import AF_INET, SOCK_DGRAM, socket

server = socket(AF_INET, SOCK_DGRAM)
server.bind(("", 12000))
print("The server is ready to receive")
while True:
    message, address = server.recvfrom(1024)
    server.sendto(message.upper(), address)
