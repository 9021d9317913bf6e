"""YAML syntax errors in plain words.

ruamel's parser says what its grammar expected ("expected <block end>, but found
'<block mapping start>'"); a person needs what is wrong in the text and what to
write instead ("inconsistent indentation at line 7"). Each rule below matches one
of its problems and puts the caret where the cause is: the opening quote of a
string that never ends, the line whose `:` is missing.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import Diagnostic, Location

# The parser's names for what it found, in words.
_TOKENS = {
    "<block end>": "the end of an indented block",
    "<block mapping start>": "an indented key",
    "<block sequence start>": "an indented list item",
    "<flow mapping start>": "a `{`",
    "<flow sequence start>": "a `[`",
    "<scalar>": "a value",
    "<stream end>": "the end of the file",
    "<document start>": "`---`",
    "<document end>": "`...`",
}
_INDENT_HINT = ("indent every key of one mapping, and every `- ` of one list, by the same "
                "number of spaces")
# What the problem quotes last: the token found, the alias, the character.
_QUOTED = re.compile(r"'([^']*)'")


def _at(mark: Any, name: str) -> Location:
    return Location(name, mark.line + 1, mark.column + 1)


def _plain(text: str) -> str:
    for token, words in _TOKENS.items():
        text = text.replace(f"'{token}'", words).replace(token, words)
    return text


def describe(failure: Any, name: str, text: str) -> Diagnostic:
    """One diagnostic for ruamel's MarkedYAMLError `failure` in the spec `text`."""
    problem: str = failure.problem or ""
    context: str = failure.context or ""
    mark = failure.problem_mark or failure.context_mark
    where = _at(mark, name) if mark is not None else Location(name, 1, 1)
    opened = _at(failure.context_mark, name) if failure.context_mark is not None else where
    quoted = _QUOTED.findall(problem)
    token = quoted[-1] if quoted else ""

    def error(at: Location, message: str, hint: str) -> Diagnostic:
        return Diagnostic(at, "", f"invalid YAML: {message}", hint)

    if "'\\t'" in problem:
        return error(where, "a tab where YAML needs spaces", "indent with spaces, not tabs")
    if "another document" in problem:
        return error(where, "a second document",
                     "a spec is a single YAML document; remove `---` and what follows")
    if problem.startswith("expected <block end>"):
        if token == "-":
            return error(where, "a list item (`- `) among the keys of a mapping",
                         "put the list under a key, its `- ` items indented below it, or "
                         "indent the item like the other items of its list")
        lines = text.splitlines()
        line = lines[where.line - 1] if where.line <= len(lines) else ""
        if token == "<scalar>" and line[: where.column - 1].strip():
            return error(where, "more text after a complete value",
                         "remove it, or put it on a line of its own as `key: value`")
        return error(where, f"inconsistent indentation at line {where.line}", _INDENT_HINT)
    if problem == "mapping values are not allowed here":
        return error(where, "a `key:` inside a value",
                     "quote the value if it holds `: `; if this is a key, indent it like the "
                     "keys next to it, and end the key on the line above with `:`")
    if problem == "could not find expected ':'":
        return error(opened, "a line without `:` in a mapping",
                     "write it as `key: value`, or indent it under the key it belongs to")
    if problem.startswith(("expected ',' or '}'", "expected ',' or ']'")):
        close, what = ("}", "`{` mapping") if "'}'" in problem else ("]", "`[` list")
        if token == "<stream end>":
            return error(opened, f"a {what} that is never closed", f"add its `{close}`")
        return error(where, f"a {what} without its `{close}`, or entries without `,` "
                     "between them", f"add the `{close}` that closes the {what} at "
                     f"{opened.brief}, or a `,` between its entries")
    if problem == "found unexpected end of stream" and "quoted" in context:
        return error(opened, "a quoted value that never ends", "add the closing quote")
    if problem.startswith("found undefined alias"):
        return error(where, f"the alias *{token} refers to no anchor",
                     f"define `&{token}` on a value above it, or write the value out")
    if problem.startswith("found unknown escape character"):
        return error(where, f"`\\{token}` is not an escape that double quotes allow",
                     "write `\\\\` for a backslash, or use single quotes")
    if problem.startswith("found character") and "cannot start any token" in problem:
        shown = "a backtick" if token == "`" else f"`{token}`"
        return error(where, f"a value cannot start with {shown}", "quote the value")
    if "anchor" in context or "alias" in context:
        return error(where, "an `&` or `*` without a name",
                     "write a name right after it, or quote the value")
    if "block scalar" in context:
        return error(where, "text after `|` or `>` on its line",
                     "put the text on the lines below, indented")
    if "tag" in context:
        return error(where, "a malformed tag", "remove the tag")
    if problem.startswith("expected <document start>"):
        return error(where, "more content after the top-level value",
                     "put every key of the spec in the top-level mapping, one `key: value` "
                     "per line")
    return error(where, _plain(problem or context or "not YAML"),
                 "quote values that hold `: ` or start with a special character, and "
                 + _INDENT_HINT)


def unknown_version(name: str, text: str) -> Diagnostic:
    """A `%YAML` directive naming a version the parser does not know (it asserts)."""
    line = next((n for n, t in enumerate(text.splitlines(), 1) if t.startswith("%YAML")), 1)
    return Diagnostic(Location(name, line, 1), "",
                      "invalid YAML: a %YAML directive for a version this reader does not know",
                      "remove the `%YAML` line, or write `%YAML 1.2`")
