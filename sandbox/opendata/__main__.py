"""`python -m sandbox.opendata`: serve the open-data sandbox until Ctrl-C."""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence

from sandbox.http import sandbox_parser, serve_until_interrupted
from sandbox.opendata.scenario import build_scenario
from sandbox.opendata.search import RESULT_WINDOW
from sandbox.opendata.server import SANDBOX_API_KEY, Knobs, OpendataSandbox


def build_parser(prog: str = "python -m sandbox.opendata") -> argparse.ArgumentParser:
    parser, serve, knobs = sandbox_parser(
        prog,
        "A local data.egov.kz (the open-data catalogue and its data API) serving a deterministic "
        "catalogue (as of 2021-12-31) calibrated at 2017-12-31 to docs/calibration.md section 3, "
        "with knobs for the real portal's troubles. Fault rates apply to every API answer and add "
        "up to at most 1.",
        port=8766,
        seed=2017,
        answers="answers",
    )
    serve.add_argument(
        "--api-key", default=SANDBOX_API_KEY, help="the key /api/* requires (apiKey=…)"
    )
    knobs.add_argument(
        "--disguised-error-rate",
        type=float,
        default=0.0,
        help='share of answers that are HTTP 200 with {"code", "message"}',
    )
    knobs.add_argument(
        "--empty-rate",
        type=float,
        default=0.0,
        help="share of answers that are 204 with an empty body",
    )
    knobs.add_argument(
        "--result-window",
        type=int,
        default=RESULT_WINDOW,
        help="records past this offset are silently missing (deep-paging trap)",
    )
    knobs.add_argument(
        "--body-bytes-per-second",
        type=int,
        default=0,
        metavar="BPS",
        help="send every API answer's body at this pace (a trickle; 0: at once)",
    )
    knobs.add_argument(
        "--body-padding-mb",
        type=float,
        default=0.0,
        metavar="MB",
        help="pad every API answer with this many MB of whitespace, sent chunked",
    )
    knobs.add_argument(
        "--total-cap",
        type=int,
        metavar="N",
        help="totalCount says at most N (Elasticsearch caps the totals it reports at 10,000)",
    )
    knobs.add_argument(
        "--echo-request-in-errors",
        action="store_true",
        help="every {code, message} error quotes the request's path and parameters (the key too)",
    )
    knobs.add_argument(
        "--api-redirect-to",
        metavar="BASE_URL",
        help="answer every /api/… request with a 302 to this base URL (same path and query)",
    )
    variants = parser.add_argument_group(
        "variants of the real portal (docs/sources.md section 2, 'What public clients add')"
    )
    variants.add_argument(
        "--data-version",
        action="append",
        default=[],
        metavar="API_URI",
        help="publish this dataset's latest version as 'data' (repeatable)",
    )
    variants.add_argument(
        "--es2-mappings",
        action="store_true",
        help='mappings in Elasticsearch 2.x style: "type": "string" for text and dates',
    )
    variants.add_argument(
        "--offset-dates",
        action="store_true",
        help="dates as 2016-03-29+06:00 and 2016-03-29T10:00:00+06:00",
    )
    variants.add_argument(
        "--catalogue-get-status",
        type=int,
        choices=(404, 405),
        help="GET getdatasets answers this; the catalogue is then only served by "
        "POST /datasets/getdatasetsre",
    )
    variants.add_argument(
        "--keyless-detailed",
        action="store_true",
        help="/api/detailed answers without a key (/api/v4 still needs one)",
    )
    variants.add_argument(
        "--unknown-periodicities",
        type=int,
        default=0,
        metavar="N",
        help="N datasets' passports give an unknown periodicity (ежемесячно, by request)",
    )
    variants.add_argument(
        "--drop-catalogue-field",
        action="append",
        default=[],
        metavar="FIELD",
        help="leave this field out of every catalogue entry, e.g. modifiedDate or "
        "owner.fullnameRu (repeatable)",
    )
    implausible = parser.add_argument_group("values no real dataset has (a reject, never landed)")
    implausible.add_argument(
        "--implausible-date",
        action="append",
        default=[],
        metavar="API_URI",
        help="this dataset says modified 2099-01-01T00:00:00: its catalogue entry, its latest "
        "passport and the last record of its latest version (repeatable)",
    )
    return parser


def knobs_from_args(args: argparse.Namespace) -> Knobs:
    return Knobs(
        crawl_delay=args.crawl_delay,
        error_rate=args.error_rate,
        rate_limit_rate=args.rate_limit_rate,
        retry_after=args.retry_after,
        disguised_error_rate=args.disguised_error_rate,
        empty_rate=args.empty_rate,
        result_window=args.result_window,
        fault_seed=args.fault_seed,
        data_version_uris=tuple(args.data_version),
        es2_mappings=args.es2_mappings,
        offset_dates=args.offset_dates,
        catalogue_get_status=args.catalogue_get_status,
        keyless_detailed=args.keyless_detailed,
        unknown_periodicities=args.unknown_periodicities,
        dropped_catalogue_fields=tuple(args.drop_catalogue_field),
        implausible_date_uris=tuple(args.implausible_date),
        body_bytes_per_second=args.body_bytes_per_second,
        body_padding_mb=args.body_padding_mb,
        api_redirect_to=args.api_redirect_to,
        echo_request_in_errors=args.echo_request_in_errors,
        total_cap=args.total_cap,
    )


def main(
    argv: Sequence[str] | None = None,
    stop: threading.Event | None = None,
    prog: str = "python -m sandbox.opendata",
) -> int:
    """Serve until Ctrl-C (or until `stop` is set, for tests)."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    try:
        knobs = knobs_from_args(args)
    except ValueError as error:
        parser.error(str(error))
    sandbox = OpendataSandbox(build_scenario(args.seed), args.host, args.port, knobs, args.api_key)
    return serve_until_interrupted(sandbox, "Open-data sandbox", stop)


if __name__ == "__main__":
    sys.exit(main())
