"""Scenario 6 in a fresh interpreter: delegates to ``benchmarks.mappers.run``.

``benchmarks/mappers.py`` (the mapper engineer's module) measures each
framework plain, with an empty hook and with Observatory's mapper.
"""

from __future__ import annotations

import os
import sys

from benchmarks.workers._common import args, emit


def main() -> None:
    a = args()
    try:
        from benchmarks import mappers
    except ImportError as exc:
        emit({"skipped": f"benchmarks.mappers not importable ({exc.name})"})
    else:
        emit({"rows": mappers.run(quick=a.get("quick", False))})
    sys.stdout.flush()
    os._exit(0)  # temporalio's runtime can crash at interpreter exit (FACTS.md)


if __name__ == "__main__":
    main()
