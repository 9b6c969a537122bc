"""The browsers: a Poisson stream of GETs, each timed and logged.

As a service (role ``web-client``) it is a workload: its command runs for the
run's duration, then exits. Each client host issues ``rate_per_s / clients``
requests per second. An object is one of ``hot_objects`` popular ones with
probability ``hot_fraction``, otherwise one never asked for before, so the
cache hit rate follows from the popularity and is measured, not assumed.

    python -m services.web.web_client --origin http://10.1.0.2 --rate 5 --duration 60 ...
"""
from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from pathlib import Path

import httpx

from services.base import CsvWorkload, HostContext, begin_with_the_others, write_rows

# A cold lookup crosses the access link and the Internet three times.
LOOKUP_TIMEOUT_S = 30
CSV_FIELDS = ["start", "end", "delay_s", "status", "bytes", "cache", "object", "error"]


class WebClient(CsvWorkload):
    role = "web-client"
    columns = tuple(CSV_FIELDS)
    begins_together = True
    machine_packages = ("dnsutils",)
    service_refs = ("origin", "proxy")
    output = "requests.csv"
    defaults = {"origin": None, "proxy": None, "rate_per_s": 15.0, "hot_objects": 20,
                "hot_fraction": 0.4, "drain_s": 30.0, "clients": 1, "index": 0,
                "duration_s": 60.0, "port": 80, "proxy_port": 3128}

    def command(self, ctx: HostContext) -> list[str]:
        p = self._params(ctx)
        argv = [sys.executable, "-m", "services.web.web_client",
                "--origin", f"http://{ctx.url_host(p['origin'])}:{p['port']}",
                "--rate", str(p["rate_per_s"] / p["clients"]),
                "--duration", str(p["duration_s"]), "--drain", str(p["drain_s"]),
                "--hot-objects", str(p["hot_objects"]),
                "--hot-fraction", str(p["hot_fraction"]),
                "--seed", str(ctx.seed * 1000 + p["index"]), "--name", ctx.host,
                "--out", str(ctx.path(self.output))]
        if p["proxy"]:
            argv += ["--proxy", f"http://{ctx.url_host(p['proxy'])}:{p['proxy_port']}"]
        return argv

    def prepare_commands(self, ctx: HostContext) -> list[tuple[str, list[str]]]:
        """Run once before the workload: with DNS, the local DNS server learns
        the origin's name (browsers have been there before; a cold lookup
        would cross the access link three times); with a cache, fill it with
        the popular objects from the cache host itself, so those requests
        are not counted."""
        p = self._params(ctx)
        commands = []
        if ctx.names:
            name = ctx.url_host(p["origin"])
            commands += [(ctx.resolver, ["dig", "+short", f"+time={LOOKUP_TIMEOUT_S}",
                                         "+tries=1", "@127.0.0.1", name, rtype])
                         for rtype in ("A", "AAAA")]
        if p["proxy"]:
            origin = f"http://{ctx.url_host(p['origin'])}:{p['port']}"
            commands.append((p["proxy"], warmup_argv(
                origin, f"http://127.0.0.1:{p['proxy_port']}", p["hot_objects"])))
        return commands

    def metrics(self, ctx: HostContext) -> dict:
        rows = self.read_rows(ctx)
        done = [r for r in rows if not r["error"]]
        delays = [float(r["delay_s"]) for r in done]
        return {"requests": len(rows), "completed": len(done),
                "mean_delay_s": statistics.fmean(delays) if delays else 0.0}


def warmup_argv(origin: str, proxy: str, hot_objects: int) -> list[str]:
    """Fetch every popular object once through the cache, so the measured hit
    rate is the popularity's and not the cold start's."""
    return [sys.executable, "-m", "services.web.web_client", "--origin", origin, "--proxy", proxy,
            "--warmup", "--hot-objects", str(hot_objects)]


class RequestStream:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.rows: list[dict] = []
        self.sequence = 0

    def next_object(self) -> str:
        if self.rng.random() < self.args.hot_fraction:
            return f"hot-{self.rng.randrange(self.args.hot_objects)}"
        self.sequence += 1
        return f"{self.args.name}-{self.sequence}"

    async def fetch(self, client: httpx.AsyncClient, obj: str) -> None:
        row = {"start": time.time(), "object": obj, "status": "", "bytes": 0, "cache": "",
               "error": ""}
        try:
            response = await client.get(f"{self.args.origin}/obj/{obj}")
            row.update(status=response.status_code, bytes=len(response.content),
                       cache=response.headers.get("x-cache", "").split(" ")[0])
        except (httpx.HTTPError, OSError) as exc:
            row["error"] = type(exc).__name__
        except asyncio.CancelledError:
            # Cut off by the drain limit: logged with the time it had waited.
            row["error"] = "unfinished"
            raise
        finally:
            row["end"] = time.time()
            row["delay_s"] = row["end"] - row["start"]
            self.rows.append(row)

    async def run(self) -> None:
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=None,
                              keepalive_expiry=600)
        timeout = httpx.Timeout(self.args.duration + self.args.drain + 60)
        async with httpx.AsyncClient(proxy=self.args.proxy, limits=limits, timeout=timeout,
                                     trust_env=False) as client:
            if self.args.warmup:
                await asyncio.gather(*(self.fetch(client, f"hot-{k}")
                                       for k in range(self.args.hot_objects)))
                return
            tasks = []
            started = time.monotonic()
            next_at = started + self.rng.expovariate(self.args.rate)
            while next_at < started + self.args.duration:
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                tasks.append(asyncio.create_task(self.fetch(client, self.next_object())))
                next_at += self.rng.expovariate(self.args.rate)
            pending = [t for t in tasks if not t.done()]
            if pending:
                _, still = await asyncio.wait(pending, timeout=self.args.drain)
                for task in still:
                    task.cancel()
                await asyncio.gather(*still, return_exceptions=True)

    def write(self, path: Path) -> None:
        write_rows(path, CSV_FIELDS, sorted(self.rows, key=lambda r: r["start"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Poisson web workload")
    parser.add_argument("--origin", required=True)
    parser.add_argument("--proxy")
    parser.add_argument("--rate", type=float, default=1.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--drain", type=float, default=30.0,
                        help="seconds to wait for outstanding requests at the end")
    parser.add_argument("--hot-objects", type=int, default=20)
    parser.add_argument("--hot-fraction", type=float, default=0.4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--name", default="client")
    parser.add_argument("--warmup", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    stream = RequestStream(args)
    begin_with_the_others()
    asyncio.run(stream.run())
    if args.out:
        stream.write(args.out)
    failed = [r for r in stream.rows if r["error"] and r["error"] != "unfinished"]
    if args.warmup and (failed or any(r["status"] != 200 for r in stream.rows)):
        print(f"warm-up failed: {failed or stream.rows}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
