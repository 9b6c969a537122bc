"""A watch on a mail server's queue: every ``interval_s`` it asks Postfix
(``postqueue -j``) what waits, and logs the count in each queue. It runs
until the scenario stops it; each time the queue is longer than ever before
its row keeps ``postqueue -p``'s listing, the mail administrator's view.

    python -m services.mail.queue --postfix-config DIR --interval 0.5 --out queue.csv
"""
from __future__ import annotations

import argparse
import csv
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from services.base import CsvWorkload, HostContext, service_role_problems

QUEUES = ("incoming", "active", "deferred", "hold")
FIELDS = ["time", *QUEUES, "total", "listing"]


class MailQueueWatch(CsvWorkload):
    role = "mail-queue"
    columns = tuple(FIELDS)
    machine_packages = ("postfix",)
    finite = False
    output = "queue.csv"
    service_refs = ("mta",)
    defaults = {"mta": None, "interval_s": 0.5}

    @staticmethod
    def param_problems(params: dict, spec) -> list[tuple[tuple, str]]:
        return service_role_problems(params, spec, "mta", "mail-server", "whose queue to watch")

    def command(self, ctx: HostContext) -> list[str]:
        p = self._params(ctx)
        return [sys.executable, "-m", "services.mail.queue",
                "--postfix-config", str(ctx.homes[p["mta"]] / "etc"),
                "--interval", str(p["interval_s"]), "--out", str(ctx.path(self.output))]


def postqueue(config: Path, option: str) -> str:
    return subprocess.run(["postqueue", "-c", str(config), option], capture_output=True,
                          text=True, check=True).stdout


def count(config: Path) -> dict[str, int]:
    counts = dict.fromkeys(QUEUES, 0)
    for line in postqueue(config, "-j").splitlines():
        queue = json.loads(line).get("queue_name")
        counts[queue] = counts.get(queue, 0) + 1
    return counts


def watch(config: Path, interval_s: float, out: Path) -> None:
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    longest = 0
    with open(out, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        while not stopping:
            now = time.time()
            counts = count(config)
            total = sum(counts.values())
            listing = ""
            if total > longest:
                longest, listing = total, postqueue(config, "-p")
            writer.writerow({"time": f"{now:.3f}", **counts, "total": total, "listing": listing})
            handle.flush()
            time.sleep(max(0.0, interval_s - (time.time() - now)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postfix-config", type=Path, required=True)
    parser.add_argument("--interval", type=float, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    watch(args.postfix_config, args.interval, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
