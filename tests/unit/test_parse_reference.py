"""The parsing benchmark's reference extractor reads the same fields as the parser: on every
page of a small sandbox it gives the same records, so its speed is a fair yardstick."""

from benchmarks import parsing


def test_the_reference_extractor_gives_the_parsers_records():
    pages = parsing.sandbox_pages(400)
    assert len(pages) >= 40
    statuses = set()
    for html in pages:
        records = parsing.reference_extract(html)
        assert records == parsing.parse_listing(html, "", latest_on=parsing.LATEST_ON).cards
        statuses |= {r["status"] for r in records}
    assert statuses == {"answered", "pending", "rejected"}  # every branch of the reference


def test_the_figure_times_both_on_the_same_pages():
    figure = parsing.run(200)
    assert figure["cards"] >= 150 and figure["pages"] >= figure["cards"] / 10
    assert figure["parser_vs_reference"] > 0
