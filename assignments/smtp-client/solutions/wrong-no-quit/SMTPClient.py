"""Wrong: it hangs up after the message without saying QUIT."""
import sys
from socket import AF_INET, SOCK_STREAM, socket

client = socket(AF_INET, SOCK_STREAM)
client.connect((sys.argv[1], int(sys.argv[2])))
print(client.recv(1024).decode())
for command in ("HELO alice.crepes.fr", "MAIL FROM:<alice@crepes.fr>",
                "RCPT TO:<bob@hamburger.edu>", "DATA"):
    client.sendall((command + "\r\n").encode())
    print(client.recv(1024).decode())
client.sendall(b"Subject: hello\r\n\r\nI love computer networks!\r\n.\r\n")
print(client.recv(1024).decode())
client.close()
