"""What every ``tyndau probe SOURCE`` shares: check a live portal against what tyndau assumes.

A probe reads a handful of pages politely (through the source's own client), then prints, field
by field, on how many items each expected field matched and in which variant, and every item
it could not read with the reason. That printout is what a user sends back so that the
[assumed] parts of a source (docs/sources.md) can be corrected. The answers it fetched are saved
under ``<TYNDAU_STATE_DIR>/probe/<timestamp>/`` for a closer look; they may hold personal data,
so they stay in the state folder, never in the repository.

A probe module (``tyndau/probe/opendata.py``, …) builds one :class:`ProbeRun` and uses:

* :meth:`ProbeRun.request` — one line per request: method, URL (secrets masked), HTTP status,
  which endpoint variant answered;
* :meth:`ProbeRun.save` — keep an answer's text in the run's folder;
* :meth:`ProbeRun.fields` — an aligned table of :class:`FieldCheck` rows;
* :meth:`ProbeRun.unreadable` / :meth:`ProbeRun.note` — what could not be read, and why;
* :meth:`ProbeRun.finish` — writes the printout as ``report.txt`` next to the answers and
  returns the exit code: 1 when a *required* field matched nothing (or nothing was read at
  all), else 0.

Everything printed or saved passes through the run's ``redact`` function (the source's secret
masked), so no probe output can carry a key.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import click

EXIT_OK = 0
EXIT_REQUIRED_MISSING = 1  # a required field matched nothing: the [assumed] shape is wrong


@dataclass
class FieldCheck:
    """One expected field: on how many of ``of`` items it matched, and in which variants."""

    name: str
    matched: int
    of: int
    required: bool = False
    variants: Counter = field(default_factory=Counter)  # variant → items that took it
    note: str = ""

    @property
    def missing(self) -> bool:
        """A required field that matched nothing fails the probe."""
        return self.required and self.matched == 0

    def variant_text(self) -> str:
        return ", ".join(f"{name} ×{n}" for name, n in self.variants.most_common())


class ProbeRun:
    """One probe: where its answers go, what it prints, and the exit code."""

    def __init__(
        self,
        source: str,
        state_dir: Path,
        *,
        redact: Callable[[str], str] = lambda text: text,
        echo: Callable[[str], None] = click.echo,
        now: dt.datetime | None = None,
    ):
        self.source = source
        self.redact = redact
        self._echo = echo
        self.folder = _new_folder(state_dir / "probe", now or dt.datetime.now(dt.UTC))
        self.lines: list[str] = []
        self.checks: list[FieldCheck] = []
        self._saved = 0

    # --- printing --------------------------------------------------------------------------

    def line(self, text: str = "") -> None:
        text = self.redact(text)
        self.lines.append(text)
        self._echo(text)

    def heading(self, text: str) -> None:
        self.line()
        self.line(f"== {text}")

    def request(self, method: str, url: str, status: int | None, variant: str = "") -> None:
        answered = f"HTTP {status}" if status is not None else "no answer"
        self.line(f"{method} {url} -> {answered}" + (f"  [{variant}]" if variant else ""))

    def note(self, text: str) -> None:
        self.line(f"  note: {text}")

    def unreadable(self, item: str, reason: str) -> None:
        self.line(f"  could not read {item}: {reason}")

    def fields(self, checks: Iterable[FieldCheck]) -> None:
        """An aligned table: field, matched/of, required, variants, note."""
        checks = list(checks)
        self.checks.extend(checks)
        if not checks:
            return
        width = max(len(check.name) for check in checks)
        counts = [f"{check.matched}/{check.of}" for check in checks]
        count_width = max(len(text) for text in counts)
        for check, count in zip(checks, counts, strict=True):
            flag = "MISSING" if check.missing else ("required" if check.required else "")
            extra = "; ".join(part for part in (check.variant_text(), check.note) if part)
            self.line(
                f"  {check.name:<{width}}  {count:>{count_width}}  {flag:<8}  {extra}".rstrip()
            )

    # --- saving ----------------------------------------------------------------------------

    def save(self, name: str, text: str | None) -> Path | None:
        """Keep an answer as ``NN-name`` in the run's folder (redacted); None for no text."""
        if text is None:
            return None
        self._saved += 1
        path = self.folder / f"{self._saved:02d}-{_safe(name)}"
        path.write_text(self.redact(text), encoding="utf-8")
        return path

    # --- the end ---------------------------------------------------------------------------

    @property
    def missing(self) -> list[FieldCheck]:
        return [check for check in self.checks if check.missing]

    def exit_code(self) -> int:
        return EXIT_REQUIRED_MISSING if self.missing or not self.checks else EXIT_OK

    def finish(self) -> int:
        """Print the verdict, write ``report.txt``, return the exit code."""
        self.line()
        if self.missing:
            names = ", ".join(check.name for check in self.missing)
            self.line(f"Required fields that matched nothing: {names}.")
        elif not self.checks:
            self.line("Nothing could be read.")
        else:
            self.line("Every required field matched.")
        self.line(f"Answers saved in {self.folder}/ (they may hold personal data: keep them")
        self.line("out of any repository). Send this printout back to get the [assumed] parts")
        self.line("of docs/sources.md corrected.")
        (self.folder / "report.txt").write_text("\n".join(self.lines) + "\n", encoding="utf-8")
        return self.exit_code()


def count_variants(values: Iterable[object], label: Callable[[object], str]) -> Counter:
    """How many values took each variant, as ``label`` names them."""
    return Counter(label(value) for value in values)


def _new_folder(root: Path, now: dt.datetime) -> Path:
    """``root/<UTC timestamp>``, with a suffix when two probes start in the same second."""
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    root.mkdir(parents=True, exist_ok=True)
    for n in range(100):
        folder = root / (stamp if n == 0 else f"{stamp}-{n}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise RuntimeError(f"cannot make a probe folder under {root}")


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-]+", "_", name)[:80]
