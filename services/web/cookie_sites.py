"""The cookie experiment's three web applications (Kurose & Ross, "Cookies"),
as WSGI apps for a real application server (gunicorn):

- ``shop``: gives a first-time visitor an ID (the slides' 1678 onwards) in a
  cookie and a row in its SQLite database, and recognises it on later visits;
- ``news``: serves any site name it is asked for (virtual hosting), each page
  embedding an ad from the ad network's host;
- ``adx``: the ad network. Its ad sets and reads a cookie of its own domain and
  logs every view; a browser that comes back with that cookie is linked across
  the sites it was seen on: the tracker's cross-site profile.

    gunicorn --bind IP:80 'services.web.cookie_sites:app("shop", "/path/db.sqlite")'
"""
from __future__ import annotations

import sqlite3
import sys
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from services.base import Role

FIRST_ID = 1678  # the slides' first shopper
SHOP_COOKIE = "shop-id"
ADX_COOKIE = "adx-id"
# A 1x1 transparent GIF: the ad itself.
PIXEL = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00"
         b"\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")


def _cookie(environ, name: str) -> str | None:
    jar = SimpleCookie(environ.get("HTTP_COOKIE", ""))
    return jar[name].value if name in jar else None


def _connect(db: str) -> sqlite3.Connection:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("CREATE TABLE IF NOT EXISTS visitors (id INTEGER PRIMARY KEY, visits INTEGER)")
    conn.execute("CREATE TABLE IF NOT EXISTS views (id INTEGER, site TEXT, came_back INTEGER)")
    return conn


def shop(environ, start_response, db: str):
    conn = _connect(db)
    known = _cookie(environ, SHOP_COOKIE)
    row = conn.execute("SELECT visits FROM visitors WHERE id = ?", (known,)).fetchone() \
        if known and known.isdigit() else None
    headers = [("Content-Type", "text/html")]
    if row:
        visits = row[0] + 1
        conn.execute("UPDATE visitors SET visits = ? WHERE id = ?", (visits, known))
        body, recognised, ident = f"Welcome back, shopper {known} (visit {visits})", "yes", known
    else:
        latest = conn.execute("SELECT MAX(id) FROM visitors").fetchone()[0]
        ident = str(max(FIRST_ID, (latest or 0) + 1))
        conn.execute("INSERT INTO visitors VALUES (?, 1)", (ident,))
        headers.append(("Set-Cookie", f"{SHOP_COOKIE}={ident}; Path=/"))
        body, recognised = f"Welcome, new shopper {ident}", "no"
    headers += [("X-Recognised", recognised), ("X-Shopper", ident)]
    start_response("200 OK", headers)
    return [f"<html><body><p>{body}</p></body></html>".encode()]


def news(environ, start_response, ad_host: str):
    site = environ.get("HTTP_HOST", "news").split(":")[0]
    page = (f"<html><body><h1>{site}</h1><p>Today's news.</p>"
            f'<img src="http://{ad_host}/ad?site={site}"></body></html>')
    start_response("200 OK", [("Content-Type", "text/html")])
    return [page.encode()]


def adx(environ, start_response, db: str):
    conn = _connect(db)
    site = parse_qs(environ.get("QUERY_STRING", "")).get("site", ["?"])[0]
    known = _cookie(environ, ADX_COOKIE)
    headers = [("Content-Type", "image/gif")]
    if known and known.isdigit():
        ident, came_back = int(known), 1
    else:
        latest = conn.execute("SELECT MAX(id) FROM views").fetchone()[0]
        ident, came_back = (latest or 0) + 1, 0
        headers.append(("Set-Cookie", f"{ADX_COOKIE}={ident}; Path=/"))
    conn.execute("INSERT INTO views VALUES (?, ?, ?)", (ident, site, came_back))
    start_response("200 OK", headers)
    return [PIXEL]


def profiles(db: str) -> dict[int, list[str]]:
    """What the tracker learned: for each browser that came back with its
    cookie, every site it was seen on."""
    conn = _connect(db)
    linked = {row[0] for row in conn.execute("SELECT id FROM views WHERE came_back = 1")}
    found: dict[int, list[str]] = {}
    for ident, site in conn.execute("SELECT id, site FROM views ORDER BY rowid"):
        if ident in linked and site not in found.setdefault(ident, []):
            found[ident].append(site)
    return found


def app(kind: str, setting: str):
    """The WSGI app ``kind``; ``setting`` is its database (shop, adx) or the
    ad network's host name (news)."""
    handlers = {"shop": shop, "news": news, "adx": adx}
    if kind not in handlers:
        raise ValueError(f"unknown site kind {kind!r}: use shop, news or adx")
    handler = handlers[kind]
    return lambda environ, start_response: handler(environ, start_response, setting)


class WebApp(Role):
    """A site of the cookie experiment, served by gunicorn (see services.base)."""

    role = "web-app"
    host_python = True      # the sites are applab's, under this machine's gunicorn
    defaults = {"site": "shop", "port": 80, "ad_host": "adx.example"}

    def config(self, ctx):
        return {ctx.path(".keep"): ""}

    def command(self, ctx) -> list[str]:
        p = self._params(ctx)
        setting = p["ad_host"] if p["site"] == "news" else str(ctx.path("site.sqlite"))
        return [sys.executable, "-m", "gunicorn", "--bind", f"{ctx.ip}:{p['port']}",
                "--workers", "1",
                "--access-logfile", str(ctx.path("access.log")),
                "--error-logfile", str(ctx.path("error.log")),
                f"services.web.cookie_sites:app({p['site']!r}, {setting!r})"]

    def ready(self, ctx, probe) -> bool:
        return probe.tcp_open(ctx.ip, self._params(ctx)["port"])

    def metrics(self, ctx) -> dict:
        p = self._params(ctx)
        if p["site"] != "adx" or not ctx.path("site.sqlite").exists():
            return {}
        learned = profiles(str(ctx.path("site.sqlite")))
        return {"profiles": {str(k): v for k, v in learned.items()},
                "most_sites_linked": max((len(v) for v in learned.values()), default=0)}
