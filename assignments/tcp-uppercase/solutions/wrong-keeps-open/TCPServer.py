"""Wrong: it never closes a connection (and so serves one client at a time,
each until that client gives up)."""
from socket import AF_INET, SOCK_STREAM, socket

server = socket(AF_INET, SOCK_STREAM)
server.bind(("", 12000))
server.listen(5)
open_connections = []
while True:
    connection, address = server.accept()
    connection.send(connection.recv(1024).decode().upper().encode())
    open_connections.append(connection)
