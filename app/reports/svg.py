"""A small SVG helper: bar and line charts as plain strings, every text escaped
(docs/architecture.md#reports). No library, no external asset: the report is one file."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

W, H = 560, 220
LEFT, RIGHT, TOP, BOTTOM = 64, 36, 16, 40  # RIGHT: room for the last value's label


def _num(v: float) -> str:
    return f"{v:.1f}"


def _frame(body: list[str], title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" '
            f'height="{H}" role="img" aria-label="{escape(title)}">'
            f"<title>{escape(title)}</title>{''.join(body)}</svg>")


def _axes(top: float, fmt: str) -> list[str]:
    """The value axis (0 and the top value) and the base line."""
    base = H - BOTTOM
    return [f'<line x1="{LEFT}" y1="{base}" x2="{W - RIGHT}" y2="{base}" stroke="#888"/>',
            f'<text x="{LEFT - 6}" y="{base}" text-anchor="end" font-size="11">0</text>',
            f'<text x="{LEFT - 6}" y="{TOP + 10}" text-anchor="end" font-size="11">'
            f"{escape(fmt.format(top))}</text>"]


def bars(labels: Sequence[str], values: Sequence[float], title: str,
         fmt: str = "{:,.0f}") -> str:
    """Vertical bars, one per label, each with its value above it."""
    top = max([float(v) for v in values] + [0.0]) or 1.0
    span_w, span_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    step = span_w / max(len(values), 1)
    body = _axes(top, fmt)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = span_h * float(value) / top
        x = LEFT + i * step + step * 0.15
        y = H - BOTTOM - h
        mid = LEFT + i * step + step / 2
        body.append(f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(step * 0.7)}" '
                    f'height="{_num(h)}" fill="#3b6ea5"/>')
        body.append(f'<text x="{_num(mid)}" y="{_num(y - 3)}" text-anchor="middle" '
                    f'font-size="10">{escape(fmt.format(float(value)))}</text>')
        body.append(f'<text x="{_num(mid)}" y="{H - BOTTOM + 14}" text-anchor="middle" '
                    f'font-size="10">{escape(label)}</text>')
    return _frame(body, title)


def line(labels: Sequence[str], values: Sequence[float], title: str,
         fmt: str = "{:,.0f}") -> str:
    """A polyline through the values: a dot, its value above and its label under each
    point."""
    top = max([float(v) for v in values] + [0.0]) or 1.0
    span_w, span_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    step = span_w / max(len(values) - 1, 1)
    body = _axes(top, fmt)
    points = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = LEFT + i * step
        y = H - BOTTOM - span_h * float(value) / top
        points.append(f"{_num(x)},{_num(y)}")
        body.append(f'<circle cx="{_num(x)}" cy="{_num(y)}" r="3" fill="#c0392b"/>')
        body.append(f'<text x="{_num(x)}" y="{_num(y - 6)}" text-anchor="middle" '
                    f'font-size="10">{escape(fmt.format(float(value)))}</text>')
        body.append(f'<text x="{_num(x)}" y="{H - BOTTOM + 14}" text-anchor="middle" '
                    f'font-size="10">{escape(label)}</text>')
    body.insert(3, f'<polyline points="{" ".join(points)}" fill="none" stroke="#c0392b" '
                'stroke-width="2"/>')
    return _frame(body, title)


def hbars(labels: Sequence[str], values: Sequence[float], title: str,
          fmt: str = "{:,.0f}") -> str:
    """Horizontal bars (long names: products, customers, carriers), value at the end."""
    top = max([float(v) for v in values] + [0.0]) or 1.0
    n = max(len(values), 1)
    row, left = 24, 180
    height = TOP + n * row + 8
    body = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = TOP + i * row
        w = (W - left - 90) * float(value) / top
        short = label if len(label) <= 24 else label[:23] + "…"
        body.append(f'<text x="{left - 6}" y="{y + 15}" text-anchor="end" font-size="11">'
                    f"{escape(short)}</text>")
        body.append(f'<rect x="{left}" y="{y + 4}" width="{_num(w)}" height="16" '
                    'fill="#2e8b57"/>')
        body.append(f'<text x="{_num(left + w + 4)}" y="{y + 16}" font-size="11">'
                    f"{escape(fmt.format(float(value)))}</text>")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {height}" '
            f'width="{W}" height="{height}" role="img" aria-label="{escape(title)}">'
            f"<title>{escape(title)}</title>{''.join(body)}</svg>")
