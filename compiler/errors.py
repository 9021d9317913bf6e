"""Errors that point at the spec: every one names file:line:column."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """A position in the spec file; line and column are 1-based. Line 0 is the file
    as a whole (one that could not be read has no lines to point at). `qualified`:
    the spec is made of several files (compose.py), so `brief` names the file too."""

    file: str
    line: int
    column: int
    qualified: bool = field(default=False, compare=False, repr=False)

    @classmethod
    def whole(cls, file: str) -> Location:
        return cls(file, 0, 0)

    @property
    def is_whole_file(self) -> bool:
        return self.line == 0

    def __str__(self) -> str:
        return self.file if self.is_whole_file else f"{self.file}:{self.line}:{self.column}"

    @property
    def brief(self) -> str:
        """For messages that point at a second place in the same spec."""
        return str(self) if self.qualified else f"line {self.line}, column {self.column}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem with the spec: where, which key, what is wrong, what to do."""

    where: Location
    path: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.where}: {self.path}: {self.message}" if self.path else (
            f"{self.where}: {self.message}")
        return f"{text} ({self.hint})" if self.hint else text

    def sort_key(self) -> tuple[str, int, int, str]:
        # By file first: a spec made of several files reports each file's in order.
        return (self.where.file, self.where.line, self.where.column, self.message)


class NetcompileError(Exception):
    """Base of every error the command line turns into a message and exit code 2."""


class SpecError(NetcompileError):
    """The spec is invalid. Carries every diagnostic found, in source order."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = tuple(sorted(diagnostics, key=Diagnostic.sort_key))
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class UnsupportedError(NetcompileError):
    """A backend cannot express something the spec asks for."""

    def __init__(self, where: Location, backend: str, what: str, hint: str = ""):
        self.where = where
        self.backend = backend
        self.what = what
        self.hint = hint
        text = f"{where}: {backend} cannot express this: {what}"
        super().__init__(f"{text} ({hint})" if hint else text)


class UnsupportedErrors(NetcompileError):
    """Every UnsupportedError one backend found, reported together."""

    def __init__(self, errors: Iterable[UnsupportedError]):
        self.errors = tuple(sorted(errors, key=lambda e: (e.where.file, e.where.line,
                                                           e.where.column)))
        super().__init__("\n".join(str(e) for e in self.errors))
