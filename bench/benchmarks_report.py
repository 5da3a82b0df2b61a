"""``BENCHMARKS.md`` from the results ``run_benchmarks`` collected.

Times are medians over the runs of a measurement; peak memory is the largest peak resident
memory of those runs. A figure whose measurement failed shows as missing, and the failure is
listed at the end.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable

MISSING = "—"


def _median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def _s(seconds: float) -> str:
    return f"{seconds:,.2f} s" if seconds < 100 else f"{seconds:,.0f} s"


def _mib(mib: float) -> str:
    return f"{mib:,.0f} MiB"


def _size(executions: int) -> str:
    return f"{executions // 1_000_000}M" if executions % 1_000_000 == 0 else f"{executions // 1000:,}k"


def _goal(met: bool) -> str:
    return "met" if met else "**not met**"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [f"| {' | '.join(header)} |", f"|{'|'.join('---' for _ in header)}|",
            *(f"| {' | '.join(row)} |" for row in rows), ""]


def _figure(results: dict, name: str) -> list[tuple[int, dict]]:
    return [(size, figures[name]) for size, figures in sorted(results["sizes"].items()) if name in figures]


def _header(results: dict) -> list[str]:
    machine = results["machine"]
    return [
        "# Liquid Sync benchmarks",
        "",
        f"Written by `{results['command']}` (`make bench`), started {results['started']}, "
        f"{results['minutes']:.0f} minutes. Every measurement runs in a fresh Python process; times are "
        f"medians of {results['repeats']} runs and peak memory the largest peak resident set (`VmHWM`: the "
        "interpreter and its libraries included) of those runs. The Liquid API is the project's emulator "
        "over HTTP on the same machine, serving one generated account.",
        "",
        "## Machine",
        "",
        *_table(["", ""], [[key, value] for key, value in machine.items()]),
    ]


def _efficiency(results: dict) -> list[str]:
    rows = []
    for size, figure in _figure(results, "extraction"):
        requests = _median(r["requests"] for r in figure["runs"])
        rows.append([_size(size), "full", f"{requests:,.0f}", f"{figure['minimum_requests']:,}",
                     f"{requests / figure['minimum_requests']:.2f}"])
        incremental = results["sizes"][size].get("incremental")
        if incremental:
            for key, label in (("unchanged", "incremental, unchanged account"),
                               ("later", f"incremental, after {incremental['days']} days of activity")):
                run = incremental[key]
                rows.append([_size(size), label, f"{run['requests']:,}", f"{run['minimum_requests']:,}",
                             f"{run['requests'] / run['minimum_requests']:.2f}"])
    return [
        "## 1. Request efficiency",
        "",
        "Requests the emulator served, divided by the fewest a sync of the same account can make "
        "(`bench/request_minimum.py`: every list read to its end for a full sync; for an incremental sync a "
        "lower bound that knows which records changed but must still see each one, and re-read each order "
        "that was open the cheapest way). Goal: 1.00.",
        "",
        *_table(["executions", "sync", "requests", "minimum", "ratio"], rows),
    ]


def _rate_limited(results: dict) -> list[str]:
    unthrottled = {size: _median(r["requests"] / r["seconds"] for r in figure["runs"])
                   for size, figure in _figure(results, "extraction")}
    rows = []
    for size, figure in _figure(results, "rate_limited"):
        runs = figure["runs"]
        seconds = _median(r["seconds"] for r in runs)
        requests = _median(r["requests"] for r in runs)
        floor = _median(r["floor_seconds"] for r in runs)
        rolling = _median(r["rolling_floor_seconds"] for r in runs)
        throttled = sum(r["rate_limited"] for r in runs)
        rows.append([_size(size), f"{figure['limit']} per {figure['window']:g} s",
                     f"{figure['limit'] / figure['window']:.1f}",
                     f"{unthrottled[size]:.1f}" if size in unthrottled else MISSING, f"{requests:,.0f}", _s(seconds),
                     _s(floor), f"{seconds / floor:.3f}", _s(rolling),
                     f"{seconds / rolling:.3f}" if rolling else MISSING, str(throttled),
                     _goal(seconds <= 1.02 * floor and throttled == 0)])
    return [
        "## 2. Rate-limited sync",
        "",
        "A full extraction with the emulator's limit compressed in time (Liquid: 300 requests per 300 s, "
        "1 request/s). The floor the limit sets is requests × window ÷ limit. A rolling window also lets a "
        "client start with a full burst, so no client can finish before (⌈requests ÷ limit⌉ − 1) × window, "
        "the rolling-window floor. The compressed rate stays below the rate the same extraction reaches "
        "unthrottled (figure 3), so that the limit, not the machine, sets the pace. Goal: at most 1.02 × the "
        "floor, zero 429s (summed over all runs).",
        "",
        *_table(["executions", "limit", "limit requests/s", "unthrottled requests/s", "requests", "time", "floor",
                 "time ÷ floor", "rolling-window floor", "time ÷ rolling floor", "429s", "goal"], rows),
    ]


def _extraction(results: dict) -> list[str]:
    rows = []
    for size, figure in _figure(results, "extraction"):
        runs = figure["runs"]
        records = sum(runs[0]["summary"]["records"].values())
        seconds = _median(r["seconds"] for r in runs)
        rows.append([_size(size), f"{records:,}", f"{runs[0]['summary']['records']['executions']:,}", _s(seconds),
                     f"{records / seconds:,.0f}", _mib(max(r["peak_rss_mib"] for r in runs))])
    return [
        "## 3. Unthrottled extraction into raw Parquet",
        "",
        "A full extraction with pacing off on both sides: every order, execution, withdrawal and balance "
        "written as raw Parquet pages with their manifest.",
        "",
        *_table(["executions", "records", "of which executions", "time", "records/s", "peak memory"], rows),
    ]


STEPS = ("transform", "validate", "load")


def _steps_summary(runs: list[dict], steps: tuple[str, ...]) -> tuple[dict[str, float], float, float]:
    """Median seconds per step, median total over the runs, largest peak memory of any step."""
    per_step = {step: _median(r[step]["seconds"] for r in runs) for step in steps}
    total = _median(sum(r[step]["seconds"] for step in steps) for r in runs)
    peak = max(r[step]["peak_rss_mib"] for r in runs for step in steps)
    return per_step, total, peak


def _transform_validate_load(results: dict) -> list[str]:
    figures = _figure(results, "transform_validate_load")
    rows, totals = [], {}
    for size, figure in figures:
        per_step, total, peak = _steps_summary(figure["runs"], STEPS)
        peaks = {step: max(r[step]["peak_rss_mib"] for r in figure["runs"]) for step in STEPS}
        totals[size] = (per_step, total)
        rows.append([_size(size), *(f"{_s(per_step[s])}, {_mib(peaks[s])}" for s in STEPS), _s(total), _mib(peak)])
    import_seconds = [r["validate"]["import_seconds"] for _, f in figures for r in f["runs"]]
    lines = [
        "## 4. Transform, validate and load",
        "",
        "The full extraction of figure 3 into a warehouse that already holds the export files of the older "
        "half of the history (so half the API trades are matched to file lines), each step in its own "
        "process as Airflow runs them (time, peak memory). Validation time excludes importing Great "
        f"Expectations ({_s(_median(import_seconds)) if import_seconds else MISSING} per process).",
        "",
        *_table(["executions", "transform", "validate", "load", "total", "peak memory"], rows),
    ]
    if len(totals) >= 2:
        small, large = min(totals), max(totals)
        factor = large / small
        ratios = [totals[large][0][s] / totals[small][0][s] for s in STEPS]
        total_ratio = totals[large][1] / totals[small][1]
        lines += [
            f"Scaling {_size(large)} ÷ {_size(small)} ({factor:g}× the executions); goal: {factor:g}× or less.",
            "",
            *_table(["", *STEPS, "total", "goal"],
                    [["time ratio", *(f"{r:.1f}×" for r in ratios), f"{total_ratio:.1f}×",
                      _goal(total_ratio <= factor)]]),
        ]
    return lines


def _dag_parse(results: dict) -> list[str]:
    figure = results.get("dag_parse")
    lines = ["## 5. DAG parse time", "",
             "`dags/liquid_sync.py` parsed by `DagBag` (what Airflow's DAG processor does), in a fresh process "
             "and a fresh `AIRFLOW_HOME`; Airflow's own import is shown apart.", ""]
    if not figure:
        return lines + [f"{MISSING} (see Errors)", ""]
    runs = figure["runs"]
    return lines + _table(
        ["DAGs", "parse", "Airflow import", "peak memory"],
        [[", ".join(runs[0]["dags"]), _s(_median(r["seconds"] for r in runs)),
          _s(_median(r["import_seconds"] for r in runs)), _mib(max(r["peak_rss_mib"] for r in runs))]],
    )


def _peer(results: dict) -> list[str]:
    lines = [
        "## 6. Peer: dlt's REST API source",
        "",
        "The same account, extracted and loaded into DuckDB by dlt (`bench/dlt_peer.py`: the REST API source "
        "with a custom `AuthConfigBase` signing Liquid's JWT per request, page/limit pagination that stops at a "
        "short page, executions per traded product, merge by primary key, decimal money columns, Parquet load "
        "files, telemetry off), side by side with ours into an empty warehouse. dlt is told the traded "
        "products; ours finds them in the orders. Ours includes what dlt does not do: typing every record "
        "exactly, closed-order trades with fee shares, matching, withdrawals, cursors and GX validation.",
        "",
    ]
    for size, figure in _figure(results, "peer"):
        ours, theirs = figure["ours"], figure["dlt"]
        steps = ("extract", "transform", "validate", "load")
        per_step, with_validation, peak_with = _steps_summary(ours, steps)
        _, without_validation, peak_without = _steps_summary(ours, ("extract", "transform", "load"))
        dlt_seconds = _median(r["seconds"] for r in theirs)
        dlt_peak = max(r["peak_rss_mib"] for r in theirs)
        rows = [[f"ours: {step}", _s(per_step[step]), _mib(max(r[step]["peak_rss_mib"] for r in ours)),
                 f"{ours[0]['extract']['requests']:,}" if step == "extract" else ""] for step in steps]
        rows += [
            ["**ours: extract + transform + load**", _s(without_validation), _mib(peak_without),
             f"{ours[0]['extract']['requests']:,}"],
            ["**ours, with validation**", _s(with_validation), _mib(peak_with), ""],
            [f"**dlt {theirs[0]['dlt_version']}: extract + normalize + load**", _s(dlt_seconds), _mib(dlt_peak),
             f"{theirs[0]['requests']:,}"],
            ["ratio ours ÷ dlt (without validation)", f"{without_validation / dlt_seconds:.2f}",
             f"{peak_without / dlt_peak:.2f}", ""],
            ["ratio ours ÷ dlt (with validation)", f"{with_validation / dlt_seconds:.2f}",
             f"{peak_with / dlt_peak:.2f}", ""],
        ]
        lines += [f"{_size(size)} executions; dlt loaded "
                  + ", ".join(f"{table} {count:,}" for table, count in theirs[0]["rows"].items()) + " rows.", "",
                  *_table(["", "time", "peak memory", "requests"], rows)]
    return lines


def _errors(results: dict) -> list[str]:
    if not results["errors"]:
        return []
    return ["## Errors", "", *(f"- {error}" for error in results["errors"]), ""]


def render(results: dict) -> str:
    sections = (_header, _efficiency, _rate_limited, _extraction, _transform_validate_load, _dag_parse, _peer,
                _errors)
    lines = [line for section in sections for line in section(results)]
    return "\n".join(lines).rstrip() + "\n"

