#!/usr/bin/env python3
"""Draws the soak's curve: the server's resident memory (MiB) and open file
descriptors against time, with the cycles finished, as a small SVG.

    python3 bench/soak_chart.py bench/results/soak-draftroom.json --out docs/soak.svg
"""
import argparse
import json
from xml.sax.saxutils import escape

W, H, PAD = 720, 300, 48


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("json")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    row = json.load(open(a.json))
    s = row["samples"]
    if not s:
        raise SystemExit("no samples")
    t_max = max(x["t"] for x in s) or 1
    rss_max = max(x["rss_mib"] for x in s) * 1.15 or 1
    fd_max = max(x["fds"] for x in s) * 1.15 or 1
    c_max = max(x["cycles"] for x in s) or 1

    def px(t):
        return PAD + (W - 2 * PAD) * t / t_max

    def py(v, top):
        return H - PAD - (H - 2 * PAD) * v / top

    def line(key, top, colour):
        pts = " ".join(f"{px(x['t']):.1f},{py(x[key], top):.1f}" for x in s)
        return f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{pts}"/>'

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{PAD}" y="20" font-size="14">Soak: {row["cycles"]} connect–type–disconnect cycles over {row["meetings"]} meetings (rooms unload after 1 s)</text>',
           f'<line x1="{PAD}" y1="{H-PAD}" x2="{W-PAD}" y2="{H-PAD}" stroke="#888"/>',
           f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{H-PAD}" stroke="#888"/>',
           f'<line x1="{W-PAD}" y1="{PAD}" x2="{W-PAD}" y2="{H-PAD}" stroke="#888"/>',
           line("cycles", c_max * 1.15, "#bbbbbb"),
           line("rss_mib", rss_max, "#c0392b"),
           line("fds", fd_max, "#2471a3")]
    for i in range(5):
        v = rss_max * i / 4
        f = fd_max * i / 4
        y = py(v, rss_max)
        out.append(f'<text x="{PAD-6}" y="{y+4:.1f}" text-anchor="end" fill="#c0392b">{v:.0f}</text>')
        out.append(f'<text x="{W-PAD+6}" y="{y+4:.1f}" fill="#2471a3">{f:.0f}</text>')
    for i in range(6):
        t = t_max * i / 5
        out.append(f'<text x="{px(t):.1f}" y="{H-PAD+16}" text-anchor="middle">{t:.0f} s</text>')
    out += [f'<text x="{PAD}" y="{H-8}" fill="#c0392b">resident memory, MiB (left)</text>',
            f'<text x="{W/2:.0f}" y="{H-8}" fill="#2471a3" text-anchor="middle">open file descriptors (right)</text>',
            f'<text x="{W-PAD}" y="{H-8}" fill="#999" text-anchor="end">cycles finished (grey, up to {c_max})</text>',
            "</svg>"]
    open(a.out, "w").write("\n".join(out))
    print(f"wrote {escape(a.out)}")


main()
