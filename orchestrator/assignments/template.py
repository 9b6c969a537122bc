"""``applab assignment new NAME``: a working assignment to start from. Its
student writes a TCP server that answers each line with the line reversed;
the checker talks to it from another host across a delayed link."""
from __future__ import annotations

from pathlib import Path

from orchestrator.assignments.model import (
    CHECKS_FILE,
    README_FILE,
    REFERENCE,
    SOLUTIONS_DIR,
    SPEC_FILE,
    AssignmentError,
)

SPEC = """\
# {name}: the student's program is a TCP server on h2, port 12000; the
# checks talk to it from h1 across a link with 10 ms of delay each way.
# Change the topology, the links or the timeline as in any experiment spec.
experiment: {name}
title: "{name}: a TCP server that answers each line reversed"
model: programs
seed: 1
realizer: auto
duration_s: 1

topology:
  builder: two_hosts
  params: {{link: {{delay: 10ms}}}}

services:
  student:
    role: program
    host: h2
    params:
      command: python3 server.py
      files: {{server.py: "{{solution}}"}}
      ready: {{port: 12000}}
"""

CHECKS = '''\
"""Checks for {name}, run against the live network: each function's
docstring says what it checks; its assertion's message tells the student
what went wrong."""
PORT = 12000


def check_answers_a_line_reversed(lab):
    """The server answers a line with the line reversed."""
    reply = lab.run("h1", ["nc", "-N", lab.address("h2"), str(PORT)], input="abc\\n")
    assert reply.out.strip() == "cba", (
        f"sent 'abc', expected 'cba', got {{reply.out.strip()!r}}")
'''

README = """\
# {name}

Write `server.py`: a TCP server on port 12000 that reads one line from each
client and answers it reversed.

    applab assignment run {name} --solution path/to/server.py
"""

REFERENCE_SOLUTION = '''\
"""A reference solution: answer each client's line reversed."""
from socket import AF_INET, SOCK_STREAM, socket

server = socket(AF_INET, SOCK_STREAM)
server.bind(("", 12000))
server.listen(1)
while True:
    connection, _ = server.accept()
    line = connection.recv(1024).decode().strip()
    connection.send((line[::-1] + "\\n").encode())
    connection.close()
'''


def write_template(name: str, root: Path) -> Path:
    folder = root / name
    if folder.exists():
        raise AssignmentError(f"{folder} exists already")
    if not name.replace("-", "").isalnum():
        raise AssignmentError(f"{name!r}: an assignment's name is letters, digits and -")
    (folder / SOLUTIONS_DIR / REFERENCE).mkdir(parents=True)
    (folder / SPEC_FILE).write_text(SPEC.format(name=name))
    (folder / CHECKS_FILE).write_text(CHECKS.format(name=name))
    (folder / README_FILE).write_text(README.format(name=name))
    (folder / SOLUTIONS_DIR / REFERENCE / "server.py").write_text(REFERENCE_SOLUTION)
    return folder
