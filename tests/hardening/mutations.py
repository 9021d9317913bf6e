"""Random damage to valid specs: text-level (bytes of the file) and structure-level
(values and keys of the data), including hostile strings that must never reach
an output file."""

from __future__ import annotations

import copy
import datetime
import random
from typing import Any

# Every hostile string carries this marker, so a generated file that contains it
# shows an injection.
MARKER = "INJ"
HOSTILE = [f"{MARKER}{tail}" for tail in (
    "\n[Match]\nName=*", "\r\nx=1", "$(reboot)", "`reboot`", "; reboot", "#c", "'q", '"q',
    "\\", "\x00", "\x1b[31m", "\u2028", "/../../etc/passwd", " a b", "\t",
)] + ["../" + MARKER, MARKER + "/x", MARKER * 40, "eth0\n" + MARKER]

_YAML_NOISE = [":", "- ", "[", "]", "{", "}", "&a ", "*a", "!!int ", "!x ", "|", ">", "'", '"',
               "%YAML 1.1\n", "---\n", "? ", "#", ",", "\t", "\n", "  ", "<<: ", "\\", "\x00",
               "\xff", "0x", "1e9", ".inf", "~", "yes", "2024-01-01", "\ufeff"]
_VALUES: list[Any] = [None, True, 0, -1, 2**64, 1.5, float("nan"), "", [], {}, [1], {"a": 1},
                      datetime.date(2024, 1, 1), "x" * 300, *HOSTILE]


def mutate_text(raw: bytes, rng: random.Random) -> bytes:
    data = bytearray(raw)
    for _ in range(rng.randint(1, 3)):
        choice = rng.randrange(7)
        at = rng.randint(0, len(data))
        if choice == 0 and data:  # delete a slice
            data[at:at + rng.randint(1, 20)] = b""
        elif choice == 1:  # insert YAML noise or a hostile string
            noise = rng.choice(_YAML_NOISE + HOSTILE)
            data[at:at] = noise.encode("utf-8", errors="surrogatepass")
        elif choice == 2 and data:  # a raw byte, maybe not UTF-8
            data[min(at, len(data) - 1)] = rng.randrange(256)
        elif choice == 3:  # truncate
            del data[at:]
        else:  # line surgery: duplicate, swap, re-indent, drop
            lines = bytes(data).split(b"\n")
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            if choice == 4:
                lines.insert(i, lines[j])
            elif choice == 5:
                lines[i], lines[j] = lines[j], lines[i]
            else:
                lines[i] = b" " * rng.randint(0, 5) + lines[i].lstrip(b" ")
            data = bytearray(b"\n".join(lines))
    return bytes(data)


def _containers(node: Any, found: list[Any]) -> list[Any]:
    if isinstance(node, dict | list):
        found.append(node)
        for child in node.values() if isinstance(node, dict) else node:
            _containers(child, found)
    return found


def mutate_structure(spec: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    for _ in range(rng.randint(1, 3)):
        target = rng.choice(_containers(spec, []))
        if not target:
            continue
        choice = rng.randrange(4)
        if isinstance(target, list):
            index = rng.randrange(len(target))
            if choice == 0:
                del target[index]
            else:
                target[index] = copy.deepcopy(rng.choice(_VALUES))
            continue
        key = rng.choice(list(target))
        if choice == 0:
            del target[key]
        elif choice == 1:  # rename the key: hostile, unknown, or another valid-looking one
            target[rng.choice([*HOSTILE, "unknown", "eth9", "type", "1"])] = target.pop(key)
        elif choice == 2:
            target[key] = copy.deepcopy(rng.choice(_VALUES))
        else:  # a value moved to where another belongs
            other = rng.choice(list(target))
            target[key] = copy.deepcopy(target[other])
    return spec
