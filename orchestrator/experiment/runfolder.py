"""A run folder read back from its files alone: no root, no Mininet, no
network, and no plotting backend chosen. A student can copy the folder to
a laptop; a notebook can load it::

    from orchestrator.experiment.runfolder import load_run
    run = load_run("results/access-link-20261206-101500-000000")
    run.scenarios["c"].checks            # typed Check rows
    run.scenarios["c"].run.rows()        # every request the workload logged

Everything is read and checked before anything is written from it; a
missing or truncated file is named with what is wrong.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.errors import AppLabError
from orchestrator.experiment.models.base import Check, Quantity
from orchestrator.experiment.result import RunResult, ScenarioResult

MANIFEST, SUMMARY, RUN = "manifest.json", "summary.json", "run.json"


class RunFolderError(AppLabError):
    """A folder that is not a complete run: which file, and what is wrong."""


def read_json(path: Path) -> dict:
    if not path.is_file():
        raise RunFolderError(f"{path}: missing: {path.parent} is not a complete run folder")
    try:
        return json.loads(path.read_text())
    except UnicodeDecodeError:
        raise RunFolderError(f"{path}: not text") from None
    except json.JSONDecodeError as exc:
        raise RunFolderError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}): "
                             "truncated?") from None


class RunFolder:
    """A run's manifest and summary, checked: enough for the index of runs."""

    def __init__(self, path: Path):
        self.path = Path(path)
        if not self.path.is_dir():
            raise RunFolderError(f"{self.path}: no such folder")
        self.manifest = read_json(self.path / MANIFEST)
        self.summary = read_json(self.path / SUMMARY)
        scenarios = self.summary.get("scenarios")
        if not isinstance(scenarios, dict) or not scenarios:
            raise RunFolderError(f"{self.path / SUMMARY}: no scenarios in it")
        missing = [n for n in scenarios if not (self.path / n).is_dir()]
        if missing:
            raise RunFolderError(f"{self.path}: no folder for scenario(s) {', '.join(missing)}")
        self.scenario_summaries: dict[str, dict] = scenarios

    @property
    def checks(self) -> list[dict]:
        return self.summary.get("checks", [])

    @property
    def failed(self) -> int:
        return sum(c.get("ok") is False for c in self.checks)

    @property
    def passed(self) -> int:
        return sum(c.get("ok") is True for c in self.checks)

    def resolved(self, scenario: str) -> dict:
        """The scenario's resolved spec as the manifest keeps it ({} if absent)."""
        return (self.manifest.get("resolved") or {}).get(scenario) or {}


@dataclass
class LoadedRun:
    folder: RunFolder
    scenarios: dict[str, ScenarioResult]
    # The run's models by name: built in, and its experiment folder's own where
    # that folder is still there; a model found nowhere is left out.
    models: dict[str, object] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return self.folder.path


def _fields(cls, data: dict, path: Path, what: str):
    try:
        return cls(**data)
    except TypeError as exc:
        raise RunFolderError(f"{path}: {what} does not read back: {exc}") from None


def load_scenario(folder: RunFolder, name: str) -> ScenarioResult:
    summary_path, run_path = folder.path / name / SUMMARY, folder.path / name / RUN
    own = read_json(summary_path)
    try:
        run = RunResult.from_dict(read_json(run_path))
    except (KeyError, TypeError) as exc:
        raise RunFolderError(f"{run_path}: not a run's measurements ({exc})") from None
    model = own.get("model") or folder.resolved(name).get("model", "")
    return ScenarioResult(
        name, own.get("title", ""), model,
        [_fields(Quantity, q, summary_path, "a quantity") for q in own.get("quantities", [])],
        [_fields(Check, c, summary_path, "a check") for c in own.get("checks", [])],
        own.get("details", {}), run)


def run_models(manifest: dict) -> dict[str, object]:
    """The models a run's spec could name, as `applab run` found them."""
    from orchestrator.experiment.catalogue import CatalogueError, load_catalogue
    from orchestrator.experiment.models import MODELS

    spec_path = Path(manifest.get("spec_file") or "")
    if spec_path.exists():
        try:
            return load_catalogue(spec_path).models
        except CatalogueError:
            pass  # its own models no longer load: the built-in ones still draw
    return dict(MODELS)


def load_run(path: Path | str) -> LoadedRun:
    folder = RunFolder(Path(path))
    scenarios = {name: load_scenario(folder, name) for name in folder.scenario_summaries}
    return LoadedRun(folder, scenarios, run_models(folder.manifest))
