"""Bob's user agent: every message in his INBOX over IMAP, printed whole,
each after a line '=== message N'."""
import imaplib
import sys

server, user, password = sys.argv[1], sys.argv[2], sys.argv[3]
with imaplib.IMAP4(server, 143, timeout=10) as imap:
    imap.login(user, password)
    imap.select("INBOX", readonly=True)
    _, numbers = imap.search(None, "ALL")
    for number in numbers[0].split():
        _, data = imap.fetch(number, "(RFC822)")
        print(f"=== message {number.decode()}")
        print(data[0][1].decode(errors="replace"))
