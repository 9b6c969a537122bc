"""Wrong: the textbook skeleton as many fill it in. It serves files well,
but message.split()[1] raises IndexError on a connection that closed
without a request, and the server dies."""
from socket import AF_INET, SO_REUSEADDR, SOCK_STREAM, SOL_SOCKET, socket

serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
serverSocket.bind(("", 6789))
serverSocket.listen(1)
while True:
    print("Ready to serve...")
    connectionSocket, addr = serverSocket.accept()
    try:
        message = connectionSocket.recv(1024).decode()
        filename = message.split()[1]
        f = open(filename[1:], "rb")
        outputdata = f.read()
        kind = "image/png" if filename.endswith(".png") else "text/html"
        connectionSocket.send(f"HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\n"
                              f"Content-Length: {len(outputdata)}\r\n\r\n".encode())
        connectionSocket.sendall(outputdata)
        connectionSocket.close()
    except OSError:
        body = b"<html><body><h1>404 Not Found</h1></body></html>"
        connectionSocket.send(b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n"
                              + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        connectionSocket.close()
