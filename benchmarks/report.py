"""The results file: figures as JSON, and the same as a markdown table with the machine."""

from __future__ import annotations

import json
from pathlib import Path

#: the scale the issue's targets of the build and the filtered query name
TEN_MILLION = 10_000_000


class NotJudged(Exception):
    """A figure measured, but not where its target applies (e.g. not at 10M appeals): the
    value is shown, the target neither met nor missed."""

    def __init__(self, value, why: str):
        super().__init__(why)
        self.value, self.why = value, why


def _at_ten_million(appeals: int, value):
    """``value``, to be judged only when measured at 10M appeals."""
    if appeals < TEN_MILLION:
        raise NotJudged(value, f"not at 10M (at {appeals:,})")
    return value


def _largest(r: dict) -> dict:
    return r["transform"]["by_scale"][-1]


# Targets of the benchmarks issue: (figure, what, how to read it from the results, test, text).
TARGETS = (
    (
        "landing",
        "load rate (its masking apart) vs COPY of the same rows",
        lambda r: r["landing"]["load_vs_copy"],
        lambda v: v >= 0.5,
        "≥ 0.5",
    ),
    (
        "landing",
        "load rate (its masking apart) vs dlt (its fastest format)",
        lambda r: r["landing"]["load_vs_dlt"],
        lambda v: v >= 3,
        "≥ 3",
    ),
    (
        "transform",
        "incremental build / full build (largest scale)",
        lambda r: r["transform"]["by_scale"][-1]["incremental_vs_full"],
        lambda v: v <= 0.10,
        "≤ 0.10",
    ),
    (
        "transform",
        "full build (seed + build) at 10M appeals (s)",
        lambda r: _at_ten_million(_largest(r)["appeals"], _largest(r)["seconds"]["full"]),
        lambda v: v <= 300,
        "≤ 300",
    ),
    (
        "transform",
        "staging's models in the full build at 10M, sum of dbt's node times (s)",
        lambda r: _at_ten_million(_largest(r)["appeals"], _largest(r)["seconds"]["staging"]),
        lambda v: v <= 60,
        "≤ 60",
    ),
    (
        "transform",
        "daily (incremental) build at 10M appeals (s)",
        lambda r: _at_ten_million(_largest(r)["appeals"], _largest(r)["seconds"]["incremental"]),
        lambda v: v <= 20,
        "≤ 20",
    ),
    (
        "demo_build",
        "the demo's warehouse_build under dag.test() on the sandboxes (s)",
        lambda r: r["demo_build"]["seconds"],
        lambda v: v <= 40,
        "≤ 40",
    ),
    (
        "serving",
        "ranking query p95 (ms)",
        lambda r: r["serving"]["ranking"]["p95_ms"],
        lambda v: v < 50,
        "< 50",
    ),
    (
        "serving",
        "filtered query p95 at 10M appeals (ms)",
        lambda r: _at_ten_million(
            r["serving"]["fct_appeals_rows"], r["serving"]["filtered"]["p95_ms"]
        ),
        lambda v: v <= 50,
        "≤ 50",
    ),
    (
        "memory",
        "peak RSS growth, first run (largest / smallest N)",
        lambda r: r["memory"]["growth"]["first_run"],
        lambda v: v <= 1.1,
        "≤ 1.1 (flat)",
    ),
    (
        "memory",
        "peak RSS growth, daily run (largest / smallest N)",
        lambda r: r["memory"]["growth"]["daily_run"],
        lambda v: v <= 1.1,
        "≤ 1.1 (flat)",
    ),
    (
        "parsing",
        "parser rate vs a minimal lxml extractor",
        lambda r: r["parsing"]["parser_vs_reference"],
        lambda v: v >= 0.8,
        "≥ 0.8",
    ),
)


def judge(results: dict) -> list[dict]:
    """Each target with the measured value and whether it is met (None: not measured)."""
    verdicts = []
    for figure, what, value_of, test, target in TARGETS:
        verdict = {"figure": figure, "measure": what, "target": target}
        try:
            value = value_of(results)
        except NotJudged as not_judged:
            verdict |= {"value": not_judged.value, "met": None, "why": not_judged.why}
        except (KeyError, IndexError, TypeError):
            verdict |= {"value": None, "met": None, "why": "not measured"}
        else:
            verdict |= {"value": value, "met": bool(test(value))}
        verdicts.append(verdict)
    return verdicts


