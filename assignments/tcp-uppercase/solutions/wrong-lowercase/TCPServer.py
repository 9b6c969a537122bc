"""Wrong: it answers in lowercase."""
from socket import AF_INET, SOCK_STREAM, socket

server = socket(AF_INET, SOCK_STREAM)
server.bind(("", 12000))
server.listen(1)
while True:
    connection, address = server.accept()
    connection.send(connection.recv(1024).decode().lower().encode())
    connection.close()
