"""Medians, percentiles, number formatting and the met/missed verdicts."""

import statistics


def med(xs):
    return statistics.median(xs) if xs else None


def pct(xs, p):
    if not xs:
        return None
    s = sorted(xs)
    k = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return s[k]


def fmt(x, unit="", nd=1):
    if x is None:
        return "n/a"
    if isinstance(x, float) and abs(x) >= 100:
        nd = 0
    return f"{x:,.{nd}f} {unit}".strip()


def fmt_us(x):
    return fmt(x, "µs", 0)


def summarize_cpu(res):
    out = {}
    for name, runs in res.items():
        us = [r["cpu_us"] for r in runs if "cpu_us" in r]
        sus = [r["sched_us"] for r in runs if "sched_us" in r]
        out[name] = {"cpu_us": med(us), "cpu_us_min": min(us) if us else None, "cpu_us_max": max(us) if us else None,
                     "sched_us": med(sus), "hs_per_s": med([r["hs_per_s"] for r in runs]),
                     "ok": sum(r["ok"] for r in runs), "failed": sum(r["failed"] for r in runs),
                     "resumed": sum(r["resumed"] for r in runs), "rounds": len(runs),
                     "negotiated": runs[-1].get("negotiated") if runs else None,
                     "latency_ms": runs[-1].get("latency_ms") if runs else None, "runs": runs}
    return out


def ratio_text(r):
    return "n/a" if r is None else f"{r:.2f}×"


def verdict_le(ratio, target):
    if ratio is None:
        return "not measured"
    if ratio <= target:
        return f"met ({ratio:.2f}× ≤ {target}×)"
    return f"missed by {(ratio / target - 1) * 100:.0f}% ({ratio:.2f}× > {target}×)"


def verdict_ge(ratio, target):
    if ratio is None:
        return "not measured"
    if ratio >= target:
        return f"met ({ratio:.2f}× ≥ {target}×)"
    return f"missed by {(1 - ratio / target) * 100:.0f}% ({ratio:.2f}× < {target}×)"


def md_escape(s):
    return str(s).replace("|", "\\|")
