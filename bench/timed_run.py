"""`applab run` as a user types it, timed as a whole command, its printed
report kept beside the benchmark's JSON."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def timed_applab_run(target: Path, out: str, log: Path | None) -> tuple[float, int]:
    """Run ``applab run TARGET --out OUT``; its wall time and exit status."""
    started = time.monotonic()
    report = subprocess.run([sys.executable, "-m", "orchestrator.cli", "run", str(target),
                             "--out", out], check=False, cwd=REPO, capture_output=True,
                            text=True)
    wall = time.monotonic() - started
    if log is not None:
        log.write_text(report.stdout + report.stderr)
    return wall, report.returncode
