"""What the sandboxes share: a threaded HTTP server run in the background, its request log, and
the serve-until-Ctrl-C loop of their command lines.

A sandbox subclasses `BackgroundSandbox` and implements `handle(path, user_agent)`, returning an
object with `status`, `body`, `content_type`, `headers` and optionally `delay` (seconds to stall),
`bytes_per_second` (send the body at this pace: a trickle no read timeout notices) and `chunked`
(Transfer-Encoding: chunked, no Content-Length: the client learns the size only by reading).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

log = logging.getLogger(__name__)


class SandboxHandler(BaseHTTPRequestHandler):
    """Sends what the sandbox's `handle` answers; its whole job."""

    server_version = "tyndau-sandbox/1.0"
    sys_version = ""

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        sandbox: BackgroundSandbox = self.server.sandbox  # type: ignore[attr-defined]
        self._respond(sandbox, sandbox.handle(self.path, self.headers.get("User-Agent", "")))

    def do_POST(self) -> None:  # noqa: N802 - the name http.server dispatches to
        """A sandbox that serves form POSTs implements `handle_post(path, body, user_agent)`."""
        sandbox: BackgroundSandbox = self.server.sandbox  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        handle_post = getattr(sandbox, "handle_post", None)
        if handle_post is None:
            self.send_error(405)
            return
        self._respond(sandbox, handle_post(self.path, body, self.headers.get("User-Agent", "")))

    def _respond(self, sandbox: BackgroundSandbox, response) -> None:
        if getattr(response, "delay", 0):
            sandbox.wait(response.delay)
        has_body = response.status != 204
        chunked = has_body and getattr(response, "chunked", False)
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            elif has_body:
                self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers:
                self.send_header(name, value)
            self.end_headers()
            if has_body:
                self._send_body(sandbox, response, chunked)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("client left before %s was answered", sandbox.loggable(self.path))

    def _send_body(self, sandbox: BackgroundSandbox, response, chunked: bool) -> None:
        pace = getattr(response, "bytes_per_second", 0)
        piece = max(1, pace // 10) if pace else 64 * 1024  # a trickle: ten sends a second
        body = memoryview(response.body)
        for start in range(0, len(body), piece):
            data = body[start : start + piece]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
            if pace:
                self.wfile.flush()
                sandbox.wait(len(data) / pace)
                if sandbox.stopping:
                    return
        if chunked:
            self.wfile.write(b"0\r\n\r\n")

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base signature
        sandbox: BackgroundSandbox = self.server.sandbox  # type: ignore[attr-defined]
        log.debug("%s %s", self.address_string(), sandbox.loggable(format % args))


class KeepAliveHandler(SandboxHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: thousands of small requests per load
    disable_nagle_algorithm = True  # headers and body go out without a delayed-ACK stall


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a slow response must not hold up stop()
    request_queue_size = 64  # parallel clients should not meet a full listen backlog


class BackgroundSandbox:
    """Serves `handle` at `base_url` from a background thread; logs every request."""

    name = "sandbox"
    handler_class: type[SandboxHandler] = SandboxHandler

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._lock = threading.Lock()  # guards the request log and what subclasses keep with it
        self._records: list = []
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def handle(self, path: str, user_agent: str = ""):
        raise NotImplementedError

    def loggable(self, text: str) -> str:
        """`text` as it may appear in logs (a sandbox holding a secret redacts it)."""
        return text

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> str:
        if self._server is not None:
            return self.base_url
        self._stopping.clear()
        self._server = _Server((self.host, self.port), self.handler_class)
        self._server.sandbox = self  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.name}:{self.port}",
            daemon=True,
        )
        self._thread.start()
        log.info("%s serving at %s", self.name, self.base_url)
        return self.base_url

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()  # wakes slow responses up
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def wait(self, seconds: float) -> None:
        """Sleep, unless the sandbox stops first."""
        self._stopping.wait(seconds)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    # --- what was asked -------------------------------------------------------------------------

    def _record(self, record) -> None:
        with self._lock:
            self._records.append(record)

    @property
    def requests(self) -> list:
        with self._lock:
            return list(self._records)

    @property
    def request_log(self) -> list[tuple[str, int]]:
        """(path, status) of every request so far, in arrival order."""
        return [(r.path, r.status) for r in self.requests]

    def clear_log(self) -> None:
        with self._lock:
            self._records.clear()


def sandbox_parser(
    prog: str, description: str, port: int, seed: int, answers: str
) -> tuple[argparse.ArgumentParser, argparse._ArgumentGroup, argparse._ArgumentGroup]:
    """The command line both sandboxes share: where to serve, the scenario's seed, and the fault
    knobs common to both portals (``answers`` names what the faults hit). Returns the parser and
    its "serving" and "knobs" groups, for each sandbox's own options."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=description,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    serve = parser.add_argument_group("serving")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=port, help="port to listen on (0: any free)")
    serve.add_argument("--seed", type=int, default=seed, help="scenario seed")
    knobs = parser.add_argument_group("knobs")
    knobs.add_argument(
        "--crawl-delay", type=int, default=0, help="seconds announced as Crawl-delay in robots.txt"
    )
    knobs.add_argument(
        "--error-rate", type=float, default=0.0, help=f"share of {answers} answered 500 or 503"
    )
    knobs.add_argument(
        "--rate-limit-rate",
        type=float,
        default=0.0,
        help=f"share of {answers} answered 429 with Retry-After",
    )
    knobs.add_argument(
        "--retry-after", type=int, default=1, help="seconds in the Retry-After header of a 429"
    )
    knobs.add_argument(
        "--fault-seed",
        type=int,
        default=0,
        help="seed of the fault (and drift) decisions, for reproducible runs",
    )
    return parser, serve, knobs


def serve_until_interrupted(
    sandbox: BackgroundSandbox, title: str, stop: threading.Event | None = None
) -> int:
    """The command lines' loop: serve until Ctrl-C (or until `stop` is set, for tests)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with sandbox:
        print(f"{title} at {sandbox.base_url} (Ctrl-C stops)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            (stop or threading.Event()).wait()
    return 0
