"""Problems found in a spec, each reported as ``FILE:LINE:COLUMN: field.path:
what is wrong``, also where a scenario's overlay replaced the value."""
from __future__ import annotations

from pydantic import (
    ValidationError,
)

from orchestrator.yamlmarks import Mark, mark_for


class Problems:
    def __init__(self, marks: dict, origin: dict | None = None):
        self.marks, self.origin, self.items = marks, origin or {}, []

    def add(self, where: tuple, message: str) -> None:
        where = tuple(where)
        source = where
        # The nearest ancestor a scenario overlay replaced decides the file position.
        for cut in range(len(where), 0, -1):
            if where[:cut] in self.origin:
                source = self.origin[where[:cut]] + where[cut:]
                break
        mark: Mark = mark_for(self.marks, source)
        field = ".".join(str(p) for p in where) or "(top level)"
        self.items.append(f"{mark}: {field}: {message}")


def pydantic_problems(exc: ValidationError, problems: Problems, prefix: tuple = ()) -> None:
    for error in exc.errors():
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif error["type"] == "missing":
            message = "required key is missing"
        problems.add((*prefix, *loc), message)
