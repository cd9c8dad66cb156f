"""`python -m benchmarks --quick|--full`: the seven figures of the benchmarks, in one run.

Results go to benchmarks/results/<profile>.json and .md (with the machine they ran on).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from benchmarks import demo_build, landing, memory, parsing, politeness, report, serving, transform
from benchmarks.env import DEFAULT_STATE_DIR, ROOT, ScratchWarehouse, machine_info, python_in, step

FIGURES = ("landing", "transform", "serving", "memory", "politeness", "parsing", "demo_build")
# The five blogs of tests/integration/test_dialog_incremental.py: Almaty, Astana, Zhetysu,
# Abai, Emergencies.
RESULTS_DIR = ROOT / "benchmarks" / "results"
README = ROOT / "README.md"
POLITENESS_BLOGS = [100075, 100071, 100033, 100010, 32792]


@dataclass(frozen=True)
class Profile:
    landing_appeals: int  # and the parsing figure's pages' cards
    transform_scales: tuple[int, ...]  # serving runs on the last (largest) one
    serving_runs: int
    memory_sizes: tuple[int, int]
    politeness_blogs: tuple[int, ...] | None  # None: every blog of the registry
    demo_build: bool = True  # the demo's landing and build (minutes: not in the harness test)


PROFILES = {
    # seconds: what the test of the harness runs
    "tiny": Profile(1_000, (3_000,), 20, (500, 1_500), (100010, 32792), demo_build=False),
    # under 10 minutes on 2 cores
    "quick": Profile(20_000, (100_000,), 200, (10_000, 40_000), tuple(POLITENESS_BLOGS)),
    # the scales (hours)
    "full": Profile(200_000, (1_000_000, 10_000_000), 200, (100_000, 1_000_000), None),
}


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(float(part)) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of sizes: {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes must be positive")
    return sizes


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmarks of tyndau: landing (vs COPY and dlt), dbt build (full and "
        "incremental), serving latency, crawl memory, the daily run's requests and the parser "
        "(vs a minimal lxml extractor). Runs on a "
        "scratch embedded Postgres (its own state dir), never on the user's warehouse, and "
        "writes <results-dir>/<profile>.json and .md.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--quick",
        dest="profile",
        action="store_const",
        const="quick",
        help="small scales, under 10 minutes on 2 cores (make bench)",
    )
    which.add_argument(
        "--full",
        dest="profile",
        action="store_const",
        const="full",
        help="the scale runs: 1M and 10M appeals for dbt, 1M for memory (make bench-full)",
    )
    which.add_argument(
        "--tiny",
        dest="profile",
        action="store_const",
        const="tiny",
        help="seconds; checks the harness itself (the test uses it)",
    )
    parser.set_defaults(profile="quick")
    parser.add_argument(
        "--only", choices=FIGURES, action="append", help="run only this figure (repeatable)"
    )
    parser.add_argument(
        "--transform-scales",
        type=_sizes,
        metavar="N,N",
        help="appeals generated for the dbt builds (overrides the profile's)",
    )
    parser.add_argument(
        "--memory-sizes", type=_sizes, metavar="N,N", help="appeals crawled for the memory figure"
    )
    parser.add_argument("--landing-appeals", type=int, metavar="N", help="appeals landed")
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=DEFAULT_STATE_DIR,
        help="scratch state: the benchmark's own embedded Postgres, dbt targets, dlt's venv",
    )
    parser.add_argument(
        "--dlt-venv",
        type=Path,
        help="dlt's environment (default: STATE_DIR/dlt-venv; make bench creates it)",
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="where to write")
    parser.add_argument(
        "--readme",
        action="store_true",
        help="only regenerate the README's table of targets from the results files, run nothing",
    )
    parser.add_argument(
        "--command", default=None, help="the command recorded with the results (default: argv)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.readme:
        changed = report.update_readme(README, args.results_dir)
        print(f"{README}: {'updated' if changed else 'already up to date'}")
        return 0
    profile = PROFILES[args.profile]
    if args.transform_scales:
        profile = replace(profile, transform_scales=args.transform_scales)
    if args.memory_sizes:
        if len(args.memory_sizes) != 2:
            parser.error("--memory-sizes takes two sizes")
        profile = replace(profile, memory_sizes=args.memory_sizes)
    if args.landing_appeals:
        profile = replace(profile, landing_appeals=args.landing_appeals)
    args.state_dir = args.state_dir.resolve()  # dbt reads relative paths from its project dir
    figures = args.only or list(FIGURES)
    if "serving" in figures and "transform" not in figures:
        parser.error("serving reads the marts the transform figure builds: add --only transform")
    dlt_python = python_in(args.dlt_venv or args.state_dir / "dlt-venv")
    if "landing" in figures and not dlt_python.exists():
        parser.error(f"no dlt environment at {dlt_python.parent.parent}: run `make bench`")
    work_dir = args.state_dir / "work"
    work_dir.mkdir(parents=True, exist_ok=True)
    command = args.command or "python -m benchmarks " + " ".join(argv or sys.argv[1:])

    started = time.perf_counter()
    results: dict = {"profile": args.profile, "command": command.strip()}

    def save() -> tuple[Path, Path]:
        """Write what is measured so far: a long run that fails late keeps its figures."""
        results["duration_seconds"] = round(time.perf_counter() - started, 1)
        results["targets"] = report.judge(results)
        return report.write(results, args.results_dir, args.profile)

    with ScratchWarehouse(args.state_dir) as warehouse:
        results["machine"] = machine_info(warehouse)
        if "landing" in figures:
            with step(f"1. landing {profile.landing_appeals:,} appeals"):
                url = warehouse.fresh_database("bench_landing")
                results["landing"] = landing.run(url, profile.landing_appeals, work_dir, dlt_python)
            save()
        if "transform" in figures:
            results["transform"] = {"by_scale": []}
            for appeals in profile.transform_scales:
                with step(f"2. transform at {appeals:,} appeals"):
                    url = warehouse.fresh_database(f"bench_transform_{appeals}")
                    results["transform"]["by_scale"].append(transform.run(url, appeals, work_dir))
                save()
                if "serving" in figures and appeals == profile.transform_scales[-1]:
                    with step(f"3. serving at {appeals:,} appeals"):
                        results["serving"] = serving.run(url, profile.serving_runs)
        if "politeness" in figures:
            with step("5. politeness cost of a daily run"):
                url = warehouse.fresh_database("bench_politeness")
                blogs = list(profile.politeness_blogs) if profile.politeness_blogs else None
                results["politeness"] = politeness.run(url, blogs, work_dir)
            save()
        if "memory" in figures:
            sizes = " and ".join(f"{n:,}" for n in profile.memory_sizes)
            with step(f"4. memory of crawling {sizes} appeals"):
                results["memory"] = memory.run(warehouse.fresh_database, profile.memory_sizes)
            save()
        if "demo_build" in figures and profile.demo_build:
            with step("7. the demo's warehouse_build on the sandboxes"):
                url = warehouse.fresh_database("bench_demo")
                results["demo_build"] = demo_build.run(url, work_dir / "demo")
            save()
        if "parsing" in figures:
            with step(f"6. parsing the pages of {profile.landing_appeals:,} appeals"):
                results["parsing"] = parsing.run(profile.landing_appeals)
            save()
    json_path, md_path = save()
    print(md_path.read_text())
    print(f"results: {json_path} and {md_path}")
    # the repository's own results feed the README's table; a harness run elsewhere does not
    if args.profile in report.README_PROFILES and args.results_dir.resolve() == RESULTS_DIR:
        report.update_readme(README, RESULTS_DIR)
        print(f"{README}: its table of targets regenerated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
