"""The roles, models, topology builders and link realizers a spec may name:
the built-in ones, and those an experiment brings itself, without editing
the core.

- An experiment folder ``experiments/NAME/`` holds ``experiment.yaml`` and
  its own ``roles/*.py`` (each lists its role classes in ``ROLES``),
  ``models/*.py`` (each module is a model named after its file: ``CHECKS``,
  ``quantities(spec, run)``, and ``REQUIRES`` if it reads monitors or
  workloads) and ``builders/*.py`` (each maps names to topology builders in
  ``BUILDERS``: functions of the spec's ``topology.params`` that return an
  ``AppTopo``) and ``links/*.py`` (each maps names to link realizers in
  ``LINKS``: Mininet ``Link`` classes with ``needs_sch_netem``, such as a
  subclass of ``orchestrator.emulation.links.realizers.RelayLink``).
- It may also hold ``controllers/*.py``: OpenFlow controller apps (Ryu API,
  run by os-ken), each named after its file, for a spec's ``controller.app``.
- ``applab run SPEC --custom FILE.py``, as Mininet's ``--custom``: a module
  with ``ROLES = [...]``, ``MODELS = {"name": model}``,
  ``BUILDERS = {"name": builder}`` and/or ``LINKS = {"name": LinkClass}``.

A module that does not import, or a name given twice or already built in, is
reported with its file and line before anything starts.
"""
from __future__ import annotations

import importlib.util
import inspect
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.emulation.links import AUTO, REALIZERS
from orchestrator.emulation.sdn.controller import BUILT_IN_APPS
from orchestrator.experiment.models import MODELS
from orchestrator.experiment.models.base import Model
from services.registry import REGISTRY

BUILT_IN = "built-in"
EXPERIMENT_FILE = "experiment.yaml"


class CatalogueError(ValueError):
    """Custom roles or models that cannot be used, each with its file and line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class Catalogue:
    roles: dict[str, type] = field(default_factory=lambda: dict(REGISTRY))
    models: dict[str, Model] = field(default_factory=lambda: dict(MODELS))
    controllers: dict[str, Path] = field(default_factory=lambda: dict(BUILT_IN_APPS))
    # The experiment's own topology builders (the built-in ones: topologies/builders.py).
    builders: dict[str, Callable] = field(default_factory=dict)
    # The experiment's own link realizers (the built-in ones: emulation/links/realizers.py).
    links: dict[str, type] = field(default_factory=dict)
    # where each name came from: BUILT_IN, or "FILE:LINE"
    origins: dict[tuple[str, str], str] = field(default_factory=dict)

    def __post_init__(self):
        for name in self.roles:
            self.origins.setdefault(("role", name), BUILT_IN)
        for name in self.models:
            self.origins.setdefault(("model", name), BUILT_IN)
        for name in (AUTO, *REALIZERS):
            self.origins.setdefault(("realizer", name), BUILT_IN)

    def custom(self, kind: str) -> dict[str, str]:
        """The names of ``kind`` (role or model) not built in, with their origin."""
        return {name: where for (k, name), where in self.origins.items()
                if k == kind and where != BUILT_IN}


def spec_file(path: Path) -> Path:
    """The spec a path names: the file itself, or a folder's experiment.yaml."""
    path = Path(path)
    return path / EXPERIMENT_FILE if path.is_dir() else path


def extension_files(path: Path | None) -> list[Path]:
    """An experiment folder's own role, model, builder and link modules."""
    if path is None or not Path(path).is_dir():
        return []
    return [module for kind in ("roles", "models", "builders", "links")
            for module in sorted((Path(path) / kind).glob("*.py"))]