def write(results: dict, results_dir: Path, profile: str) -> tuple[Path, Path]:
    results_dir.mkdir(parents=True, exist_ok=True)
    json_path = results_dir / f"{profile}.json"
    md_path = results_dir / f"{profile}.md"
    json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    md_path.write_text(markdown(results))
    return json_path, md_path


def markdown(results: dict) -> str:
    m = results["machine"]
    lines = [
        f"# Benchmarks: {results['profile']}",
        "",
        f"Command: `{results['command']}`, {m['date']}, {results['duration_seconds']:.0f} s, "
        f"commit {m.get('commit')}.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, {m['os']}; "
        f"Python {m['python']}, PostgreSQL {m['postgres']} (embedded), dbt {m['dbt']}. "
        f"Load average at start: {', '.join(str(x) for x in m['load_average_at_start'])}.",
        "",
        "## Targets",
        "",
        "| figure | measure | value | target | met |",
        "|---|---|---:|---|---|",
    ]
    for v in results["targets"]:
        met = {True: "yes", False: "**no**"}.get(v["met"]) or v.get("why", "not measured")
        lines.append(f"| {v['figure']} | {v['measure']} | {v['value']} | {v['target']} | {met} |")
    lines += ["", "## Figures", ""]
    lines += _landing(results.get("landing"))
    lines += _transform(results.get("transform"))
    lines += _serving(results.get("serving"))
    lines += _memory(results.get("memory"))
    lines += _politeness(results.get("politeness"))
    lines += _parsing(results.get("parsing"))
    lines += _demo_build(results.get("demo_build"))
    return "\n".join(lines) + "\n"


def _landing(f: dict | None) -> list[str]:
    if not f:
        return []
    rate, sec = f["appeals_per_second"], f["seconds"]
    lines = [
        f"**1. Landing** ({f['appeals']:,} appeals, {f['pages']:,} pages, crawl delay 0)",
        "",
        "| step | seconds | appeals/s |",
        "|---|---:|---:|",
        *(f"| {k} | {sec[k]} | {rate[k]:,} |" for k in ("fetch", "parse", "load")),
        f"| end to end | {sec['total']} | {rate['end_to_end']:,} |",
    ]
    # the masking inside the load (results files from before it have none)
    if "load_masking" in sec:
        lines += [
            f"| — of which masking personal data (`masked_texts`, "
            f"{f['masking_microseconds_per_appeal']} µs per appeal) | {sec['load_masking']} | |",
            f"| the load with its masking apart | {sec['load_without_masking']} | "
            f"{rate['load_without_masking']:,} |",
        ]
    # the breakdown of the load step (results files from before it have none)
    if "load_row_building" in sec:
        one_batch = f["load_in_one_batch"]
        lines += [
            f"| — of which building rows in Python (canonical JSON, hash) | "
            f"{sec['load_row_building']} | |",
            f"| the same load (`insert_new_rows`) with all rows in one batch | "
            f"{one_batch['seconds']} | {one_batch['rows_per_second']:,} |",
        ]
    lines += _copy_lines(f["copy"])
    if "load_row_building" in sec:
        batched = f["copy"]["in_batches"]
        lines.append(
            f"| reference: `COPY` of the same rows{_what(f['copy'])}, one transaction per "
            f"{batched['rows_per_batch']} rows{_format(f['copy'])} | {batched['seconds']} | "
            f"{batched['rows_per_second']:,} |"
        )
    dlt = f.get("dlt")
    if dlt:
        for fmt, d in dlt["by_format"].items():
            lines.append(
                f"| peer: dlt {dlt['version']} ({fmt}, append) | {d['seconds']['total']} | "
                f"{d['rows_per_second']:,} |"
            )
    by_format = ", ".join(
        f"{fmt}: {ratio}" for fmt, ratio in f.get("load_vs_copy_by_format", {}).items()
    )
    with_masking = f.get("load_with_masking_vs_copy")
    lines += [
        "",
        f"Load{' (its masking apart)' if with_masking else ''} vs COPY: "
        f"{f['load_vs_copy']}{_format(f['copy'])}"
        f"{f' (by format: {by_format})' if by_format else ''}; vs COPY in the same batches: "
        f"{f.get('load_vs_copy_in_batches', 'not measured')}; load vs dlt: {f['load_vs_dlt']}"
        f"{f'; the load with its masking vs COPY: {with_masking}' if with_masking else ''}.",
        "",
    ]
    return lines


