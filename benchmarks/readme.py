"""Markdown tables of saved benchmark results, for the README's performance section.

    python -m benchmarks.readme results/FULL.json [results/RERUN.json ...]

Later files replace the scenarios they contain (e.g. a full run, then a full
re-run of one scenario). Prints the machine, versions and commands of every
file used, then one table per scenario, with the columns the terminal shows.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from benchmarks import scenarios
from benchmarks.table import _fmt


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(columns: list[tuple[str, str, str]], rows: list[dict]) -> str:
    """One Markdown table; a column empty in every row is left out."""
    cells = [[_fmt(row.get(key), kind) for key, _, kind in columns] for row in rows]
    keep = [i for i in range(len(columns)) if any(c[i] for c in cells)]
    head = "| " + " | ".join(columns[i][1] for i in keep) + " |"
    rule = "|" + "|".join("---" if columns[i][2] == "str" else "---:" for i in keep) + "|"
    body = ["| " + " | ".join(_cell(c[i]) for i in keep) + " |" for c in cells]
    return "\n".join([head, rule, *body])


def render(paths: list[Path]) -> str:
    """The whole Markdown section body for ``paths`` (JSON files of ``python -m benchmarks``)."""
    chosen: dict[str, tuple[dict, dict]] = {}
    metas = []
    for path in paths:
        report = json.loads(path.read_text())
        metas.append((path, report["meta"]))
        for name, scenario in report["scenarios"].items():
            chosen[name] = (scenario, report["meta"])
    out = []
    for path, meta in metas:
        versions = ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
        out.append(
            f"- `{meta['command']}` — {meta['date'][:16].replace('T', ' ')} UTC, mode {meta['mode']}, "
            f"{meta['cpu']} × {meta['cores']} cores, Python {meta['python']}; {versions} "
            f"(`benchmarks/results/{path.name}`)"
        )
    for name in scenarios.ORDER:
        if name not in chosen:
            continue
        scenario, meta = chosen[name]
        module = scenarios.load(name)
        out.append(f"\n**{scenario['title']}** ({meta['mode']} mode, {meta['date'][:10]})\n")
        out.append(markdown(module.COLUMNS, scenario["rows"]))
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    paths = [Path(p) for p in (sys.argv[1:] if argv is None else argv)]
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    sys.stdout.write(render(paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
