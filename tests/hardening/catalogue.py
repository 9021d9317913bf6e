"""Find every error message in the code: the literal text of each message argument
(f-string placeholders dropped), for the catalogue test and for writing the docs."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

COMPILER = Path(__file__).resolve().parents[2] / "compiler"

# Call name -> index of the message argument.
MESSAGE_ARGUMENT = {
    "Diagnostic": 2, "error": 1, "_fail": 2, "unsupported": 1, "refuse": 1,
    "UnsupportedError": 2,
    "NetcompileError": 0, "SpecError": None, "ValueError": 0, "IncompleteRollback": 0,
}
# Variables that hold a message before it is passed on.
MESSAGE_VARIABLES = {"message", "what"}
# Text written to stderr by the command line.
CLI_PREFIX = "netcompile: "


def _pieces(node: ast.AST) -> Iterator[str]:
    """The literal fragments of a message expression."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.JoinedStr):
        for value in node.values:
            yield from _pieces(value)
    elif isinstance(node, ast.BinOp):
        yield from _pieces(node.left)
        yield from _pieces(node.right)
    elif isinstance(node, ast.IfExp):
        yield from _pieces(node.body)
        yield from _pieces(node.orelse)


def _name(func: ast.AST) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def messages(path: Path) -> Iterator[tuple[int, str]]:
    """(line, fragment) for every literal fragment of every message in one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        found: list[ast.AST] = []
        if isinstance(node, ast.Call):
            name = _name(node.func)
            index = MESSAGE_ARGUMENT.get(name)
            if index is not None and len(node.args) > index:
                found.append(node.args[index])
            if name == "write" and node.args:
                text = "".join(_pieces(node.args[0]))
                if text.startswith(CLI_PREFIX):
                    found.append(node.args[0])
        elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id in MESSAGE_VARIABLES for t in node.targets):
            found.append(node.value)
        elif isinstance(node, ast.FunctionDef) and node.name == "_count_message":
            found += [r.value for r in ast.walk(node) if isinstance(r, ast.Return) and r.value]
        for expression in found:
            for piece in _pieces(expression):
                yield getattr(expression, "lineno", 0), piece


def fragments() -> dict[str, list[str]]:
    """Module (relative to compiler/) -> fragments worth finding in the catalogue:
    at least two words of text, without the leading or trailing glue."""
    result: dict[str, list[str]] = {}
    for path in sorted(COMPILER.rglob("*.py")):
        wanted = []
        for _, piece in messages(path):
            text = piece.strip(" ,;:()`'\"\n").removeprefix(CLI_PREFIX).strip()
            if len(text.split()) >= 2 and text not in wanted:
                wanted.append(text)
        if wanted:
            result[str(path.relative_to(COMPILER))] = wanted
    return result


if __name__ == "__main__":
    for module, texts in fragments().items():
        print(f"## {module}")
        for text in texts:
            print(f"  {text!r}")
