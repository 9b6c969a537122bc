"""A UDP server that answers each sentence in capitals, and a client that
sends sentences and times each answer (Kurose & Ross §2.7). Run as a script,
this file is the server or the client; imported, it gives applab their roles."""
from __future__ import annotations

import argparse
import csv
import socket
import sys
import time
from pathlib import Path

from services.base import CsvWorkload, HostContext, Role

HERE = Path(__file__).resolve()


class UppercaseServer(Role):
    role = "udp-uppercase-server"
    defaults = {"port": 12000}

    def config(self, ctx: HostContext) -> dict[Path, str]:
        return {}

    def command(self, ctx: HostContext) -> list[str]:
        return [sys.executable, str(HERE), "serve", "--port", str(self._params(ctx)["port"])]

    def ready(self, ctx: HostContext, probe) -> bool:
        # A datagram answered: a file would survive a restart and lie.
        code, _ = probe.run([sys.executable, str(HERE), "ask", "--server", ctx.ip, "--port",
                             str(self._params(ctx)["port"]), "--messages", "1",
                             "--timeout", "0.2"])
        return code == 0

    def metrics(self, ctx: HostContext) -> dict:
        return {}


class UppercaseClient(CsvWorkload):
    role = "udp-uppercase-client"
    service_refs = ("server",)
    defaults = {"server": None, "port": 12000, "messages": 10, "timeout_s": 2.0,
                "clients": 1, "index": 0, "duration_s": 0}

    def command(self, ctx: HostContext) -> list[str]:
        p = self._params(ctx)
        return [sys.executable, str(HERE), "ask", "--server",
                ctx.address_of_service(p["server"]), "--port", str(p["port"]),
                "--messages", str(p["messages"]), "--timeout", str(p["timeout_s"]),
                "--out", str(ctx.path(self.output))]


ROLES = [UppercaseServer, UppercaseClient]


def serve(port: int) -> None:
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("", port))
    while True:
        message, client = server.recvfrom(2048)
        server.sendto(message.decode().upper().encode(), client)


def ask(server: str, port: int, messages: int, out: Path | None, timeout: float) -> int:
    """Send the sentences; write each with its reply and RTT to ``out``.
    Without ``out`` (a readiness probe), exit 0 only if every one was answered."""
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.settimeout(timeout)
    rows = []
    for k in range(messages):
        sentence = f"sentence number {k} in lower case"
        sent_at, sent = time.time(), time.monotonic()
        try:
            client.sendto(sentence.encode(), (server, port))
            reply = client.recvfrom(2048)[0].decode()
        except OSError:  # no answer in time, or no route while the link is down
            reply = ""
        rows.append({"sent": sentence, "reply": reply, "at": sent_at,
                     "rtt_s": time.monotonic() - sent if reply else ""})
        if out is None:
            continue
        time.sleep(0.05)
        with open(out, "w", newline="") as handle:  # as it goes: a stop keeps what was done
            writer = csv.DictWriter(handle, fieldnames=["sent", "reply", "at", "rtt_s"])
            writer.writeheader()
            writer.writerows(rows)
    return 0 if all(r["reply"] for r in rows) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["serve", "ask"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--server")
    parser.add_argument("--messages", type=int)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--timeout", type=float, default=2.0)
    args = parser.parse_args()
    if args.what == "serve":
        serve(args.port)
    else:
        sys.exit(ask(args.server, args.port, args.messages, args.out, args.timeout))
