"""`python -m sandbox.dialog`: serve the Open Dialogue sandbox until Ctrl-C."""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence

from sandbox.dialog.lazy import build_lazy_scenario
from sandbox.dialog.markup import BROKEN_VARIANTS, DECOY_VARIANTS, VARIANTS, markup_named
from sandbox.dialog.scenario import build_scenario
from sandbox.dialog.server import DialogSandbox, Knobs
from sandbox.http import sandbox_parser, serve_until_interrupted


def build_parser(prog: str = "python -m sandbox.dialog") -> argparse.ArgumentParser:
    parser, serve, knobs = sandbox_parser(
        prog,
        "A local dialog.egov.kz (Open Dialogue) serving a deterministic scenario calibrated to "
        "docs/calibration.md, with knobs for the real portal's troubles. Fault rates apply to blog "
        "listing pages only and must add up to at most 1.",
        port=8765,
        seed=2021,
        answers="listing responses",
    )
    serve.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiplies every body's counts (1: exactly docs/calibration.md)",
    )
    serve.add_argument(
        "--appeals",
        type=int,
        default=None,
        help="serve about this many appeals, generated page by page and never held in memory "
        "(millions are fine; shaped like the scenario, not calibrated to it): replaces --scale",
    )
    knobs.add_argument(
        "--slow-rate",
        type=float,
        default=0.0,
        help="share of listing responses delayed by --slow-seconds",
    )
    knobs.add_argument(
        "--slow-seconds", type=float, default=5.0, help="delay of a slow response, in seconds"
    )
    knobs.add_argument(
        "--truncate-rate",
        type=float,
        default=0.0,
        help="share of listing pages cut off mid-card (status still 200)",
    )
    knobs.add_argument(
        "--drift-every",
        type=int,
        default=0,
        help="every N listing requests a new appeal tops a random blog (0: off)",
    )
    knobs.add_argument(
        "--drift-blog",
        type=int,
        action="append",
        default=[],
        dest="drift_blogs",
        metavar="BLOG_ID",
        help="restrict drift to this blog (repeatable)",
    )
    knobs.add_argument(
        "--markup",
        choices=list(VARIANTS | BROKEN_VARIANTS | DECOY_VARIANTS),
        default="evidenced",
        metavar="NAME",
        help="the shape of the listing cards (sandbox/dialog/markup.py), one of: "
        + "; ".join(f"'{name}'" for name in VARIANTS)
        + "; or, broken on purpose (a crawl must fail loudly): "
        + "; ".join(f"'{name}'" for name in BROKEN_VARIANTS)
        + "; or with hidden decoys no card of which may land: "
        + "; ".join(f"'{name}'" for name in DECOY_VARIANTS),
    )
    knobs.add_argument(
        "--page-charset",
        default="utf-8",
        metavar="CHARSET",
        help="the charset listing pages are encoded in (e.g. windows-1251)",
    )
    knobs.add_argument(
        "--declared-charset",
        default="utf-8",
        metavar="CHARSET",
        help="the charset listing pages declare (Content-Type and <meta>); 'none' for none",
    )
    knobs.add_argument(
        "--implausible-every",
        type=int,
        default=0,
        metavar="N",
        help="cards whose question id is a multiple of N show an impossible value (a pending "
        "one dated 01.01.2099, others 10^20 views): rejects, never landed (0: off)",
    )
    return parser


def knobs_from_args(args: argparse.Namespace) -> Knobs:
    return Knobs(
        crawl_delay=args.crawl_delay,
        error_rate=args.error_rate,
        rate_limit_rate=args.rate_limit_rate,
        retry_after=args.retry_after,
        slow_rate=args.slow_rate,
        slow_seconds=args.slow_seconds,
        truncate_rate=args.truncate_rate,
        drift_every=args.drift_every,
        drift_blog_ids=tuple(args.drift_blogs),
        fault_seed=args.fault_seed,
        markup=markup_named(args.markup),
        page_charset=args.page_charset,
        declared_charset=None if args.declared_charset == "none" else args.declared_charset,
        implausible_every=args.implausible_every,
    )


def main(
    argv: Sequence[str] | None = None,
    stop: threading.Event | None = None,
    prog: str = "python -m sandbox.dialog",
) -> int:
    """Serve until Ctrl-C (or until `stop` is set, for tests)."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    try:
        knobs = knobs_from_args(args)
    except (ValueError, LookupError) as error:
        parser.error(str(error))
    if args.appeals is not None and args.appeals < 1:
        parser.error("--appeals must be at least 1")
    if args.appeals is not None:
        scenario = build_lazy_scenario(args.appeals, args.seed)
    else:
        scenario = build_scenario(args.seed, args.scale)
    sandbox = DialogSandbox(scenario, args.host, args.port, knobs)
    return serve_until_interrupted(sandbox, "Open Dialogue sandbox", stop)


if __name__ == "__main__":
    sys.exit(main())
