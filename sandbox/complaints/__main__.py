"""`python -m sandbox.complaints --inbox DIR`: write the scenario's report files into DIR."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from sandbox.complaints.reports import write_reports


def build_parser(prog: str = "python -m sandbox.complaints") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Write the complaint-statistics report files of 2016 and 2017 (calibrated "
        "to CALIBRATION.md section 4) into an inbox folder: XLSX and CSV (UTF-8 and "
        "Windows-1251) with title and totals rows, plus a topic breakdown. Deterministic.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--inbox", type=Path, required=True, help="folder to write into")
    parser.add_argument("--seed", type=int, default=2017, help="scenario seed")
    return parser


def main(argv: Sequence[str] | None = None, prog: str = "python -m sandbox.complaints") -> int:
    args = build_parser(prog).parse_args(argv)
    for path in write_reports(args.inbox, seed=args.seed):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
