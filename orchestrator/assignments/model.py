"""An assignment folder, read: its spec, its checks, its solutions."""
from __future__ import annotations

import importlib.util
import inspect
from dataclasses import dataclass
from pathlib import Path

import yaml

from orchestrator.errors import AppLabError

ASSIGNMENTS_DIR = Path(__file__).resolve().parents[2] / "assignments"
SPEC_FILE, CHECKS_FILE, README_FILE, SOLUTIONS_DIR = (
    "assignment.yaml", "checks.py", "README.md", "solutions")
REFERENCE = "reference"


class AssignmentError(AppLabError):
    """An assignment or a solution that cannot be used as given."""


@dataclass(frozen=True)
class Check:
    name: str
    title: str        # the docstring's first line: what it checks
    function: object  # check(lab)


@dataclass(frozen=True)
class Assignment:
    name: str
    folder: Path

    @property
    def spec_path(self) -> Path:
        return self.folder / SPEC_FILE

    @property
    def title(self) -> str:
        return str(yaml.safe_load(self.spec_path.read_text()).get("title", self.name))

    @property
    def program_name(self) -> str | None:
        """The file name a student's program is given on its host (the
        spec's ``files`` entry whose source is ``{solution}``)."""
        raw = yaml.safe_load(self.spec_path.read_text()) or {}
        entries = [*(raw.get("services") or {}).values(),
                   *(raw.get("workloads") or {}).values(), raw.get("workload")]
        for entry in entries:
            if isinstance(entry, dict):
                files = (entry.get("params") or {}).get("files") or {}
                for name, source in files.items():
                    if source == "{solution}":
                        return name
        return None

    def solutions(self) -> dict[str, Path]:
        """Each solution's name and its program (the one file in its folder)."""
        found = {}
        for folder in sorted((self.folder / SOLUTIONS_DIR).glob("*/")):
            files = [f for f in folder.iterdir() if f.is_file()]
            if len(files) != 1:
                raise AssignmentError(f"{folder}: a solution is one program, found "
                                      f"{len(files)} files")
            found[folder.name] = files[0]
        return found

    def solution(self, name_or_path: str | None) -> Path:
        """A solution of the assignment by name (default: the reference), or
        a student's program by its path."""
        solutions = self.solutions()
        if name_or_path is None or name_or_path in solutions:
            key = name_or_path or REFERENCE
            if key not in solutions:
                raise AssignmentError(f"{self.name} has no solution {key!r} "
                                      f"(has {', '.join(solutions) or 'none'})")
            return solutions[key]
        path = Path(name_or_path)
        if not path.is_file():
            raise AssignmentError(f"no program at {path} (nor a solution of {self.name} "
                                  f"by that name: {', '.join(solutions)})")
        return path.resolve()

    def checks(self) -> list[Check]:
        """``check_*`` functions of checks.py, in the order they are written."""
        path = self.folder / CHECKS_FILE
        spec = importlib.util.spec_from_file_location(f"applab_checks_{self.name}", path)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            raise AssignmentError(f"{path}: does not import: {exc}") from None
        functions = [f for name, f in vars(module).items()
                     if name.startswith("check_") and inspect.isfunction(f)]
        if not functions:
            raise AssignmentError(f"{path}: no check_* functions")
        return [Check(f.__name__, (inspect.getdoc(f) or f.__name__).splitlines()[0], f)
                for f in sorted(functions, key=lambda f: f.__code__.co_firstlineno)]


def all_assignments(root: Path = ASSIGNMENTS_DIR) -> list[Assignment]:
    return [Assignment(f.name, f) for f in sorted(root.iterdir())
            if (f / SPEC_FILE).is_file()] if root.is_dir() else []


def find(name: str, root: Path = ASSIGNMENTS_DIR) -> Assignment:
    folder = root / name
    if not (folder / SPEC_FILE).is_file():
        known = ", ".join(a.name for a in all_assignments(root)) or "none"
        raise AssignmentError(f"no assignment {name!r} in {root} (have {known})")
    return Assignment(name, folder)
