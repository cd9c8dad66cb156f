"""`python -m sandbox.complaints --inbox DIR`: write the scenario's report files into DIR, and
with `--variant NAME` (repeatable) what else a real inbox holds (sandbox/complaints/variants.py)."""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

from sandbox.complaints.variants import (
    OVERSIZE_MB,
    SLOW_SECONDS,
    VARIANTS,
    Knobs,
    check_variants,
    write_variants,
)


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Defaults shown, and the epilog's list of variants kept as it is laid out."""


def _variants_epilog() -> str:
    lines = ["variants (--variant NAME; what each writes, and what the landing must do):"]
    for variant in VARIANTS.values():
        lines.append(f"  {variant.name}")
        lines += textwrap.wrap(
            variant.help, width=88, initial_indent="      ", subsequent_indent="      "
        )
    return "\n".join(lines)


def build_parser(prog: str = "python -m sandbox.complaints") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Write the complaint-statistics report files of 2016 and 2017 (calibrated "
        "to docs/calibration.md section 4) and of 2020 and 2021 (scenario values) into an "
        "inbox folder: XLSX and CSV (UTF-8 and "
        "Windows-1251) with title and totals rows, plus a topic breakdown; and, with "
        "--variant, what else a real inbox holds (docs/reliability.md, 'Report files in the "
        "inbox'). Deterministic.",
        epilog=_variants_epilog(),
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--inbox", type=Path, required=True, help="folder to write into")
    parser.add_argument("--seed", type=int, default=2017, help="scenario seed")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        dest="variants",
        choices=list(VARIANTS),
        metavar="NAME",
        help="also write this variant of the inbox, on top of the scenario or instead of one "
        "of its files (repeatable; listed below); one of: " + ", ".join(VARIANTS),
    )
    parser.add_argument(
        "--no-scenario",
        action="store_true",
        help="write only the variants' files, not the scenario's (a later drop into an inbox "
        "already landed, e.g. --variant re-drop)",
    )
    parser.add_argument(
        "--slow-seconds",
        type=float,
        default=SLOW_SECONDS,
        help="--variant slow-copy: the pause between the two halves of the file, in seconds "
        "(below the landing's COMPLAINTS_SETTLE_SECONDS a run meanwhile sees it change; above, "
        "it is taken at the pause, the gap docs/reliability.md names)",
    )
    parser.add_argument(
        "--oversize-mb",
        type=float,
        default=OVERSIZE_MB,
        help="--variant oversize: the file's size in MB (2^20 bytes; the landing's "
        "COMPLAINTS_MAX_FILE_MB defaults to 50)",
    )
    return parser


def main(argv: Sequence[str] | None = None, prog: str = "python -m sandbox.complaints") -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    try:
        check_variants(args.variants)
    except ValueError as exc:
        parser.error(str(exc))
    knobs = Knobs(seed=args.seed, slow_seconds=args.slow_seconds, oversize_mb=args.oversize_mb)
    write_variants(
        args.inbox,
        args.variants,
        knobs,
        scenario=not args.no_scenario,
        written=lambda path: print(path, flush=True),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
