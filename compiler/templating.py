"""One Jinja2 environment per backend's template folder; templates hold layout only."""

from __future__ import annotations

import functools
from typing import Any

from .resources import resource_path


@functools.cache
def _environment(backend: str) -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resource_path("templates", backend))),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        # Templates do not change while netcompile runs: no stat() of the template
        # file before each of a thousand renders.
        auto_reload=False,
    )


@functools.cache
def _template(backend: str, template: str) -> Any:
    """Compiled once per process; every file a backend renders reuses it."""
    return _environment(backend).get_template(template)


def render(backend: str, template: str, **view: Any) -> str:
    """Render templates/<backend>/<template> with a small view model."""
    text: str = _template(backend, template).render(**view)
    return text
