"""Loading a spec: the YAML with its marks, the variables filled in, each
scenario's overlay merged onto the experiment's keys, then validated and
checked for meaning; every problem is reported before anything starts."""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import (
    ValidationError,
)

from orchestrator.errors import SpecError
from orchestrator.experiment.catalogue import (
    Catalogue,
    CatalogueError,
    load_catalogue,
    spec_file,
)
from orchestrator.experiment.spec.meaning import check_semantics
from orchestrator.experiment.spec.normalise import normalise
from orchestrator.experiment.spec.problems import Problems, pydantic_problems
from orchestrator.experiment.spec.schema import (
    SCENARIO_META_KEYS,
    SCENARIO_OVERLAY_KEYS,
    ResolvedSpec,
    ScenarioMeta,
)
from orchestrator.yamlmarks import YamlError, load_with_marks


def _merge(base: Any, overlay: Any, where: tuple, origin: dict, overlay_at: tuple) -> Any:
    """Deep-merge mappings; ``origin`` maps merged paths to overlay paths."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        merged = dict(base)
        for key, value in overlay.items():
            merged[key] = _merge(base.get(key), value, (*where, key), origin, (*overlay_at, key))
        return merged
    _mark_subtree(overlay, where, origin, overlay_at)
    return copy.deepcopy(overlay)


def _mark_subtree(value, where, origin, overlay_at):
    origin[where] = overlay_at
    children = value.items() if isinstance(value, dict) else (
        enumerate(value) if isinstance(value, list) else ())
    for key, child in children:
        _mark_subtree(child, (*where, key), origin, (*overlay_at, key))




@dataclass
class Experiment:
    """A loaded spec: its scenarios, resolved and validated."""

    path: Path
    raw: dict
    scenarios: dict[str, ResolvedSpec]
    catalogue: Catalogue

    @property
    def name(self) -> str:
        return self.raw.get("experiment", self.path.stem)

    @property
    def title(self) -> str:
        return self.raw.get("title", "")


def substitute(value: Any, variables: dict[str, str]) -> Any:
    """``value`` with ``{name}`` in every string replaced by ``variables[name]``."""
    if isinstance(value, str):
        for name, text in variables.items():
            value = value.replace("{" + name + "}", text)
        return value
    if isinstance(value, dict):
        return {key: substitute(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [substitute(item, variables) for item in value]
    return value


def load(path: Path, duration_s: float | None = None, only: list[str] | None = None,
         without_dns: bool = False, custom: list[Path] = (),
         variables: dict[str, str] | None = None, seed: int | None = None) -> Experiment:
    """Load and validate ``path`` (a spec, or an experiment folder with its own
    roles and models), with the ``custom`` modules: every scenario, or those
    in ``only``. ``without_dns`` drops the dns sections: hosts then name each
    other by address. ``variables`` fill ``{name}`` in the spec's strings (an
    assignment's ``{folder}`` and ``{solution}``). ``seed``, if given, is the
    spec's seed (a regrade reproduces a graded run's network)."""
    try:
        catalogue = load_catalogue(path, custom)
    except CatalogueError as exc:
        raise SpecError(exc.problems) from None
    path = spec_file(path)
    try:
        raw, marks = load_with_marks(path)
        raw = substitute(raw, variables or {})
    except YamlError as exc:
        raise SpecError([str(exc)]) from None
    except OSError as exc:
        raise SpecError([f"{path}: cannot read: {exc.strerror}"]) from None
    if not isinstance(raw, dict):
        raise SpecError([f"{marks[()]}: (top level): a spec is a mapping of keys"])
    if seed is not None:
        raw["seed"] = seed

    scenarios_raw = raw.get("scenarios") or {"default": {"title": raw.get("title", "")}}
    problems = Problems(marks)
    if not isinstance(scenarios_raw, dict):
        problems.add(("scenarios",), "must map scenario names to overlays")
        raise SpecError(problems.items)
    if only:
        for name in only:
            if name not in scenarios_raw:
                problems.add(("scenarios",), f"no scenario {name!r} (have "
                             f"{', '.join(map(str, scenarios_raw))})")
        if problems.items:
            raise SpecError(problems.items)
    dropped = {"scenarios", "dns"} if without_dns else {"scenarios"}
    base = {k: v for k, v in raw.items() if k not in dropped}
    if without_dns:
        scenarios_raw = {name: {k: v for k, v in overlay.items() if k != "dns"}
                         if isinstance(overlay, dict) else overlay
                         for name, overlay in scenarios_raw.items()}
    resolved = {}
    for name, overlay in scenarios_raw.items():
        if only and name not in only:
            continue
        spec = _resolve(base, str(name), overlay, marks, problems, duration_s, catalogue)
        if spec is not None:
            resolved[str(name)] = spec
    if problems.items:
        raise SpecError(problems.items)
    return Experiment(path, raw, resolved, catalogue)


def _resolve(base, name, overlay, marks, problems: Problems, duration_s,
             catalogue: Catalogue) -> ResolvedSpec | None:
    at = ("scenarios", name)
    if not isinstance(overlay, dict):
        problems.add(at, "a scenario is a mapping (title, checks and overlays)")
        return None
    meta = {k: overlay[k] for k in SCENARIO_META_KEYS if k in overlay}
    try:
        meta_model = ScenarioMeta(**meta)
    except ValidationError as exc:
        pydantic_problems(exc, problems, at)
        return None
    unknown = set(overlay) - SCENARIO_OVERLAY_KEYS - set(SCENARIO_META_KEYS)
    for key in sorted(unknown):
        problems.add((*at, key), f"unknown key (a scenario may override "
                     f"{', '.join(sorted(SCENARIO_OVERLAY_KEYS))})")
    origin: dict = {}
    body = {k: v for k, v in overlay.items() if k in SCENARIO_OVERLAY_KEYS}
    merged = _merge(base, body, (), origin, at)
    merged.update(scenario=name, scenario_title=meta_model.title,
                  scenario_about=meta_model.about, checks=meta.get("checks", {}))
    for key in meta:
        origin[(f"scenario_{key}" if key in ("title", "about") else key,)] = (*at, key)
    origin[("checks",)] = (*at, "checks")
    if "checks" in meta:
        _mark_subtree(meta["checks"], ("checks",), origin, (*at, "checks"))
    if duration_s is not None:
        merged["duration_s"] = duration_s
    scoped = Problems(marks, origin)
    try:
        spec = ResolvedSpec(**merged)
    except ValidationError as exc:
        pydantic_problems(exc, scoped)
        problems.items += [p for p in scoped.items if p not in problems.items]
        return None
    spec._catalogue = catalogue
    spec.topology._own_builders = catalogue.builders
    check_semantics(spec, normalise(spec, scoped), scoped)
    problems.items += [p for p in scoped.items if p not in problems.items]
    return spec if not scoped.items else None
