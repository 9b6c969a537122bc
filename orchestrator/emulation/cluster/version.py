"""What identifies an installation of applab, so a coordinator and its
workers are known to run the same code: the package's version and a digest
of every source file a worker runs (edits not yet committed count too)."""
from __future__ import annotations

import hashlib
from importlib.metadata import version as package_version
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
SOURCE_DIRS = ("orchestrator", "services", "topologies")
SOURCE_FILES = ("pyproject.toml", "scripts/install.sh")


def source_files(root: Path = REPO_ROOT) -> list[Path]:
    files = [root / name for name in SOURCE_FILES]
    for directory in SOURCE_DIRS:
        files += (root / directory).rglob("*.py")
    return sorted(files)


def source_digest(root: Path = REPO_ROOT) -> str:
    digest = hashlib.sha256()
    for path in source_files(root):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def identity() -> dict[str, str]:
    return {"version": package_version("applab"), "source": source_digest()}
