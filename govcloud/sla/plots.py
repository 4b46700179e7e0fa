"""The SLA report's pictures, PNG and SVG beside it (matplotlib, no display needed):

- ``availability.*``: each system's availability per month of the term so far against the target (article 6);
- ``outages.*``: the month's timeline per system: down, unknown (no samples) and excluded time;
- ``budget.*``: the platform's downtime against its budget, added up month by month over the term.

System ids label the axes (ASCII, so no CJK font is needed). Every figure is drawn from the report's exact
milliseconds; the y axis of the availability plot starts near the target so 99.99% and 99.9% look different.
"""

from __future__ import annotations

from pathlib import Path

from .availability import PLATFORM
from .model import MS_PER_MINUTE, State
from .report import SlaReport

NAMES = ("availability", "outages", "budget")
COLOURS = {State.DOWN: "#c0392b", State.UNKNOWN: "#95a5a6", "excluded": "#3498db"}


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "govcloud"  # the same report draws the same SVG
    matplotlib.rcParams["svg.fonttype"] = "none"
    import matplotlib.pyplot as plt

    return plt


def _save(fig, folder: Path, name: str) -> list[Path]:  # type: ignore[no-untyped-def]
    out = []
    for ext in ("png", "svg"):
        path = folder / f"{name}.{ext}"
        fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Date": None} if ext == "svg" else None)
        out.append(path)
    return out


def availability_plot(report: SlaReport, folder: Path) -> list[Path]:
    plt = _pyplot()
    shown = report.months_shown()
    systems = [*report.systems.ids, PLATFORM]
    target = float(report.result.target) * 100
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(shown) + 3), 4.2))
    width = 0.8 / len(systems)
    lowest = target
    for i, s in enumerate(systems):
        xs, ys = [], []
        for j, (_, rows) in enumerate(shown):
            a = rows.get(s)
            if a is not None and a.availability_ratio is not None:
                xs.append(j + (i - (len(systems) - 1) / 2) * width)
                ys.append(float(a.availability_ratio) * 100)
        lowest = min([lowest, *ys])
        ax.bar(xs, ys, width=width, label=s, hatch="//" if s == PLATFORM else None)
    floor = max(0.0, min(lowest, target) - (100 - min(lowest, target)) * 0.25 - 0.001)
    ax.set_ylim(floor, 100.0 + (100 - floor) * 0.05)
    ax.axhline(target, color="black", linestyle="--", linewidth=1, label=f"target {target:g}%")
    ax.set_xticks(range(len(shown)), [label for label, _ in shown])
    ax.set_ylabel("availability % (of the time with samples)")
    ax.set_title(f"Availability per system and month, contract {report.contract.number}")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    paths = _save(fig, folder, "availability")
    plt.close(fig)
    return paths


def outages_plot(report: SlaReport, folder: Path) -> list[Path]:
    plt = _pyplot()
    p = report.period
    ids = list(report.systems.ids)
    fig, ax = plt.subplots(figsize=(10, 0.5 * len(ids) + 1.6))
    days = lambda ms: 1 + (ms - p.start_ms) / 86_400_000  # noqa: E731  (day 1 starts at 1.0)
    for row, s in enumerate(ids):
        for span in report.result.timelines[s]:
            clip = span.interval.clip(p.interval)
            if clip is not None and span.state in (State.DOWN, State.UNKNOWN):
                ax.broken_barh([(days(clip.start_ms), max(days(clip.end_ms) - days(clip.start_ms), 0.02))],
                               (row - 0.35, 0.7), color=COLOURS[span.state])
        excluded = [*report.result.maintenance.get(s, ()), *report.result.exclusions.get(s, ())]
        for iv in excluded:
            ax.broken_barh([(days(iv.start_ms), days(iv.end_ms) - days(iv.start_ms))], (row - 0.45, 0.9),
                           facecolor="none", edgecolor=COLOURS["excluded"], hatch="xx")
    ax.set_yticks(range(len(ids)), ids)
    ax.set_xlim(1, days(p.end_ms))
    ax.set_ylim(-0.6, len(ids) - 0.4)
    ax.set_xlabel(f"day of {p.label} (Beijing time)")
    ax.set_title(f"Outages {p.label}: down (red), no samples (grey), excluded (blue hatch)")
    paths = _save(fig, folder, "outages")
    plt.close(fig)
    return paths


def budget_plot(report: SlaReport, folder: Path) -> list[Path]:
    plt = _pyplot()
    shown = [(label, rows[PLATFORM]) for label, rows in report.months_shown() if PLATFORM in rows]
    spent, budget, s_acc, b_acc = [], [], 0.0, 0.0
    for _, a in shown:
        s_acc += a.down_ms / MS_PER_MINUTE
        b_acc += float(a.budget_ms) / MS_PER_MINUTE
        spent.append(s_acc)
        budget.append(b_acc)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.8 * len(shown) + 3), 4))
    xs = range(len(shown))
    ax.plot(xs, budget, color="black", linestyle="--", marker="o", label="budget (summed over systems)")
    ax.plot(xs, spent, color=COLOURS[State.DOWN], marker="o", label="downtime")
    ax.set_xticks(list(xs), [label for label, _ in shown])
    ax.set_ylabel("minutes, added up over the term")
    ax.set_title("Platform downtime against the availability budget, term so far")
    ax.legend(fontsize="small")
    paths = _save(fig, folder, "budget")
    plt.close(fig)
    return paths


def draw(report: SlaReport, folder: Path) -> list[Path]:
    """Every plot into ``folder`` (made when missing); the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    return [*availability_plot(report, folder), *outages_plot(report, folder), *budget_plot(report, folder)]