def _copy_lines(copy: dict) -> list[str]:
    """The one-stream COPY references: each format's (results files from before have one)."""
    streams = {fmt: c["one_stream"] for fmt, c in copy.get("by_format", {}).items()}
    streams = streams or {"": copy}
    return [
        f"| reference: `COPY` of the same rows{_what(copy)}, one stream"
        f"{f' ({fmt})' if fmt else ''} | "
        f"{c['seconds']} | {c['rows_per_second']:,} |"
        for fmt, c in streams.items()
    ]


def _what(copy: dict) -> str:
    """What the COPY reference copied (results files from before the masked texts: appeals)."""
    return " (appeals and their masked texts)" if "masked_texts_rows" in copy else ""


def _format(copy: dict) -> str:
    return f" ({copy['format']}, the faster format)" if "format" in copy else ""


def _transform(f: dict | None) -> list[str]:
    if not f:
        return []
    lines = [
        "**2. Transform** (`dbt seed` + `dbt build` of the whole project, published; a second "
        "build, published, which makes the candidate's own `fct_appeals` once; then one more day "
        "and an incremental build). Personal data is masked before the build, in Python, as the "
        "landing masks it (mask s, µs per appeal).",
        "",
        "| appeals | raw MB | mask s | µs/appeal | seed s | build s | full s | staging s "
        "| second build s | day rows | day's appeals in marts | incremental s | ratio |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in f["by_scale"]:
        t = s["seconds"]
        lines.append(
            f"| {s['appeals']:,} | {s['raw_megabytes']:,} | {t.get('mask', '–')} | "
            f"{s.get('mask_microseconds_per_appeal', '–')} | {t['seed']} | {t['build']} | "
            f"{t['full']} | {t.get('staging', '–')} | {t['second_build']} | {s['day_rows']:,} | "
            f"{s['day_appeals_in_marts']:,} | {t['incremental']} | {s['incremental_vs_full']} |"
        )
    for s in f["by_scale"]:
        for build in ("full", "incremental"):
            slowest = s.get("slowest_nodes", {}).get(build, [])
            if slowest:
                nodes = ", ".join(f"`{n['node']}` {n['seconds']} s" for n in slowest)
                lines += ["", f"Slowest nodes, {build} build at {s['appeals']:,}: {nodes}."]
    return [*lines, ""]


def _serving(f: dict | None) -> list[str]:
    if not f:
        return []
    return [
        f"**3. Serving** ({f['fct_appeals_rows']:,} appeals in marts.fct_appeals, "
        f"{f['runs']} runs each)",
        "",
        "| query | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|",
        *(
            f"| {name}: `{f[name]['sql'][:90]}…` | {f[name]['p50_ms']} | {f[name]['p95_ms']} | "
            f"{f[name]['max_ms']} |"
            for name in ("ranking", "filtered")
        ),
        "",
        f"Filter: {f['filtered']['params']}.",
        "",
        *_plan(f["filtered"].get("plan")),
    ]


def _plan(plan: list[str] | None) -> list[str]:
    """The filtered query's plan (results files from before it have none)."""
    if not plan:
        return []
    return ["Its plan (`explain (analyze, buffers)`):", "", "```", *plan, "```", ""]


def _demo_build(f: dict | None) -> list[str]:
    if not f:
        return []
    return [
        "**7. The demo's build** (`warehouse_build` under `dag.test()`, as `tyndau run` runs it, "
        "on what the demo's three sandboxes landed; the landing not timed)",
        "",
        f"{f['seconds']} s ({f['state']}, {f['tasks']} tasks; {f['fct_appeals_rows']:,} appeals "
        "in marts.fct_appeals).",
        "",
    ]


def _memory(f: dict | None) -> list[str]:
    if not f:
        return []
    lines = [
        "**4. Memory** (peak RSS of `land_dialog` in its own process)",
        "",
        "| appeals | first run MB | first run appeals/s | daily run MB | daily run cards |",
        "|---:|---:|---:|---:|---:|",
    ]
    for s in f["by_size"]:
        first, daily = s["first_run"], s["daily_run"]
        lines.append(
            f"| {s['appeals']:,} | {first['peak_rss_mb']} | {first['appeals_per_second']:,} | "
            f"{daily['peak_rss_mb']} | {daily['cards_seen']:,} |"
        )
    g = f["growth"]
    lines += [
        "",
        f"N grew ×{f['size_ratio']}: peak RSS ×{g['first_run']} (first run), "
        f"×{g['daily_run']} (daily run).",
        "",
    ]
    return lines


def _politeness(f: dict | None) -> list[str]:
    if not f:
        return []
    return [
        f"**5. Politeness cost** ({f['blogs']} blogs, {f['appeals']:,} appeals; "
        f"{f['changed_appeals']:,} new or changed in the day)",
        "",
        f"Daily run: {f['daily_run_requests']:,} requests for a minimum of "
        f"{f['minimum_requests']:,} (×{f['daily_vs_minimum']}); the full run before it: "
        f"{f['full_run_requests']:,}.",
        "",
    ]


def _parsing(f: dict | None) -> list[str]:
    if not f:
        return []
    sec, rate = f["seconds"], f["cards_per_second"]
    return [
        f"**6. Parsing** ({f['pages']:,} sandbox listing pages, {f['cards']:,} cards; medians "
        f"of {f['rounds']} interleaved rounds; both give the same records on every page)",
        "",
        "| extractor | seconds | cards/s |",
        "|---|---:|---:|",
        f"| the parser (`parse_listing`) | {sec['parser']} | {rate['parser']:,} |",
        f"| reference: minimal lxml + precompiled XPath, one layout, no checks "
        f"| {sec['reference']} | {rate['reference']:,} |",
        "",
        f"Parser vs reference: {f['parser_vs_reference']}.",
        "",
    ]


# The README's table of targets: regenerated from the results files of `make bench` and
# `make bench-full` whenever either is written (and by `python -m benchmarks --readme`).
README_PROFILES = ("quick", "full")
README_START = "<!-- benchmarks: generated from benchmarks/results by python -m benchmarks -->"
README_END = "<!-- benchmarks: end -->"


def readme_table(results_dir: Path) -> str:
    """The targets, judged afresh from each results file there is, with the run behind each."""
    runs = {
        profile: json.loads(path.read_text())
        for profile in README_PROFILES
        if (path := results_dir / f"{profile}.json").exists()
    }
    verdicts = {profile: judge(results) for profile, results in runs.items()}
    lines = [
        "| measure | target | " + " | ".join(f"`{_run_command(p)}`" for p in runs) + " |",
        "|---|---|" + "---:|" * len(runs),
    ]
    for i, (_, what, *_rest, target) in enumerate(TARGETS):
        cells = [_cell(verdicts[profile][i]) for profile in runs]
        lines.append(f"| {what} | {target} | " + " | ".join(cells) + " |")
    lines.append("")
    for profile, results in runs.items():
        m = results["machine"]
        lines.append(
            f"- `{_run_command(profile)}`: `{results['command']}`, {m['date']}, commit "
            f"{m.get('commit')}, {results['duration_seconds']:.0f} s; {m['cpu']}, {m['cores']} "
            f"cores, {m['ram_gb']} GB RAM, load average {m['load_average_at_start'][0]} at the "
            f"start ([{profile}.md](benchmarks/results/{profile}.md))."
        )
    return "\n".join(lines)


def _run_command(profile: str) -> str:
    return {"quick": "make bench", "full": "make bench-full"}[profile]


def _cell(verdict: dict) -> str:
    if verdict["value"] is None:
        return verdict.get("why", "not measured")
    met = {True: "met", False: "**missed**"}.get(verdict["met"]) or verdict["why"]
    return f"{verdict['value']} — {met}"


def update_readme(readme: Path, results_dir: Path) -> bool:
    """Put the table between the README's markers; whether it changed. A README without them
    is an error: the table has nowhere to go."""
    text = readme.read_text()
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"{readme} has no {README_START!r} … {README_END!r} block")
    updated = (
        text[: start + len(README_START)] + "\n" + readme_table(results_dir) + "\n" + text[end:]
    )
    readme.write_text(updated)
    return updated != text
