"""The one place commands are run and logged.

Every command applab runs, in the root namespace or inside a node, goes through
``run_root``/``run_in``; Mininet's own shell commands are logged by the node
classes through ``log_shell``. All of them land in the ``applab.commands``
logger, which a run writes to ``commands.log``. A non-zero exit raises
``CommandError`` with the command and its stderr.
"""
from __future__ import annotations

import logging
import re
import shlex
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

from orchestrator.errors import CommandError, CommandTimeout

log = logging.getLogger("applab.commands")


def _render(argv) -> str:
    return argv if isinstance(argv, str) else shlex.join(str(a) for a in argv)


# A pty's line discipline keeps at most 4096 bytes of a line, its newline
# among them: a longer command sent to a node's shell is cut and never ends.
SHELL_LINE_LIMIT = 4096


def ip_batch_line(lines: list[str]) -> str:
    """One line of shell that runs ``ip`` commands (written without ``ip``)
    in one process: ANSI-C quoting carries the newlines, so it can be sent
    to a node's shell as a single command."""
    text = "\\n".join(line.replace("\\", "\\\\").replace("'", "\\'") for line in lines)
    return f"ip -batch - <<< $'{text}'"


def ip_batch_failure(lines: list[str], output: str) -> str:
    """The command of ``lines`` that ``ip -batch`` reports failed ("Command
    failed -:N"), as ``ip`` would be called for it; the whole batch if it
    names none."""
    found = re.search(r"Command failed -:(\d+)", output)
    if found and 1 <= int(found.group(1)) <= len(lines):
        return f"ip {lines[int(found.group(1)) - 1]}"
    return ip_batch_line(lines)


def sysctl_line(settings: dict[str, str]) -> str:
    """One line of shell that writes ``settings`` (key: value, as sysctl
    names them) with the shell's builtins, starting no process. A key the
    kernel lacks is skipped, as ``sysctl -e`` does; a failed write prints."""
    return "; ".join(f"[ ! -e {path} ] || echo {shlex.quote(value)} > {path}"
                     for path, value in ((f"/proc/sys/{key.replace('.', '/')}", value)
                                         for key, value in settings.items()))


def fits_shell_line(command: str) -> bool:
    """Can ``command`` be sent to a node's shell whole (``SHELL_LINE_LIMIT``)?"""
    return len(command.encode()) + 1 <= SHELL_LINE_LIMIT


def host_config_lines(intf: str | None, mac: str | None, ip: str | None,
                      default_route: str | None, lo: str) -> list[str]:
    """The ``ip`` commands for what Mininet's Node.config sets: the default
    interface's MAC and address, the default route, the loopback. ``ip`` is
    ADDRESS/PREFIX; ``default_route`` a gateway ("via 10.0.1.1") or an
    interface name."""
    lines = []
    if intf is not None:
        if mac:
            lines.append(f"link set dev {intf} address {mac}")
        if ip:
            lines.append(f"addr replace {ip} brd + dev {intf}")   # ifconfig sets brd too
        lines.append(f"link set dev {intf} up")
    if default_route:
        via = default_route if " " in default_route else f"dev {default_route}"
        lines.append(f"route replace default {via}")
    lines.append(f"link set dev lo {lo}")
    return lines


def route_lines(routes) -> list[str]:
    """The ``ip`` commands for a router's routes: (network, next hop) pairs."""
    return [f"route replace {network} via {via}" for network, via in routes]


def neighbour_line(address: str, mac: str, intf: str) -> str:
    """The ``ip`` command for a permanent ARP entry."""
    return f"neigh replace {address} lladdr {mac} dev {intf} nud permanent"


def log_shell(where: str, command: str) -> None:
    """Record a command sent to a node's shell (Mininet's own plumbing)."""
    log.debug("%s $ %s", where, command)


def run_root(argv: list[str], check: bool = True, timeout: float | None = 60,
             input_text: str | None = None) -> subprocess.CompletedProcess:
    """Run ``argv`` in the root namespace."""
    started = time.monotonic()
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False,
                            input=input_text)
    log.debug("root $ %s -> %d (%.3fs)", _render(argv), result.returncode,
              time.monotonic() - started)
    if check and result.returncode != 0:
        raise CommandError("root", _render(argv), result.returncode, result.stderr)
    return result


def execute(node, argv: list[str], input_text: str | None = None,
            timeout_s: float | None = None) -> tuple[int, str, str]:
    """Run ``argv`` inside ``node``'s namespaces, with ``input_text`` on its
    stdin; return exit code, stdout, stderr. Past ``timeout_s`` it is killed
    and CommandTimeout raised."""
    started = time.monotonic()
    proc = node.popen([str(a) for a in argv],
                      stdin=subprocess.DEVNULL if input_text is None else subprocess.PIPE,
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(None if input_text is None else input_text.encode(),
                                    timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        log.debug("%s $ %s -> killed after %.0fs", node.name, _render(argv), timeout_s)
        raise CommandTimeout(node.name, _render(argv), timeout_s) from None
    except BaseException:  # Ctrl-C mid-command: the command must not outlive us
        proc.kill()
        proc.wait()
        raise
    out, err, code = out.decode(errors="replace"), err.decode(errors="replace"), proc.returncode
    log.debug("%s $ %s -> %d (%.3fs)", node.name, _render(argv), code,
              time.monotonic() - started)
    return code, out, err


def run_in(node, argv: list[str], check: bool = True) -> str:
    """Run ``argv`` inside ``node``'s namespaces; return its stdout. A non-zero
    exit raises CommandError unless ``check`` is off."""
    code, out, err = execute(node, argv)
    if check and code != 0:
        raise CommandError(node.name, _render(argv), code, err or out)
    return out


def start_in(node, argv: list[str], **popen_kwargs):
    """Start ``argv`` inside ``node`` without waiting; the host kills it at teardown."""
    log.debug("%s $ %s &", node.name, _render(argv))
    return node.popen([str(a) for a in argv], **popen_kwargs)


def start_program(node, argv: list[str], **popen_kwargs):
    """Start a service's or workload's program on ``node`` (inside its
    container, for a container host) without waiting."""
    log.debug("%s $ %s &", node.name, _render(argv))
    return node.program_popen([str(a) for a in argv], **popen_kwargs)


@contextmanager
def command_log(path: Path):
    """Write every command of the enclosed block to ``path``."""
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    handler.setLevel(logging.DEBUG)
    previous = log.level
    log.setLevel(logging.DEBUG)
    log.addHandler(handler)
    try:
        yield path
    finally:
        log.removeHandler(handler)
        log.setLevel(previous)
        handler.close()
