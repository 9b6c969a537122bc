"""An SMTP client: one message from alice@crepes.fr to bob@hamburger.edu,
each command's reply read and checked."""
import sys
from socket import AF_INET, SOCK_STREAM, socket

server = (sys.argv[1], int(sys.argv[2]))
client = socket(AF_INET, SOCK_STREAM)
client.settimeout(10)
client.connect(server)
replies = client.makefile("rb")


def expect(code: str) -> None:
    """Read one reply (its continuation lines too) and check its code."""
    while True:
        line = replies.readline().decode()
        print("S:", line.rstrip())
        if line[3:4] != "-":
            break
    if not line.startswith(code):
        sys.exit(f"expected {code}, got {line.strip()!r}")


def send(command: str, code: str) -> None:
    print("C:", command)
    client.sendall((command + "\r\n").encode())
    expect(code)


expect("220")
send("HELO alice.crepes.fr", "250")
send("MAIL FROM:<alice@crepes.fr>", "250")
send("RCPT TO:<bob@hamburger.edu>", "250")
send("DATA", "354")
client.sendall(b"From: alice@crepes.fr\r\nTo: bob@hamburger.edu\r\nSubject: hello\r\n\r\n"
               b"I love computer networks!\r\n.\r\n")
expect("250")
send("QUIT", "221")
client.close()
