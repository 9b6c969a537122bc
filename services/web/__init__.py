"""The web: origin servers (nginx, Caddy), the web cache (Squid), and the clients that
fetch pages, files, conditional GETs and cookies (§2.2)."""
