"""Wrong: it answers one client, then exits."""
from socket import AF_INET, SOCK_DGRAM, socket

server = socket(AF_INET, SOCK_DGRAM)
server.bind(("", 12000))
message, client_address = server.recvfrom(2048)
server.sendto(message.decode().upper().encode(), client_address)
server.close()
