"""Config files from Jinja2 templates; a missing variable is an error, not a blank.

Each family keeps its templates beside its roles (``services/FAMILY/templates``);
they are found by name from any family, so the CDN's edge includes the web
origin's common nginx settings."""
from __future__ import annotations

from pathlib import Path

import jinja2

FOLDERS = sorted(str(p) for p in Path(__file__).resolve().parent.glob("*/templates"))

_env = jinja2.Environment(loader=jinja2.FileSystemLoader(FOLDERS),
                          undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                          autoescape=False)


def render(template: str, **variables) -> str:
    return _env.get_template(template).render(**variables)
