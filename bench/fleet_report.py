"""The fleet benchmark's results: per-tool summaries, findings agreement, the issue's targets (met/MISSED,
with the resource that bounds a missed one), the growth table, Markdown and an SVG plot."""

from __future__ import annotations

import json
import statistics
import sys
from html import escape
from pathlib import Path
from typing import Any

from bench import harness

RSS_LIMIT_MB = 200
FLOOR_RATIO = 1.3
C7N_RATIO = 3.0
RETRY_SHARE = 0.05


def summarise_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median-wall run's numbers, the peak of the peaks, all walls."""
    mid = sorted(runs, key=lambda r: r["wall_s"])[len(runs) // 2]
    return {
        **mid,
        "wall_s_runs": [r["wall_s"] for r in runs],
        "wall_s": round(statistics.median(r["wall_s"] for r in runs), 3),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
    }


def agreement(tools: dict[str, Any]) -> list[str]:
    ran = {k: v for k, v in tools.items() if v.get("findings") is not None}
    return harness.disagreements(ran)


def bound_by(t: dict[str, Any]) -> str:
    """Which resource a run spent its wall time on, from its own CPU and the sandbox's."""
    wall = t["wall_s"] or 1.0
    own, box = t["cpu_s"] / wall, t["sandbox_cpu_s"] / wall
    busy = t.get("machine_busy") or 0.0
    if busy >= 0.9 and own + box < 1.6:
        return (
            f"the machine's CPUs, busy {busy:.0%} with other processes too: opsbook got {own:.0%} of a core "
            f"({t['cpu_s']:.0f} s CPU in {t['wall_s']:.0f} s), the sandbox {box:.0%}"
        )
    if own + box >= 1.6:
        return f"the machine's 2 cores (opsbook {own:.0%} of a core, sandbox {box:.0%})"
    if own >= 0.8:
        return f"opsbook's own CPU ({t['cpu_s']:.0f} s CPU in {t['wall_s']:.0f} s: one core, the GIL)"
    if box >= 0.8:
        return f"the sandbox's CPU ({box:.0%} of the wall time)"
    return f"waiting on the model's latency and buckets (opsbook {own:.0%}, sandbox {box:.0%} of a core)"


def targets(size: dict[str, Any], smallest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    t = size["tools"]
    ob = t["opsbook"]
    out: dict[str, dict[str, Any]] = {}
    floor = t["computed-floor"]["wall_s"]
    out[f"opsbook <= {FLOOR_RATIO}x computed floor"] = {
        "met": ob["wall_s"] <= FLOOR_RATIO * floor,
        "value": f"{ob['wall_s']:.1f} s vs floor {floor:.1f} s ({ob['wall_s'] / floor:.1f}x)",
    }
    if "c7n" in t:
        out[f"opsbook >= {C7N_RATIO:.0f}x faster than c7n-org"] = {
            "met": t["c7n"]["wall_s"] >= C7N_RATIO * ob["wall_s"],
            "value": f"c7n-org {t['c7n']['wall_s']:.1f} s ({t['c7n']['wall_s'] / ob['wall_s']:.1f}x opsbook)",
        }
    errors = {k: v for k, v in ob["findings"].items() if k.endswith("(error)")}
    out["no ERROR findings, findings agree"] = {
        "met": not errors and not size["disagreements"],
        "value": f"{sum(errors.values())} errors, {len(size['disagreements'])} disagreements",
    }
    share = ob["retries"] / ob["calls"] if ob["calls"] else 0.0
    out[f"<= {RETRY_SHARE:.0%} of calls retried"] = {
        "met": share <= RETRY_SHARE,
        "value": f"{ob['retries']} of {ob['calls']} ({share:.1%}), {ob['throttled']} throttled",
    }
    out[f"peak RSS < {RSS_LIMIT_MB} MB"] = {
        "met": ob["peak_rss_mb"] < RSS_LIMIT_MB,
        "value": ob["peak_rss_mb"],
    }
    if smallest is not size:
        grow = ob["peak_rss_mb"] - smallest["tools"]["opsbook"]["peak_rss_mb"]
        extra_findings = sum(ob["findings"].values()) - sum(smallest["tools"]["opsbook"]["findings"].values())
        allowed = 10 + extra_findings * 0.005  # 5 KB per extra failing finding (its model, report, store row)
        out["memory grows only with findings"] = {
            "met": grow <= allowed,
            "value": f"+{grow:.0f} MB for +{extra_findings} failing findings (allowed {allowed:.0f} MB)",
        }
    for name, target in out.items():
        if not target["met"] and name.startswith("opsbook <="):
            target["bound_by"] = bound_by(ob)
    return out


def wall_of(t: dict[str, Any]) -> float | None:
    """Measured wall time, or the projection for a tool run on a sample (Prowler)."""
    value: float | None = t.get("projected_wall_s", t.get("wall_s"))
    return value


def tool_names(result: dict[str, Any]) -> list[str]:
    """Every tool of any size, in first-seen order (a size may leave some out)."""
    return list(dict.fromkeys(n for s in result["sizes"] for n in s["tools"]))


def growth_rows(result: dict[str, Any]) -> list[str]:
    sizes = result["sizes"]
    head = " | ".join(f"{s['accounts']} acc: wall s / MB" for s in sizes)
    lines = [f"| tool | {head} | wall per account, ms |", "|---" * (len(sizes) + 2) + "|"]
    for name in tool_names(result):
        cells, per = [], ""
        for s in sizes:
            t = s["tools"].get(name, {})
            wall = wall_of(t)
            rss = None if "projected_wall_s" in t else t.get("peak_rss_mb")
            mark = "≈" if "projected_wall_s" in t else ""
            cells.append(
                "–" if wall is None else f"{mark}{wall:.1f}" + (f" / {rss:.0f}" if rss is not None else "")
            )
        last = wall_of(sizes[-1]["tools"].get(name, {}))
        if last is not None:
            per = f"{last / sizes[-1]['accounts'] * 1000:.0f}"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {per} |")
    return lines


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    warm = "a warm-up round (the sandbox's read cache filled)" if result.get("warmup") else "no warm-up"
    lines = [
        f"# Fleet benchmark {result['timestamp']}",
        "",
        f"`{result['command']}`: BulkEstate scale {result['scale']} per account-region, latency and throttling "
        f"on (`--latency aws --throttle aws`), {result['rounds']} round(s) after {warm}, tools interleaved; "
        f"{m['cpus']} CPUs, Python {m['python']}.",
    ]
    for size in result["sizes"]:
        lines += [
            "",
            f"## {size['accounts']} accounts x {size['regions']} regions (seeded in {size['seed_s']} s)",
            "",
        ]
        lines += [
            "| tool | wall s | API calls | throttled | retries | peak RSS MB | CPU s | sandbox CPU share "
            "| machine busy |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for name, t in size["tools"].items():
            if t.get("wall_s") is None or "calls" not in t:
                wall = t.get("wall_s")
                note = t.get("note") or "computed from the floor run's calls and the model"
                lines.append(
                    f"| {name} | {'–' if wall is None else f'{wall:.2f}'} | {escape(note, quote=False)} |||||||"
                )
                continue
            label = f"{name} ({escape(t['note'], quote=False)})" if t.get("note") else name
            lines.append(
                f"| {label} | {t['wall_s']:.2f} | {t['calls']} | {t['throttled']} | {t['retries']} | "
                f"{t['peak_rss_mb']:.0f} | {t['cpu_s']:.1f} | {t['sandbox_cpu_share']:.0%} | "
                f"{(t.get('machine_busy') or 0):.0%} |"
            )
        b = size["tools"]["computed-floor"]["bound"]
        lines += ["", f"Computed floor: longest chain {b['chain_s']:.2f} s (`{b['chain']}`), slowest bucket "
                  f"{b['bucket_s']:.2f} s (`{b['bucket'] or 'none over capacity'}`)."]  # fmt: skip
        dis = size["disagreements"]
        lines += ["", "Findings agree." if not dis else "Disagreements:\n" + "\n".join(f"- {d}" for d in dis)]
        lines += ["", "| target | | measured |", "|---|---|---|"]
        for name, tg in size["targets"].items():
            why = f"; bound by {tg['bound_by']}" if "bound_by" in tg else ""
            lines.append(f"| {name} | {'met' if tg['met'] else 'MISSED'} | {tg['value']}{why} |")
    lines += ["", "## Growth (wall s / peak RSS MB against accounts)", "", *growth_rows(result)]
    if result.get("profile"):
        lines += [
            "",
            "## Where opsbook's time goes (py-spy, largest size)",
            "",
            "```",
            result["profile"],
            "```",
        ]
    return "\n".join(lines) + "\n"


COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")


def svg(result: dict[str, Any]) -> str:
    """Two panels, wall time and peak RSS against accounts, one line per tool."""
    sizes = [s["accounts"] for s in result["sizes"]]
    names = tool_names(result)
    w, h, pad = 420, 300, 50
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * w}" height="{h + 60}" font-size="11">']
    for panel, (field, label) in enumerate((("wall_s", "wall time, s"), ("peak_rss_mb", "peak RSS, MB"))):
        x0 = panel * w
        series = {
            n: [
                (
                    s["accounts"],
                    None if "projected_wall_s" in t else t.get(field),  # measured only
                )
                for s in result["sizes"]
                for t in [s["tools"].get(n, {})]
            ]
            for n in names
        }
        ymax = max([v for pts in series.values() for _, v in pts if v is not None] or [1.0]) * 1.1
        xmax = max(sizes)

        def px(a: float, v: float, x0: int = x0, ymax: float = ymax, xmax: int = xmax) -> str:
            return f"{x0 + pad + (w - 2 * pad) * a / xmax:.1f},{h - pad + 20 - (h - 2 * pad) * v / ymax:.1f}"

        parts.append(
            f'<text x="{x0 + w / 2}" y="16" text-anchor="middle">{escape(label)} against accounts</text>'
        )
        parts.append(f'<polyline fill="none" stroke="#000" points="{px(0, ymax)} {px(0, 0)} {px(xmax, 0)}"/>')
        for a in sizes:
            x, y = px(a, 0).split(",")
            parts.append(f'<text x="{x}" y="{float(y) + 14}" text-anchor="middle">{a}</text>')
        for frac in (0.5, 1.0):
            x, y = px(0, ymax * frac / 1.1).split(",")
            parts.append(f'<text x="{float(x) - 4}" y="{y}" text-anchor="end">{ymax * frac / 1.1:.0f}</text>')
        for i, pts in enumerate(series.values()):
            known = [px(a, v) for a, v in pts if v is not None]
            colour = COLOURS[i % len(COLOURS)]
            if len(known) > 1:
                parts.append(f'<polyline fill="none" stroke="{colour}" points="{" ".join(known)}"/>')
            parts += [
                f'<circle cx="{p.split(",")[0]}" cy="{p.split(",")[1]}" r="2.5" fill="{colour}"/>'
                for p in known
            ]
    for i, n in enumerate(names):
        colour = COLOURS[i % len(COLOURS)]
        x = 10 + i * 140
        parts.append(f'<rect x="{x}" y="{h + 35}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{h + 44}">{escape(n)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main(argv: list[str]) -> int:
    """`python -m bench.fleet_report RESULTS.json`: render its Markdown and SVG again (after a change here)."""
    path = Path(argv[0])
    write(json.loads(path.read_text(encoding="utf-8")), path.with_suffix(""))
    return 0


def write(result: dict[str, Any], stem: Path) -> None:
    smallest = result["sizes"][0]
    for size in result["sizes"]:
        size["disagreements"] = agreement(size["tools"])
        size["targets"] = targets(size, smallest)
    stem.with_suffix(".json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    stem.with_suffix(".md").write_text(markdown(result), encoding="utf-8")
    stem.with_suffix(".svg").write_text(svg(result), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
