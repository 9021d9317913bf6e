"""What the lab shows wrong today: each entry names the tests that fail because of
one backend defect and why. They are marked strict xfail (conftest.py), so they
still run, and a fix that makes one pass fails the run until its entry goes.

Keys are `FILE::TEST[ID]` patterns: fnmatch on `FILE::TEST` and on `ID` apart
(fnmatch would read the brackets as a character class).
"""

from __future__ import annotations

import fnmatch

KNOWN: dict[str, str] = {}


def known_failure(test: str) -> str | None:
    """The defect behind `test` (`FILE::NAME[ID]`), if the lab shows one today."""
    name, _, ident = test.partition("[")
    for pattern, reason in KNOWN.items():
        pattern_name, _, pattern_ident = pattern.partition("[")
        if (fnmatch.fnmatchcase(name, pattern_name)
                and fnmatch.fnmatchcase(ident.rstrip("]"), pattern_ident.rstrip("]"))):
            return reason
    return None
