"""``python -m benchmarks``: run the scenarios, print tables, save JSON."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from benchmarks import meta, scenarios, table
from benchmarks.config import MODES
from benchmarks.subjects import SUBJECTS

RESULTS = Path(__file__).resolve().parent / "results"


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    p.add_argument("--quick", action="store_true", help="tiny sizes: the CI smoke run")
    p.add_argument("--mode", choices=sorted(MODES), default="full")
    p.add_argument(
        "--only", default="", help="comma-separated scenarios: " + ",".join(scenarios.ORDER)
    )
    p.add_argument("--subjects", default="", help="comma-separated: " + ",".join(SUBJECTS))
    p.add_argument("--out", default="", help="JSON path (default results/<timestamp>.json)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    sizes = MODES["quick" if args.quick else args.mode]
    names = [n for n in args.only.split(",") if n] or scenarios.ORDER
    unknown = [n for n in names if n not in scenarios.ORDER]
    if unknown:
        print("unknown scenario(s): " + ", ".join(unknown), file=sys.stderr)
        return 2
    subjects = [s for s in args.subjects.split(",") if s] or [
        name for name, cls in SUBJECTS.items() if not getattr(cls, "opt_in", False)
    ]
    if "floor" not in subjects:
        subjects.insert(0, "floor")
    info = meta.collect(sizes.name, argv)
    print(meta.header(info), flush=True)
    report = {"meta": info, "scenarios": {}}
    for name in names:
        module = scenarios.load(name)
        started = time.monotonic()
        rows = module.run(sizes, subjects)
        took = time.monotonic() - started
        print("\n" + table.render(module.TITLE, module.COLUMNS, rows), flush=True)
        print(f"({name}: {took:.0f} s)", flush=True)
        report["scenarios"][name] = {"title": module.TITLE, "seconds": took, "rows": rows}
    out = Path(args.out) if args.out else RESULTS / (time.strftime("%Y%m%d-%H%M%S") + ".json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, default=str))
    print(f"\nsaved {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
