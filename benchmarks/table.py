"""Render scenario rows as plain-text tables."""

from __future__ import annotations


def _fmt(value, kind: str) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    if kind == "us":
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    if kind == "pct":
        return f"{value * 100:.1f}%"
    if kind == "x":
        return f"{value:,.1f}×"
    if kind in ("s", "exit"):
        return f"{value:.2f}"
    if kind in ("mib", "ms"):
        return f"{value:,.1f}"
    if kind == "int":
        return f"{value:,.0f}"
    return str(value)


def render(title: str, columns: list[tuple[str, str, str]], rows: list[dict]) -> str:
    """One titled table; the last column (note) is left unpadded."""
    header = [h for _, h, _ in columns]
    body = [[_fmt(row.get(key), kind) for key, _, kind in columns] for row in rows]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(columns))]
    aligns = ["<" if kind == "str" else ">" for _, _, kind in columns]

    def line(cells: list[str]) -> str:
        parts = [
            f"{c:{a}{w}}" for c, a, w in zip(cells[:-1], aligns[:-1], widths[:-1], strict=True)
        ]
        return " | ".join([*parts, cells[-1]]).rstrip()

    sep = "-+-".join("-" * w for w in widths[:-1]) + "-+-" + "-" * max(4, widths[-1])
    return "\n".join([title, line(header), sep, *(line(b) for b in body)])
