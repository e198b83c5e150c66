#!/usr/bin/env python3
"""Draw the fan-out benchmark as one SVG: p99 latency and resident memory per
follower connection against N followers, one line per server.

    python3 bench/chart.py results/*.json [--out bench/results/fanout.svg]

Each input file is what one run of the fan-out scenario wrote: a JSON list of
rows such as

    {"scenario": "fanout", "server": "draftroom", "followers": 1000,
     "p50_ms": 1.2, "p99_ms": 4.8, "max_ms": 9.1, "frames_per_s": 20000,
     "server_cpu_pct": 35.0, "rss_per_conn_kib": 21.5, "delivered_all": true}

`server` is "draftroom", "y-websocket", "y-sweet" or "hocuspocus" (any other
name gets a line of its own). Rows of other scenarios are ignored. A point that is missing, or whose
value is null, is left out of its line. When several rows give the same
server and N (repeated runs), the chart shows their median. A point from a
run in which not every follower received every update is drawn hollow.

Python 3 standard library only.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from pathlib import Path
from xml.sax.saxutils import escape

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "fanout.svg"
STANDARD_NS = (100, 1000, 5000, 10000)

# Canvas and panel geometry, in SVG user units (pixels).
WIDTH = 1200
HEIGHT = 600
PANEL_TOP = 152
PANEL_HEIGHT = 340
PANEL_WIDTH = 450
PANEL_LEFTS = (110, 700)
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"

# One style per server: colour, dash pattern and marker differ, so the lines
# stay apart in greyscale too (dark solid circles vs lighter dashed squares).
STYLES = {
    "draftroom": {"label": "Draftroom", "color": "#1f4e9c", "dash": None, "marker": "circle"},
    "y-websocket": {
        "label": "stock y-websocket (Node)",
        "color": "#e07b00",
        "dash": "10 6",
        "marker": "square",
    },
    "y-sweet": {
        "label": "y-sweet 0.9 (Rust)",
        "color": "#2a8c3a",
        "dash": "3 4",
        "marker": "triangle",
    },
    "hocuspocus": {
        "label": "Hocuspocus 4.7 (Node)",
        "color": "#8e2a8c",
        "dash": "12 4 3 4",
        "marker": "diamond",
    },
}
EXTRA_STYLES = [
    {"color": "#555555", "dash": "2 2", "marker": "circle"},
    {"color": "#b03030", "dash": "1 3", "marker": "square"},
]

METRICS = (
    # key, panel title, y-axis label
    ("p99_ms", "p99 latency, writer \u2192 follower", "p99 latency (ms)"),
    ("rss_per_conn_kib", "Resident memory per follower connection", "RSS per connection (KiB)"),
)


def fail(msg: str) -> None:
    print(f"chart.py: {msg}", file=sys.stderr)
    sys.exit(1)


def warn(msg: str) -> None:
    print(f"chart.py: warning: {msg}", file=sys.stderr)


def load_rows(paths: list[str]) -> list[dict]:
    rows: list[dict] = []
    for p in paths:
        try:
            data = json.loads(Path(p).read_text())
        except OSError as e:
            fail(f"cannot read {p}: {e.strerror}")
        except json.JSONDecodeError as e:
            fail(f"{p} is not JSON: {e}")
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list):
            fail(f"{p}: expected a list of rows")
        for i, row in enumerate(data):
            if not isinstance(row, dict):
                fail(f"{p}: row {i} is not an object")
            if row.get("scenario", "fanout") != "fanout":
                continue
            if not isinstance(row.get("server"), str) or not isinstance(
                row.get("followers"), (int, float)
            ):
                warn(f"{p}: row {i} has no server or followers; skipped")
                continue
            rows.append(row)
    return rows


def number(v) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def series(rows: list[dict], key: str, log: bool) -> dict[str, list[tuple[int, float, bool]]]:
    """server -> sorted [(N, median value, every run delivered all)]."""
    groups: dict[tuple[str, int], list[tuple[float, bool]]] = {}
    for row in rows:
        v = number(row.get(key))
        if v is None:
            continue
        if log and v <= 0:
            warn(f"{row['server']} N={row['followers']}: {key}={v} cannot go on a log scale; skipped")
            continue
        ok = row.get("delivered_all") is not False
        groups.setdefault((row["server"], int(row["followers"])), []).append((v, ok))
    out: dict[str, list[tuple[int, float, bool]]] = {}
    for (server, n), vals in sorted(groups.items()):
        if len(vals) > 1:
            warn(f"{server} N={n}: {len(vals)} rows for {key}; plotting their median")
        med = statistics.median(v for v, _ in vals)
        out.setdefault(server, []).append((n, med, all(ok for _, ok in vals)))
    return out


def server_order(servers) -> list[str]:
    known = [s for s in STYLES if s in servers]
    return known + sorted(s for s in servers if s not in STYLES)


def style_for(server: str, order: list[str]) -> dict:
    if server in STYLES:
        return STYLES[server]
    extras = [s for s in order if s not in STYLES]
    st = dict(EXTRA_STYLES[extras.index(server) % len(EXTRA_STYLES)])
    st["label"] = server
    return st


# ---- scales and ticks ------------------------------------------------------


def fmt_num(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 1:
        return f"{v:.10g}" if v == round(v) else f"{v:.1f}".rstrip("0").rstrip(".")
    return f"{v:.3g}"


def log_ticks(lo: float, hi: float) -> tuple[float, float, list[float], list[float]]:
    """Domain widened to whole decades; major ticks and minor gridlines."""
    d0 = math.floor(math.log10(lo) + 1e-9)
    d1 = math.ceil(math.log10(hi) - 1e-9)
    if d1 <= d0:
        d1 = d0 + 1
    decades = d1 - d0
    steps = (1, 2, 5) if decades <= 3 else (1,)
    major, minor = [], []
    for d in range(d0, d1 + 1):
        for m in range(1, 10):
            v = m * 10.0**d
            if v > 10.0**d1 * 1.0001:
                break
            (major if m in steps else minor).append(v)
    return 10.0**d0, 10.0**d1, major, minor


def linear_ticks(hi: float) -> tuple[float, float, list[float]]:
    """Domain [0, nice top] with about five ticks."""
    if hi <= 0:
        hi = 1.0
    raw = hi / 5
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    top = math.ceil(hi * 1.05 / step) * step
    ticks = [i * step for i in range(int(round(top / step)) + 1)]
    return 0.0, top, ticks


class Axis:
    def __init__(self, lo: float, hi: float, log: bool, p0: float, p1: float):
        self.lo, self.hi, self.log, self.p0, self.p1 = lo, hi, log, p0, p1

    def __call__(self, v: float) -> float:
        if self.log:
            t = (math.log10(v) - math.log10(self.lo)) / (math.log10(self.hi) - math.log10(self.lo))
        else:
            t = (v - self.lo) / (self.hi - self.lo)
        return self.p0 + t * (self.p1 - self.p0)


# ---- drawing -----------------------------------------------------------------


def text(x, y, s, size=14, anchor="middle", weight="normal", fill="#222", extra=""):
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'font-weight="{weight}" fill="{fill}"{extra}>{escape(s)}</text>'
    )


def marker(kind: str, x: float, y: float, color: str, hollow: bool, r: float = 5.5) -> str:
    fill = "#ffffff" if hollow else color
    common = f'fill="{fill}" stroke="{color}" stroke-width="2"'
    if kind == "square":
        s = r * 0.9
        return f'<rect x="{x - s:.1f}" y="{y - s:.1f}" width="{2 * s:.1f}" height="{2 * s:.1f}" {common}/>'
    if kind == "triangle":
        pts = [(x, y - r * 1.15), (x + r, y + r * 0.75), (x - r, y + r * 0.75)]
    elif kind == "diamond":
        pts = [(x, y - r * 1.2), (x + r * 1.2, y), (x, y + r * 1.2), (x - r * 1.2, y)]
    else:
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" {common}/>'
    p = " ".join(f"{a:.1f},{b:.1f}" for a, b in pts)
    return f'<polygon points="{p}" {common}/>'


def polyline(points, st) -> str:
    dash = f' stroke-dasharray="{st["dash"]}"' if st["dash"] else ""
    p = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return (
        f'<polyline points="{p}" fill="none" stroke="{st["color"]}" stroke-width="2.5" '
        f'stroke-linejoin="round" stroke-linecap="round"{dash}/>'
    )


def panel(left, title, ylabel, data, order, xs, y_log) -> list[str]:
    top, w, h = PANEL_TOP, PANEL_WIDTH, PANEL_HEIGHT
    out = ['<g class="panel">']
    out.append(text(left + w / 2, top - 16, title, size=17, weight="bold"))

    # x: log scale over the standard Ns and any other N in the data, padded
    # a little so end points sit inside the frame.
    xlo, xhi = min(xs), max(xs)
    pad = 0.06 * (math.log10(xhi) - math.log10(xlo) or 1)
    x = Axis(10 ** (math.log10(xlo) - pad), 10 ** (math.log10(xhi) + pad), True, left, left + w)

    values = [v for pts in data.values() for _, v, _ in pts]
    if y_log:
        lo, hi = (min(values), max(values)) if values else (1.0, 10.0)
        ylo, yhi, yticks, yminor = log_ticks(lo, hi)
    else:
        ylo, yhi, yticks = linear_ticks(max(values) if values else 1.0)
        yminor = []
    y = Axis(ylo, yhi, y_log, top + h, top)

    out.append(f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="#ffffff" stroke="none"/>')
    for v in yminor:
        out.append(
            f'<line x1="{left}" x2="{left + w}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#efefef" stroke-width="1"/>'
        )
    for v in yticks:
        yy = y(v)
        out.append(f'<line x1="{left}" x2="{left + w}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#dcdcdc" stroke-width="1"/>')
        out.append(text(left - 10, yy + 5, fmt_num(v), size=14, anchor="end"))
    for n in xs:
        xx = x(n)
        out.append(f'<line x1="{xx:.1f}" x2="{xx:.1f}" y1="{top}" y2="{top + h}" stroke="#dcdcdc" stroke-width="1"/>')
        out.append(text(xx, top + h + 22, f"{n:,}", size=14))
    out.append(f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="none" stroke="#444" stroke-width="1.2"/>')

    out.append(text(left + w / 2, top + h + 50, "followers N (log scale)", size=15))
    scale = " (log scale)" if y_log else ""
    cx, cy = left - 72, top + h / 2
    out.append(text(cx, cy, ylabel + scale, size=15, extra=f' transform="rotate(-90 {cx:.1f} {cy:.1f})"'))

    for server in order:
        pts = data.get(server)
        if not pts:
            continue
        st = style_for(server, order)
        coords = [(x(n), y(v)) for n, v, _ in pts]
        if len(coords) > 1:
            out.append(polyline(coords, st))
        for (px, py), (n, v, ok) in zip(coords, pts):
            out.append(marker(st["marker"], px, py, st["color"], hollow=not ok))
            out.append(f"<!-- {escape(server)} N={n}: {v:g} -->")
    out.append("</g>")
    return out


def legend(order, cy) -> list[str]:
    items = []
    for server in order:
        st = style_for(server, order)
        items.append((st, st["label"]))
    # Rough text width: 8.4 px a character at 15 px.
    widths = [60 + 8.4 * len(label) + 36 for _, label in items]
    x = (WIDTH - sum(widths)) / 2
    out = ['<g class="legend">']
    for (st, label), wd in zip(items, widths):
        out.append(polyline([(x, cy), (x + 48, cy)], st))
        out.append(marker(st["marker"], x + 24, cy, st["color"], hollow=False))
        out.append(text(x + 58, cy + 5, label, size=15, anchor="start"))
        x += wd
    out.append("</g>")
    return out


def render(rows: list[dict], title: str, subtitle: str, latency_log: bool) -> str:
    servers = {r["server"] for r in rows}
    order = server_order(servers)
    xs = sorted(set(STANDARD_NS) | {int(r["followers"]) for r in rows if r["followers"] > 0})
    any_hollow = any(r.get("delivered_all") is False for r in rows)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="{FONT}">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        text(WIDTH / 2, 34, title, size=22, weight="bold"),
    ]
    if subtitle:
        out.append(text(WIDTH / 2, 58, subtitle, size=15, fill="#555"))
    out += legend(order, 90)
    for left, (key, ptitle, ylabel) in zip(PANEL_LEFTS, METRICS):
        log = latency_log if key == "p99_ms" else False
        data = series(rows, key, log)
        out += panel(left, ptitle, ylabel, data, order, xs, log)
    if any_hollow:
        out.append(
            text(WIDTH / 2, HEIGHT - 10,
                 "Hollow marker: in that run not every follower received every update.",
                 size=13, fill="#a00000")
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results", nargs="+", help="JSON result files of the fan-out scenario")
    ap.add_argument("--out", default=str(DEFAULT_OUT), help=f"SVG to write (default {DEFAULT_OUT})")
    ap.add_argument("--title", default="Fan-out: one writer, N read-only followers")
    ap.add_argument(
        "--subtitle",
        default="Draftroom vs y-sweet, Hocuspocus and the stock y-websocket server, same load, same machine",
    )
    ap.add_argument(
        "--latency-scale", choices=("log", "linear"), default="log", help="y scale of the latency chart"
    )
    args = ap.parse_args(argv)

    rows = load_rows(args.results)
    if not rows:
        fail("no fan-out rows in the given files")
    svg = render(rows, args.title, args.subtitle, args.latency_scale == "log")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(svg, encoding="utf-8")
    servers = ", ".join(server_order({r["server"] for r in rows}))
    print(f"wrote {out} ({len(rows)} rows; servers: {servers})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
