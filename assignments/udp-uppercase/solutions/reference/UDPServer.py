"""The slides' UDP server: each datagram's sentence back in uppercase."""
from socket import AF_INET, SOCK_DGRAM, socket

server_port = 12000
server = socket(AF_INET, SOCK_DGRAM)
server.bind(("", server_port))
print("The server is ready to receive")
while True:
    message, client_address = server.recvfrom(2048)
    server.sendto(message.decode().upper().encode(), client_address)
