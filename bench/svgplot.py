"""A small log–log line plot written as SVG by hand, so the benchmark needs no plotting package."""
import math

COLORS = {"ours": "#d9480f", "reference": "#1c7ed6"}
W, H = 380, 280  # one panel
ML, MR, MT, MB = 60, 28, 40, 46  # margins


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def decades(lo, hi):
    """Powers of ten covering [lo, hi]."""
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    if a == b:
        b += 1
    return a, b


def tick_label(e):
    v = 10.0 ** e
    if v >= 1:
        return f"{v:,.0f}"
    return f"{v:g}"


def panel(x0, title, xs, series, xlabel):
    """One log–log panel at horizontal offset x0: SVG elements as a list of strings."""
    out = []
    pw, ph = W - ML - MR, H - MT - MB
    ys = [y for vals in series.values() for y in vals if y > 0]
    xa, xb = decades(min(xs), max(xs))
    ya, yb = decades(min(ys), max(ys))

    def px(x):
        return x0 + ML + (math.log10(x) - xa) / (xb - xa) * pw

    def py(y):
        return MT + ph - (math.log10(y) - ya) / (yb - ya) * ph

    out.append(f'<text x="{x0 + ML + pw / 2}" y="{MT - 14}" text-anchor="middle" font-weight="bold">{esc(title)}</text>')
    out.append(f'<rect x="{x0 + ML}" y="{MT}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>')
    for e in range(xa, xb + 1):
        x = px(10.0 ** e)
        out.append(f'<line x1="{x:.1f}" y1="{MT}" x2="{x:.1f}" y2="{MT + ph}" stroke="#eee"/>')
        out.append(f'<text x="{x:.1f}" y="{MT + ph + 16}" text-anchor="middle">{tick_label(e)}</text>')
    for e in range(ya, yb + 1):
        y = py(10.0 ** e)
        out.append(f'<line x1="{x0 + ML}" y1="{y:.1f}" x2="{x0 + ML + pw}" y2="{y:.1f}" stroke="#eee"/>')
        out.append(f'<text x="{x0 + ML - 6}" y="{y + 4:.1f}" text-anchor="end">{tick_label(e)}</text>')
    out.append(f'<text x="{x0 + ML + pw / 2}" y="{H - 10}" text-anchor="middle">{esc(xlabel)}</text>')
    for name, vals in series.items():
        pts = [(px(x), py(y)) for x, y in zip(xs, vals) if y > 0]
        color = COLORS.get(name, "#333")
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for x, y in pts:
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>')
    return out


def panels_svg(title, xs, panels, xlabel):
    """panels: [(panel title, {series name: [y per x]})]; a legend of the series names on top."""
    width = W * len(panels)
    height = H + 30
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{ML}" y="18" font-size="14">{esc(title)}</text>',
        '<g transform="translate(0,30)">',
    ]
    for i, (ptitle, series) in enumerate(panels):
        out += panel(i * W, ptitle, xs, series, xlabel)
    out.append("</g>")
    names = list(panels[0][1])
    for i, name in enumerate(names):
        x = width - 190 + i * 90
        out.append(f'<line x1="{x}" y1="14" x2="{x + 20}" y2="14" stroke="{COLORS.get(name, "#333")}" stroke-width="2"/>')
        out.append(f'<text x="{x + 24}" y="18">{esc(name)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
