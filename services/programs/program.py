"""Any program on a host: a student's, or a reference one.

    program:
      command: python3 UDPServer.py       # a string, split as a shell would, or a list
      files: {UDPServer.py: /path/to/it}  # copied into its working directory
      ready: {port: 12000, protocol: udp} # as a service: when it is up (or {line: REGEX})
      time_limit_s: 30                    # then it is killed, with what it forked
      sandbox: {memory_mb: 256, tasks: 64, cpus: 1, disk_mb: 64, capabilities: [net_raw]}

It runs sandboxed (orchestrator.emulation.sandbox): as an unprivileged user
with no capabilities but those granted, the machine's files read-only and
its own home its one writable directory, within the limits above (the
defaults shown, but no capability). Its working directory is its home,
where its stdout and stderr are kept. It runs under ``timeout``, so at the
limit, or when the run stops it, its children go too. As a workload its
exit status is a result (a row ``exit``), not a failure of the run: a
checker judges it.
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

from services.base import CsvWorkload, HostContext, Probe, SandboxLimits, listening

# timeout(1)'s status when the limit was reached.
TIMED_OUT_STATUS = 124
# Between timeout's SIGTERM and its SIGKILL.
KILL_AFTER_S = 2


def time_limited(argv: list[str], limit_s: float) -> list[str]:
    """``argv`` under timeout(1): SIGTERM at ``limit_s``, SIGKILL soon after,
    exit status TIMED_OUT_STATUS. A program's run and a check's command alike."""
    return ["timeout", f"--kill-after={KILL_AFTER_S}s", f"{limit_s:g}s", *argv]
# A service's limit when its spec gives none: it runs until the run stops it.
SERVICE_TIME_LIMIT_S = 24 * 3600
PROTOCOLS = ("tcp", "udp")


def argv_of(command) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(a) for a in command]


class Program(CsvWorkload):
    role = "program"
    machine_packages = ("bubblewrap", "util-linux")   # its sandbox
    reports_exit = True
    host_python = False     # the command names its own programs
    defaults = {"command": None, "files": {}, "ready": None, "time_limit_s": None,
                "sandbox": {}}
    timed_out_status = TIMED_OUT_STATUS

    @staticmethod
    def param_problems(params: dict, spec) -> list[tuple[tuple, str]]:
        problems = []
        command = params.get("command")
        if not (isinstance(command, str) and command.strip()) and not (
                isinstance(command, list) and command):
            problems.append((("command",), "the command line: a string or a list"))
        files = params.get("files", {})
        if not isinstance(files, dict) or not all(
                isinstance(k, str) and "/" not in k and isinstance(v, str)
                for k, v in files.items()):
            problems.append((("files",), "a mapping of file names (no /) to paths"))
        else:
            problems += [(("files", name), f"no such file {source!r}")
                         for name, source in files.items() if not Path(source).is_file()]
        ready = params.get("ready")
        if ready is not None and not (
                isinstance(ready, dict) and (
                    (set(ready) <= {"port", "protocol"} and isinstance(ready.get("port"), int)
                     and ready.get("protocol", "tcp") in PROTOCOLS)
                    or (set(ready) == {"line"} and isinstance(ready["line"], str)))):
            problems.append((("ready",), "{port: N, protocol: tcp|udp} or {line: REGEX}"))
        limit = params.get("time_limit_s")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int | float)
                                  or limit <= 0):
            problems.append((("time_limit_s",), "a positive number of seconds"))
        problems += [(("sandbox", *where), problem)
                     for where, problem in SandboxLimits.problems(params.get("sandbox", {}))]
        return problems

    def sandbox_limits(self, ctx: HostContext) -> SandboxLimits:
        return SandboxLimits.of(self._params(ctx)["sandbox"])

    def config(self, ctx: HostContext) -> dict[Path, bytes]:
        return {ctx.path(name): Path(source).read_bytes()
                for name, source in self._params(ctx)["files"].items()}

    def command(self, ctx: HostContext) -> list[str]:
        p = self._params(ctx)
        limit = p["time_limit_s"] or p.get("duration_s") or SERVICE_TIME_LIMIT_S
        return time_limited(["env", "-C", str(ctx.home), *argv_of(p["command"])], limit)

    def ready(self, ctx: HostContext, probe: Probe) -> bool:
        ready = self._params(ctx)["ready"]
        if ready is None:
            return True
        if "line" in ready:
            log = ctx.path("stdout.log")
            return log.exists() and re.search(ready["line"], log.read_text()) is not None
        return listening(probe, ready["port"], ready.get("protocol", "tcp"))

    def metrics(self, ctx: HostContext) -> dict:
        return {}
