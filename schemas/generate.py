"""Regenerate ``schemas/event.schema.json`` from ``observatory.protocol.json_schema()``.

python schemas/generate.py          # write
python schemas/generate.py --check  # exit 1 if the file is stale
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from observatory.protocol import json_schema

TARGET = Path(__file__).with_name("event.schema.json")


def main() -> int:
    text = json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
    if "--check" in sys.argv:
        current = TARGET.read_text() if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET} is stale; run python schemas/generate.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
