"""DNS: authoritative servers (BIND), the local DNS server (Unbound) and the
client that walks a lookup (§2.4)."""
