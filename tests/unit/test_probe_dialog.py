"""`tyndau probe dialog` against the Open Dialogue sandbox over real HTTP: the field table and
exit 0 on every calibrated markup variant, exit 1 when a required field or every card is
missing, the blog's owner beside the registry's name, past-the-end behaviour named, and the
pages saved under the state folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from sandbox.dialog import DialogSandbox, Knobs, build_scenario
from sandbox.dialog.markup import BROKEN_VARIANTS, VARIANTS, markup_named
from sandbox.dialog.scenario import write_registry
from tyndau.cli import main

ALMATY, EMERGENCIES = 100075, 32792  # answered, pending and rejected cards; a small blog


@pytest.fixture(scope="module")
def scenario():
    return build_scenario()


def probe(portal, state_dir: Path, *args: str, registry: Path | None = None):
    env = {
        "DIALOG_BASE_URL": portal.base_url,
        "TYNDAU_STATE_DIR": str(state_dir),
        "DIALOG_BLOGS_FILE": str(registry) if registry else None,
    }
    return CliRunner().invoke(main, ["probe", "dialog", "--delay", "0", *args], env=env)


def table(output: str) -> dict[str, str]:
    """The field table's rows, by field name."""
    rows = output.split("== fields on", 1)[1].splitlines()[1:]
    return {row.split()[0]: row for row in rows if row.startswith("  ") and row.split()}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_variant_reads_and_exits_0(scenario, tmp_path, variant):
    with DialogSandbox(scenario, knobs=Knobs(markup=markup_named(variant))) as portal:
        result = probe(portal, tmp_path, "--blog", str(EMERGENCIES))
        requested = [r.path for r in portal.requests]
    assert result.exit_code == 0, result.output
    rows = table(result.output)
    assert rows["number"].split()[1] == "15/15"  # pages 1 and 8 of 75 appeals
    assert "MISSING" not in result.output and "Every required field matched." in result.output
    assert requested[0] == "/robots.txt"  # read first, as by the crawler
    # page 1, the pager's last and the one past it: a handful of requests
    assert [p for p in requested if "/questions" in p] == [
        f"/blogs/{EMERGENCIES}/questions?page={n}" for n in (1, 8, 9)
    ]
    past = "the last page again" if variant == "last page again past the end" else "an empty"
    assert f"past the end: {past}" in result.output
    if variant == "no ratings":
        assert "none seen" in rows["rating"]


def test_the_owner_the_page_names_stands_beside_the_registrys(scenario, tmp_path):
    registry = write_registry(tmp_path / "blogs.csv", (ALMATY,))
    with DialogSandbox(scenario) as portal:
        result = probe(portal, tmp_path / "state", registry=registry)
    assert result.exit_code == 0, result.output
    name = scenario.blog(ALMATY).gov_body_name_ru
    assert f"  registry: {name}\n  the page: {name}\n" in result.output
    rows = table(result.output)
    assert "answered" in rows["status"] and "pending" in rows["status"]
    saved = sorted((tmp_path / "state" / "probe").rglob("*.html"))
    assert [p.name for p in saved] == [
        "01-blog-100075-page-1.html",
        "02-blog-100075-page-737.html",
        "03-blog-100075-page-738.html",
    ]
    assert (saved[0].parent / "report.txt").read_text(encoding="utf-8").startswith("\n== Open")


@pytest.mark.parametrize(
    ("variant", "missing"),
    [("no calendar item", "submitted_on"), ("redesigned info list", "card")],
)
def test_a_required_field_matching_no_card_exits_1(scenario, tmp_path, variant, missing):
    assert variant in BROKEN_VARIANTS
    with DialogSandbox(scenario, knobs=Knobs(markup=markup_named(variant))) as portal:
        result = probe(portal, tmp_path, "--blog", str(EMERGENCIES))
    assert result.exit_code == 1, result.output
    assert "MISSING" in table(result.output)[missing]
    assert f"Required fields that matched nothing: {missing}" in result.output


def test_without_a_portal_or_a_blog_it_says_what_to_set(tmp_path):
    runner = CliRunner()
    env = {"DIALOG_BASE_URL": None, "TYNDAU_STATE_DIR": str(tmp_path)}
    result = runner.invoke(main, ["probe", "dialog", "--blog", "1"], env=env)
    assert result.exit_code != 0 and "DIALOG_BASE_URL" in result.output
