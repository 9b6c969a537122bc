"""The cookie experiment's browser: visit the shop twice, then two news sites
whose pages embed the ad network's ad, keeping cookies in a jar. With
``--block-third-party`` the jar refuses cookies set or sent on a third-party
request (the ad, fetched for a page of another site).

Names resolve through the host's resolver: the run's emulated DNS.

    python -m services.web.cookie_client --shop shop.example --news news-a.example ... \
        --out visits.csv
"""
from __future__ import annotations

import argparse
import http.cookiejar
import sys
import urllib.request
from pathlib import Path

from services.base import CsvWorkload, write_rows
from services.web.http_modes import parse_references

COLUMNS = ("step", "url", "status", "cookie_sent", "cookie_set", "recognised", "body")


def visit(opener, jar, url: str, step: str, page_host: str | None = None) -> dict:
    """Fetch ``url``; with ``page_host`` it is embedded in that site's page
    (third-party when the hosts differ)."""
    request = urllib.request.Request(
        url, origin_req_host=page_host, unverifiable=page_host is not None)
    jar.add_cookie_header(request)
    sent_cookie = request.has_header("Cookie")
    with opener.open(request, timeout=30) as response:
        body = response.read()
        headers = response.headers
    return {"step": step, "url": url, "status": response.status,
            "cookie_sent": sent_cookie, "cookie_set": "Set-Cookie" in headers,
            "recognised": headers.get("X-Recognised", ""), "body": body.decode(errors="replace")}


def run(shop: str, news_sites: list[str], block_third_party: bool) -> list[dict]:
    policy = http.cookiejar.DefaultCookiePolicy(strict_ns_unverifiable=block_third_party)
    jar = http.cookiejar.CookieJar(policy)
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    rows = [visit(opener, jar, f"http://{shop}/", "shop-first"),
            visit(opener, jar, f"http://{shop}/", "shop-again")]
    for site in news_sites:
        page = visit(opener, jar, f"http://{site}/", f"news:{site}")
        rows.append(page)
        for ad in parse_references(page["body"]):
            rows.append(visit(opener, jar, ad, f"ad-on:{site}", page_host=site))
    for row in rows:
        row.pop("body")
    return rows


class CookieClient(CsvWorkload):
    """The browser as a workload role (see services.base)."""

    role = "cookie-client"
    columns = COLUMNS
    output = "visits.csv"
    defaults = {"shop": "shop.example", "news_sites": ["news-a.example", "news-b.example"],
                "block_third_party": False,
                "clients": 1, "index": 0, "duration_s": 0}

    def command(self, ctx) -> list[str]:
        p = self._params(ctx)
        argv = [sys.executable, "-m", "services.web.cookie_client", "--shop", p["shop"],
                "--out", str(ctx.path(self.output))]
        for site in p["news_sites"]:
            argv += ["--news", site]
        if p["block_third_party"]:
            argv.append("--block-third-party")
        return argv


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="visit the cookie experiment's sites")
    parser.add_argument("--shop", required=True)
    parser.add_argument("--news", action="append", default=[])
    parser.add_argument("--block-third-party", action="store_true")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    rows = run(args.shop, args.news, args.block_third_party)
    write_rows(args.out, COLUMNS, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
