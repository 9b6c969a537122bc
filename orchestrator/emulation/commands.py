"""The one place commands are run and logged.

Every command applab runs, in the root namespace or inside a node, goes through
``run_root``/``run_in``; Mininet's own shell commands are logged by the node
classes through ``log_shell``. All of them land in the ``applab.commands``
logger, which a run writes to ``commands.log``. A non-zero exit raises
``CommandError`` with the command and its stderr.
"""
from __future__ import annotations

import logging
import shlex
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

from orchestrator.errors import CommandError, CommandTimeout

log = logging.getLogger("applab.commands")


def _render(argv) -> str:
    return argv if isinstance(argv, str) else shlex.join(str(a) for a in argv)


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
