"""The whole import, for the command line and for tests: netplan files in, spec text
out, with the warnings; raises SpecError (located refusals) or NetcompileError."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import Diagnostic
from ..loader import Path
from . import netplan, netplan_yaml, spec, uplinks
from .netplan import Source


@dataclass(frozen=True, slots=True)
class Converted:
    text: str
    data: dict[str, Any]
    sources: dict[Path, Source]
    warnings: tuple[Diagnostic, ...]


def convert_netplan(paths: list[str], output: str = "spec.yaml",
                    texts: dict[str, str] | None = None) -> Converted:
    """The spec for netplan files; `output` is the spec's file name (for its header
    and its own errors); `texts` receives each file's text, for quoting lines."""
    imported = netplan.translate(netplan_yaml.read(paths, texts))
    # The plain translation is checked first, so that every problem is reported at
    # the netplan key it comes from; recognising uplinks then only rewrites a valid spec.
    text = spec.dump(imported.data, imported.files, output, imported.sources)
    spec.check(text, output, imported.sources)
    data, sources = uplinks.recognise(imported.data, imported.sources)
    text = spec.dump(data, imported.files, output, sources)
    spec.check(text, output, sources)
    return Converted(text, data, sources, tuple(imported.warnings))
