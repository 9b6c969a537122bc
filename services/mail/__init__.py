"""Electronic mail: Postfix (SMTP), Dovecot (IMAP), and the users that send
and read (§2.3)."""
