"""Typed errors. Each says what failed and where, in words a user can act on."""
from __future__ import annotations


class AppLabError(Exception):
    """Base of every error applab raises on purpose."""


class CommandError(AppLabError):
    """A command (tc, ip, a daemon...) exited non-zero."""

    def __init__(self, where: str, command: str, returncode: int, stderr: str):
        self.where, self.command, self.returncode, self.stderr = where, command, returncode, stderr
        detail = stderr.strip() or "(no stderr)"
        super().__init__(f"[{where}] `{command}` exited {returncode}: {detail}")


class CommandTimeout(AppLabError):
    """A command had not ended by its deadline, and was killed."""

    def __init__(self, where: str, command: str, timeout_s: float):
        self.where, self.command, self.timeout_s = where, command, timeout_s
        super().__init__(f"[{where}] `{command}` had not ended after {timeout_s:g} s: killed")


class SpecError(AppLabError, ValueError):
    """One or more problems in a spec, each with its file, line and field."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class TopologyError(AppLabError):
    """The topology cannot be realised as given."""


class RealizerError(AppLabError):
    """The requested link realizer cannot run here."""


class RelayError(AppLabError):
    """A link relay failed to start, answer, or stop."""


class LeftoverError(AppLabError):
    """Teardown left namespaces, interfaces or processes behind."""