def load_catalogue(path: Path | None, custom: list[Path] = ()) -> Catalogue:
    """The built-in catalogue, with what ``path``'s folder (if it is one) and
    ``custom`` add."""
    catalogue, problems = Catalogue(), []
    folder = Path(path) if path is not None and Path(path).is_dir() else None
    for module_path in [*extension_files(path), *map(Path, custom)]:
        module = _import(module_path, problems)
        if module is None:
            continue
        is_model_file = folder is not None and module_path.parent == folder / "models"
        roles = getattr(module, "ROLES", [])
        models = {module_path.stem: module} if is_model_file else getattr(module, "MODELS", {})
        builders = getattr(module, "BUILDERS", {})
        links = getattr(module, "LINKS", {})
        if not roles and not models and not builders and not links:
            problems.append(f"{module_path}:1:1: defines no ROLES, no MODELS, no BUILDERS "
                            "and no LINKS")
        if builders:
            _know_built_in_builders(catalogue)
        for name, builder in builders.items():
            _add(catalogue, "builder", name, builder, _where(builder, module_path), problems)
        for name, cls in links.items():
            where = _where(cls, module_path)
            if not isinstance(cls, type) or not hasattr(cls, "needs_sch_netem"):
                problems.append(f"{where}:1: link realizer {name!r} is not a Link class with "
                                "needs_sch_netem (subclass ShapedLink or RelayLink)")
                continue
            _add(catalogue, "realizer", name, cls, where, problems)
        for cls in roles:
            _add(catalogue, "role", getattr(cls, "role", None), cls, _where(cls, module_path),
                 problems)
        for name, module in models.items():
            try:
                model = Model.of(name, module)
            except ValueError as exc:
                problems.append(f"{_where(module, module_path)}:1: {exc}")
                continue
            _add(catalogue, "model", name, model, _where(module, module_path), problems)
    for app in controller_files(path):
        _add_controller(catalogue, app, problems)
    if problems:
        raise CatalogueError(problems)
    return catalogue


def controller_files(path: Path | None) -> list[Path]:
    """An experiment folder's own controller apps."""
    if path is None or not Path(path).is_dir():
        return []
    return sorted((Path(path) / "controllers").glob("*.py"))


def _add_controller(catalogue: Catalogue, app: Path, problems: list[str]) -> None:
    """A controller app runs in the controller's own process, not here: it is
    compiled, not imported, so a syntax error is found before anything starts."""
    try:
        compile(app.read_text(), str(app), "exec")
    except SyntaxError as exc:
        problems.append(f"{app}:{exc.lineno or 1}:{exc.offset or 1}: does not compile: "
                        f"SyntaxError: {exc.msg}")
        return
    if app.stem in catalogue.controllers:
        problems.append(f"{app}:1:1: controller app {app.stem!r} clashes with the built-in "
                        "app of that name")
        return
    catalogue.controllers[app.stem] = app


def _import(path: Path, problems: list[str]):
    """Import a module from its file, under a name of its own."""
    if not path.is_file():
        problems.append(f"{path}:1:1: no such file")
        return None
    name = f"applab_custom_{abs(hash(path.resolve()))}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        problems.append(f"{path}:{exc.lineno or 1}:{exc.offset or 1}: does not import: "
                        f"SyntaxError: {exc.msg}")
        return None
    except Exception as exc:  # any failure of a user's module is reported, not raised
        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if Path(f.filename).resolve() == path.resolve()]
        line = frames[-1].lineno if frames else 1
        problems.append(f"{path}:{line}:1: does not import: {type(exc).__name__}: {exc}")
        return None
    return module


def _where(obj, module_path: Path) -> str:
    try:
        return f"{module_path}:{max(1, inspect.getsourcelines(obj)[1])}"
    except (OSError, TypeError):
        return f"{module_path}:1"


def _know_built_in_builders(catalogue: Catalogue) -> None:
    """The built-in builders' names, so an experiment's clash is refused.
    Imported only here: they need Mininet's Topo, which reading runs does not."""
    from topologies.builders import BUILDERS

    for name in BUILDERS:
        catalogue.origins.setdefault(("builder", name), BUILT_IN)


def _add(catalogue: Catalogue, kind: str, name, obj, where: str, problems: list[str]) -> None:
    table = {"role": catalogue.roles, "model": catalogue.models,
             "builder": catalogue.builders, "realizer": catalogue.links}[kind]
    if not isinstance(name, str) or not name:
        problems.append(f"{where}:1: a {kind} needs a name (a role's class attribute 'role')")
        return
    before = catalogue.origins.get((kind, name))
    if before == BUILT_IN:
        problems.append(f"{where}:1: {kind} {name!r} clashes with the built-in {kind} of "
                        "that name")
        return
    if before is not None:
        problems.append(f"{where}:1: {kind} {name!r} is already defined at {before}")
        return
    table[name] = obj
    catalogue.origins[(kind, name)] = where

