"""Config files from Jinja2 templates; a missing variable is an error, not a blank."""
from __future__ import annotations

import jinja2

_env = jinja2.Environment(loader=jinja2.PackageLoader("services", "templates"),
                          undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                          autoescape=False)


def render(template: str, **variables) -> str:
    return _env.get_template(template).render(**variables)
