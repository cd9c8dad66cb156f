"""The blog registry: which Open Dialogue blogs to crawl, and which state body owns each.

A CSV with the columns ``blog_id, gov_body_code, gov_body_name_ru, body_type, region_kato``
(docs/sources.md section 1), and optionally ``source``: where the row's blog id was found, for the
people who keep the file (read past, never landed). One body may own several blogs (a ministry's
blog per head over the years): only blog ids must be unique. Every problem in the file is
reported at once, with its line number, so that one edit fixes them all.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

#: The regions a registry's KATO must name: the same seed dbt tests region_kato against, as a
#: checkout has it (an installed tyndau passes its own copy: tyndau.settings.REGIONS_SEED).
REGIONS_SEED = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "regions.csv"
COLUMNS = ("blog_id", "gov_body_code", "gov_body_name_ru", "body_type", "region_kato")
#: columns a registry may carry for its readers; the pipeline ignores them
NOTE_COLUMNS = ("source",)
BODY_TYPES = frozenset({"akimat", "ministry", "agency"})
_KATO = re.compile(r"[0-9]{2}")
_BLOG_ID = re.compile(r"[0-9]+")


class RegistryError(ValueError):
    """The registry file cannot be used; the message lists every problem found."""


@dataclass(frozen=True)
class Blog:
    """One row of the registry."""

    blog_id: int
    gov_body_code: str
    gov_body_name_ru: str
    body_type: str  # akimat | ministry | agency
    region_kato: str | None  # two digits for a regional akimat; None for a central body

    def as_payload(self) -> dict[str, str]:
        """The row as strings, exactly as landed in raw.dialog_blogs (empty KATO: "")."""
        return {
            "blog_id": str(self.blog_id),
            "gov_body_code": self.gov_body_code,
            "gov_body_name_ru": self.gov_body_name_ru,
            "body_type": self.body_type,
            "region_kato": self.region_kato or "",
        }


def known_region_katos(seed: Path = REGIONS_SEED) -> frozenset[str]:
    with seed.open(encoding="utf-8", newline="") as file:
        return frozenset(row["region_kato"].strip() for row in csv.DictReader(file))


def refuse_unknown_regions(
    blogs: list[Blog], katos: frozenset[str] | None = None
) -> tuple[list[Blog], list[tuple[Blog, str]]]:
    """The blogs whose region the regions seed knows (or that have none), and the others with
    why: a KATO no region has would fail every dbt build downstream, so its row is a reject
    and its blog is not crawled, while the rest of the registry lands."""
    katos = known_region_katos() if katos is None else katos
    kept, refused = [], []
    for blog in blogs:
        if blog.region_kato is None or blog.region_kato in katos:
            kept.append(blog)
        else:
            reason = (
                f"registry row of blog {blog.blog_id}: region_kato {blog.region_kato!r} "
                "is no region of dbt_project/seeds/regions.csv"
            )
            refused.append((blog, reason))
    return kept, refused


def read_registry(path: str | Path) -> list[Blog]:
    """Read and validate the registry; raises RegistryError naming the file and lines."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # tolerate a BOM from spreadsheet exports
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(f"{path}: cannot read the blog registry: {exc}") from exc
    return parse_registry(text, source=str(path))


def parse_registry(text: str, source: str = "<registry>") -> list[Blog]:
    """Validate registry CSV text; every bad line is reported, not just the first."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS + NOTE_COLUMNS]
    if missing or unknown:
        raise RegistryError(
            f"{source}: header must be {', '.join(COLUMNS)} (and optionally "
            f"{', '.join(NOTE_COLUMNS)})"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
        )
    reader.fieldnames = header
    blogs: list[Blog] = []
    problems: list[str] = []
    first_line: dict[int, int] = {}
    for row in reader:
        line = reader.line_num
        try:
            blog = _blog(row)
        except ValueError as exc:
            problems.append(f"line {line}: {exc}")
            continue
        if blog.blog_id in first_line:
            problems.append(
                f"line {line}: blog_id {blog.blog_id} already on line {first_line[blog.blog_id]}"
            )
            continue
        first_line[blog.blog_id] = line
        blogs.append(blog)
    if problems:
        raise RegistryError(f"{source}: invalid blog registry:\n  " + "\n  ".join(problems))
    if not blogs:
        raise RegistryError(f"{source}: the blog registry lists no blog")
    return blogs


def _blog(row: dict[str, str | None]) -> Blog:
    if None in row:  # csv puts surplus cells under the None key
        raise ValueError(f"more cells than columns: {row[None]!r}")
    values = {key: (row.get(key) or "").strip() for key in COLUMNS}
    if not _BLOG_ID.fullmatch(values["blog_id"]) or int(values["blog_id"]) == 0:
        raise ValueError(f"blog_id must be a positive integer, got {values['blog_id']!r}")
    for key in ("gov_body_code", "gov_body_name_ru"):
        if not values[key]:
            raise ValueError(f"{key} is empty")
    if values["body_type"] not in BODY_TYPES:
        raise ValueError(
            f"body_type must be one of {', '.join(sorted(BODY_TYPES))}, got {values['body_type']!r}"
        )
    kato = values["region_kato"]
    if kato and not _KATO.fullmatch(kato):
        raise ValueError(f"region_kato must be two digits or empty, got {kato!r}")
    return Blog(
        blog_id=int(values["blog_id"]),
        gov_body_code=values["gov_body_code"],
        gov_body_name_ru=values["gov_body_name_ru"],
        body_type=values["body_type"],
        region_kato=kato or None,
    )
