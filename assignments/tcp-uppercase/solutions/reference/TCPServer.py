"""The slides' TCP server: each connection's sentence back in uppercase,
then the connection closed."""
from socket import AF_INET, SOCK_STREAM, socket

server_port = 12000
server = socket(AF_INET, SOCK_STREAM)
server.bind(("", server_port))
server.listen(1)
print("The server is ready to receive")
while True:
    connection, address = server.accept()
    sentence = connection.recv(1024).decode()
    connection.send(sentence.upper().encode())
    connection.close()
