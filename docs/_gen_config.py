"""Regenerate the settings table of docs/configuration.md from the SDK's ``Config`` dataclass.

    python docs/_gen_config.py           # rewrite the tables in place (docs/configuration.md, README.md)
    python docs/_gen_config.py --check   # exit 1 if a committed table is stale (the tests run this)

Names, environment variables and defaults come from ``observatory._config`` itself; the
meaning comes from the attribute docstring under each field in ``sdk/_config.py`` or, for
fields without one, from ``FALLBACK`` below (a docstring added to the SDK wins).
"""

from __future__ import annotations

import ast
import dataclasses
import sys
from pathlib import Path
from typing import Any

from observatory import _config

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "configuration.md"
TARGETS = (DOC, ROOT / "README.md")
"""Files holding the table between the markers: the reference page and the README."""
SOURCE = ROOT / "sdk" / "_config.py"
BEGIN = "<!-- BEGIN GENERATED: python docs/_gen_config.py -->"
END = "<!-- END GENERATED -->"

FALLBACK = {
    "api_url": "Receiver base URL; events are posted to `{api_url}/api/report`.",
    "api_key": "Sent as `Authorization: Bearer <key>` (create one with `observatory keys create`).",
    "app_id": "The app events belong to; without it, the key's project default app.",
    "enabled": "`false`: every SDK call is a cheap no-op; no thread, socket or hook is ever created.",
    "gzip_min_bytes": "Smallest request body that is gzip-compressed.",
    "redact": "`fn(event: dict) -> dict | None`, called on the background thread with each wire "
    "event before it leaves the process; return it (changed or not) or `None` to drop it.",
    "capture_input": "Record each run's bound arguments as `input`.",
    "capture_output": "Record each run's return value as `output`.",
}


def docstrings() -> dict[str, str]:
    """Attribute docstrings of ``Config``: the string literal right under each field."""
    tree = ast.parse(SOURCE.read_text())
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "Config":
            body = node.body
            for field, after in zip(body, body[1:], strict=False):
                if (
                    isinstance(field, ast.AnnAssign)
                    and isinstance(field.target, ast.Name)
                    and isinstance(after, ast.Expr)
                    and isinstance(after.value, ast.Constant)
                    and isinstance(after.value.value, str)
                ):
                    found[field.target.id] = " ".join(after.value.value.split())
    return found


def show_default(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, int) and value >= 1024 * 1024 and value % (1024 * 1024) == 0:
        return f"`{value}` ({value // (1024 * 1024)} MiB)"
    if isinstance(value, int) and value >= 1024 and value % 1024 == 0:
        return f"`{value}` ({value // 1024} KiB)"
    return f"`{value}`"


def table() -> str:
    """The Markdown table, one row per ``Config`` field, in declaration order."""
    docs = docstrings()
    rows = [
        "| option (`init()` argument) | environment variable | default | meaning |",
        "|---|---|---|---|",
    ]
    for field in dataclasses.fields(_config.Config):
        try:
            env = f"`{_config.env_var(field.name)}`"
        except KeyError:
            env = "(code only)"
        meaning = docs.get(field.name) or FALLBACK.get(field.name)
        if not meaning:
            raise SystemExit(f"docs/_gen_config.py: describe {field.name!r} (docstring or FALLBACK)")
        rows.append(
            f"| `{field.name}` | {env} | {show_default(field.default)} | {meaning.replace('``', '`').replace('|', chr(92) + '|')} |"
        )
    return "\n".join(rows)


def render(text: str) -> str:
    """``text`` with the part between the markers replaced by the current table."""
    head, sep, rest = text.partition(BEGIN)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise SystemExit(f"markers {BEGIN!r} / {END!r} not found")
    return f"{head}{BEGIN}\n{table()}\n{END}{tail}"


def main(argv: list[str]) -> int:
    stale = 0
    for path in TARGETS:
        current = path.read_text()
        fresh = render(current)
        if fresh == current:
            continue
        if "--check" in argv:
            print(f"{path} is stale: run python docs/_gen_config.py", file=sys.stderr)
            stale = 1
        else:
            path.write_text(fresh)
    return stale


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
