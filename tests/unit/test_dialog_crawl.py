"""The crawl over a blog's pages, with a scripted session standing in for the portal."""

from __future__ import annotations

import datetime as dt

import pytest

from ingestion.common.http import FetchError
from ingestion.dialog.crawl import (
    CHANGE_LANGUAGE_PATH,
    BlogWalk,
    DialogCrawler,
    FailedPage,
    IncrementalStop,
    UnrecognisedListing,
)
from ingestion.dialog.load import TO_THE_END

BASE = "http://portal.test"


def card(question_id: int, submitted: dt.date, status: str = "находится на рассмотрении у ГО"):
    return f"""
    <div class="col-xs-12 question-card">
      <h3>Заявитель {question_id}</h3>
      <p>Текст {question_id}</p>
      <ul class="blog-info">
        <li><i class="fa fa-pencil"></i> {question_id}</li>
        <li><i class="fa fa-tags"></i> Регионы</li>
        <li><i class="fa fa-calendar"></i> {submitted:%d.%m.%Y}</li>
        <li><i class="fa fa-eye"></i> 1</li>
      </ul>
      <a class="readmore" href="/blogs/all-questions/{question_id}">Подробнее</a>
      <span class="status">{status}</span>
    </div>"""


def page(cards: list[str], total: int | None, *, truncated: bool = False) -> str:
    pager = f"<script>init({{ totalPages: {total} }});</script>" if total is not None else ""
    html = f"<html><body>{''.join(cards)}{pager}</body></html>"
    return html[: len(html) // 2] if truncated else html


class ScriptedSession:
    """Answers by URL; a FetchError in the script is raised (as after every retry)."""

    def __init__(self, answers: dict[str, str | FetchError]):
        self.answers = answers
        self.requested: list[str] = []

    def get(self, url, *, validate=None, follow_redirects=True):
        self.requested.append(url)

    def fetch_text(self, url, validate=None):
        self.requested.append(url)
        answer = self.answers.get(url, page([], None))
        if isinstance(answer, FetchError):
            raise answer
        if validate is not None and not validate(answer):
            raise FetchError(url, "response body failed validation, after 5 attempts")
        return answer


def url(blog_id: int, n: int) -> str:
    return f"{BASE}/blogs/{blog_id}/questions?page={n}"


DAY = dt.date(2021, 3, 19)


def blog_pages(blog_id: int, ids_per_page: list[list[int]], total: int | None = None):
    """Pages of a blog, the newest appeal a day old, each next one a day older."""
    answers = {}
    for n, ids in enumerate(ids_per_page, start=1):
        cards = [card(i, DAY - dt.timedelta(days=max(ids_per_page[0]) - i)) for i in ids]
        answers[url(blog_id, n)] = page(cards, total or len(ids_per_page))
    return answers


def crawled_urls(pages):
    return [u for u, _ in pages]


def test_walks_every_page_and_sets_the_language_once():
    session = ScriptedSession({**blog_pages(7, [[30, 29], [28, 27], [26]]), **blog_pages(8, [[5]])})
    crawler = DialogCrawler(session, BASE + "/")
    first = list(crawler.crawl_blog(7))
    second = list(crawler.crawl_blog(8))
    assert crawled_urls(first) == [url(7, 1), url(7, 2), url(7, 3)]
    assert [c["number"] for _, p in first for c in p.cards] == ["30", "29", "28", "27", "26"]
    assert crawled_urls(second) == [url(8, 1)]
    assert session.requested[0] == BASE + CHANGE_LANGUAGE_PATH
    assert session.requested.count(BASE + CHANGE_LANGUAGE_PATH) == 1
    assert crawler.failed_pages == []


def test_a_page_before_the_pagers_last_without_cards_is_an_error_not_the_end():
    answers = blog_pages(7, [[30, 29], [28]], total=5)
    answers[url(7, 3)] = page([], 5)
    walk = BlogWalk(7)
    pages = DialogCrawler(ScriptedSession(answers), BASE).crawl_blog(7, walk=walk)
    assert crawled_urls([next(pages), next(pages)]) == [url(7, 1), url(7, 2)]
    with pytest.raises(UnrecognisedListing, match=r"page=3: no appeal card found on page 3"):
        next(pages)
    assert walk.stop_reason == "unrecognised page 3" and not walk.reached_end


@pytest.mark.parametrize("total", [None, 1, 4])
def test_a_first_page_without_cards_is_an_error_naming_what_was_looked_for(total):
    markup = '<div class="row"><ul class="question-meta"><li>754733</li></ul></div>'
    session = ScriptedSession({url(7, 1): page([markup], total)})
    with pytest.raises(UnrecognisedListing) as raised:
        list(DialogCrawler(session, BASE).crawl_blog(7))
    assert raised.value.url == url(7, 1) and "ul.blog-info" in str(raised.value)
    assert "i.fa-pencil" in str(raised.value) and url(7, 2) not in session.requested


def test_an_empty_page_past_a_pagerless_listing_ends_the_blog():
    answers = {url(7, 1): page([card(30, DAY)], None), url(7, 2): page([], None)}
    pages = list(DialogCrawler(ScriptedSession(answers), BASE).crawl_blog(7))
    assert crawled_urls(pages) == [url(7, 1), url(7, 2)] and pages[-1][1].is_empty


def test_a_total_that_grows_during_the_crawl_is_followed():
    answers = blog_pages(7, [[31, 30], [29, 28], [27, 26]], total=2)
    answers[url(7, 2)] = answers[url(7, 2)].replace("totalPages: 2", "totalPages: 3")
    assert len(list(DialogCrawler(ScriptedSession(answers), BASE).crawl_blog(7))) == 3


def test_a_broken_page_is_recorded_and_skipped():
    answers = blog_pages(7, [[30, 29], [28, 27], [26]])
    answers[url(7, 2)] = FetchError(url(7, 2), "HTTP 503, after 5 attempts", status=503)
    crawler = DialogCrawler(ScriptedSession(answers), BASE)
    pages = list(crawler.crawl_blog(7))
    assert crawled_urls(pages) == [url(7, 1), url(7, 3)]
    assert crawler.failed_pages == [FailedPage(url(7, 2), "HTTP 503, after 5 attempts")]


def test_a_truncated_page_is_a_failed_page_never_half_landed():
    answers = blog_pages(7, [[30, 29], [28, 27]])
    answers[url(7, 2)] = page([card(28, DAY), card(27, DAY)], 2, truncated=True)
    crawler = DialogCrawler(ScriptedSession(answers), BASE)
    pages = list(crawler.crawl_blog(7))
    assert crawled_urls(pages) == [url(7, 1)]
    failed = crawler.failed_pages
    assert failed[0].url == url(7, 2) and "validation" in failed[0].reason


def test_a_broken_first_page_ends_the_blog():
    answers = {url(7, 1): FetchError(url(7, 1), "HTTP 500, after 5 attempts", status=500)}
    session = ScriptedSession(answers)
    crawler = DialogCrawler(session, BASE)
    assert list(crawler.crawl_blog(7)) == []
    assert [f.url for f in crawler.failed_pages] == [url(7, 1)]
    assert url(7, 2) not in session.requested


def test_a_server_ignoring_the_page_number_does_not_loop_forever():
    same = page([card(30, DAY), card(29, DAY)], None)
    session = ScriptedSession({url(7, n): same for n in range(1, 50)})
    pages = list(DialogCrawler(session, BASE).crawl_blog(7))
    assert len(pages) == 1 and len(session.requested) == 3  # the repeat read, not yielded


# -- incremental mode --------------------------------------------------------------------------


REJECTED = "отклонено ГО 19.03.2021"


def ten_pages(blog_id: int):
    """Ten pages of ten settled appeals, ids 100 (newest, DAY) down to 1 (99 days older)."""
    ids = list(range(100, 0, -1))
    pages = blog_pages(blog_id, [ids[i : i + 10] for i in range(0, 100, 10)])
    return {
        u: html.replace("находится на рассмотрении у ГО", REJECTED) for u, html in pages.items()
    }


def known(ids, state=("rejected", None, 0)):
    return dict.fromkeys(map(str, ids), state)


def lookup(states):
    """What IncrementalStop asks raw for (by registration number), answered from ``states``."""
    return lambda numbers: {n: states[n] for n in numbers if n in states}


def day_of(question_id: int, newest: int = 100) -> dt.date:
    """The submission date of card ``question_id`` in ``blog_pages`` / ``ten_pages``."""
    return DAY - dt.timedelta(days=newest - question_id)


def test_incremental_stops_at_the_first_page_of_known_settled_appeals():
    stop = IncrementalStop(lookup(known(range(1, 96))), lookback_days=30)
    pages = list(DialogCrawler(ScriptedSession(ten_pages(7)), BASE).crawl_blog(7, stop=stop))
    # page 1: new ids; pages 2-4: not older than 30 days before the newest (id 70 is exactly
    # 30 days older); page 5 (ids 60..51) is the first settled one
    assert len(pages) == 5


def test_incremental_goes_on_while_a_page_holds_an_unknown_appeal():
    ids = set(range(1, 96)) - {52}  # an older appeal never seen before (page drift)
    stop = IncrementalStop(lookup(known(ids)), lookback_days=30)
    crawler = DialogCrawler(ScriptedSession(ten_pages(7)), BASE)
    assert len(list(crawler.crawl_blog(7, stop=stop))) == 6


def test_incremental_with_nothing_known_is_a_full_crawl():
    stop = IncrementalStop(lookup({}), lookback_days=30)
    pages = list(DialogCrawler(ScriptedSession(ten_pages(7)), BASE).crawl_blog(7, stop=stop))
    # the pager's last page is full: one more look, an empty page, ends it
    assert len(pages) == 11 and pages[-1][1].is_empty


def test_a_page_with_rejects_is_never_settled():
    answers = ten_pages(7)
    bad = card(0, DAY).replace("/blogs/all-questions/0", "/nowhere/")
    answers[url(7, 5)] = answers[url(7, 5)].replace("<script>", bad + "<script>")
    stop = IncrementalStop(lookup(known(range(1, 96))), lookback_days=30)
    assert len(list(DialogCrawler(ScriptedSession(answers), BASE).crawl_blog(7, stop=stop))) == 6


def test_a_page_with_an_old_pending_appeal_is_never_settled():
    answers = ten_pages(7)
    answers[url(7, 5)] = answers[url(7, 5)].replace(REJECTED, "находится на рассмотрении у ГО", 1)
    stop = IncrementalStop(lookup(known(range(1, 96))), lookback_days=30)
    assert len(list(DialogCrawler(ScriptedSession(answers), BASE).crawl_blog(7, stop=stop))) == 6


def test_a_page_showing_a_change_is_never_settled():
    # 55 was pending when last landed and is rejected now: pages further down may hold more
    states = {**known(range(1, 96)), "55": ("pending", None, 0)}
    stop = IncrementalStop(lookup(states), lookback_days=30)
    crawler = DialogCrawler(ScriptedSession(ten_pages(7)), BASE)
    assert len(list(crawler.crawl_blog(7, stop=stop))) == 6


# -- what a walk reports, and what it leaves owed to the next one --------------------------------


def walk_of(answers, stop=None, blog_id=7):
    walk = BlogWalk(blog_id)
    crawler = DialogCrawler(ScriptedSession(answers), BASE)
    pages = list(crawler.crawl_blog(blog_id, stop=stop, walk=walk))
    return walk, pages


def broken(blog_id: int, n: int) -> FetchError:
    return FetchError(url(blog_id, n), "HTTP 503, after 5 attempts", status=503)


def test_a_walk_says_why_it_stopped():
    ended, _ = walk_of(blog_pages(7, [[30, 29], [28]]))
    assert ended.stop_reason == "end of listing" and ended.reached_end
    assert ended.pages_fetched == 2
    assert ended.lowest_on == day_of(28, newest=30) and ended.owed == []

    answers = {
        u: html.replace("totalPages: 2", "") for u, html in blog_pages(7, [[30], [29]]).items()
    }
    answers[url(7, 3)] = page([], None)
    assert walk_of(answers)[0].stop_reason == "empty page 3"

    failed, pages = walk_of({url(7, 1): broken(7, 1)})
    assert (failed.stop_reason, failed.failed, pages) == (
        "failed page 1",
        [(1, "HTTP 503, after 5 attempts")],
        [],
    )
    assert failed.lowest_on is None and not failed.reached_end

    stop = IncrementalStop(lookup(known(range(1, 96))), lookback_days=30)
    assert walk_of(ten_pages(7), stop)[0].stop_reason == "settled page 5"

    same = page([card(30, DAY), card(29, DAY)], None)
    assert walk_of({url(7, n): same for n in range(1, 9)})[0].stop_reason == "repeated page 2"


def test_a_walk_interrupted_by_its_caller_says_so():
    walk = BlogWalk(7)
    crawler = DialogCrawler(ScriptedSession(blog_pages(7, [[30], [29], [28]])), BASE)
    pages = crawler.crawl_blog(7, walk=walk)
    next(pages)
    pages.close()
    assert walk.stop_reason == "interrupted" and walk.pages_fetched == 1


def test_a_broken_page_is_owed_as_the_first_id_read_after_it():
    answers = blog_pages(7, [[30, 29], [28, 27], [26, 25], [24]])
    answers[url(7, 2)] = broken(7, 2)
    answers[url(7, 3)] = broken(7, 3)
    walk, pages = walk_of(answers)
    assert crawled_urls(pages) == [url(7, 1), url(7, 4)]
    assert [n for n, _ in walk.failed] == [2, 3]
    # cards 28..25 lie above 24: read past 24's day and they are read
    assert walk.owed == [day_of(24, newest=30)]
    assert walk.reach_after(None, None) == day_of(24, newest=30)


def test_a_broken_last_page_is_owed_to_the_end():
    answers = blog_pages(7, [[30, 29], [28, 27]])
    answers[url(7, 2)] = broken(7, 2)
    walk, _ = walk_of(answers)
    assert walk.stop_reason == "end of listing" and walk.owed == [TO_THE_END]
    assert walk.reach_after(None, None) == TO_THE_END


def test_an_incremental_walk_does_not_stop_before_what_it_owes():
    # Pages 5.. are settled, but an earlier walk could not read the cards above id 25.
    stop = IncrementalStop(lookup(known(range(1, 96))), lookback_days=30, reach_on=day_of(25))
    walk, pages = walk_of(ten_pages(7), stop)
    assert len(pages) == 8 and walk.stop_reason == "settled page 8"  # page 8: ids 30..21
    assert walk.lowest_on == day_of(21)
    assert walk.reach_after(day_of(25), day_of(51)) is None  # paid


def test_an_incremental_walk_owing_everything_goes_to_the_end():
    stop = IncrementalStop(lookup(known(range(1, 96))), lookback_days=30, reach_on=TO_THE_END)
    walk, pages = walk_of(ten_pages(7), stop)
    assert len(pages) == 11 and walk.stop_reason == "end of listing"
    assert walk.reach_after(TO_THE_END, None) is None


def test_a_debt_not_paid_is_carried_and_new_gaps_are_added():
    answers = ten_pages(7)
    answers[url(7, 3)] = broken(7, 3)  # ids 80..71, owed as 70 (the first of page 4)
    stop = IncrementalStop(lookup(known(range(1, 96))), lookback_days=30)
    walk, _ = walk_of(answers, stop)
    d = day_of
    assert walk.stop_reason == "settled page 5" and walk.owed == [d(70)]
    assert walk.reach_after(None, None) == d(70)
    assert walk.reach_after(d(5), d(51)) == d(5)  # an older debt, deeper down, still stands
    assert walk.reach_after(d(50), d(51)) == d(50)  # and one just below where the walk stopped
    assert walk.reach_after(d(51), d(51)) == d(51)  # and one on its last day (strictly past)
    assert walk.reach_after(d(60), d(51)) == d(70)  # paid: read past 60; the new gap remains


def test_a_walk_that_read_nothing_owes_the_depth_of_the_previous_one():
    walk, _ = walk_of({url(7, 1): broken(7, 1)})
    assert walk.reach_after(None, day_of(51)) == day_of(51)
    assert walk.reach_after(None, None) == TO_THE_END  # never read: to the end
    assert walk.reach_after(day_of(40), day_of(51)) == day_of(40)


# -- a pager that lies, and the portal past the end -----------------------------------------------


def full_pages(blog_id: int, pages: int, total: int) -> dict[str, str]:
    ids = list(range(pages * 10, 0, -1))
    return blog_pages(blog_id, [ids[i : i + 10] for i in range(0, len(ids), 10)], total=total)


def test_a_pager_that_understates_does_not_end_the_listing():
    answers = full_pages(7, 5, total=1)  # "totalPages: 1" over five full pages
    walk, pages = walk_of(answers)
    assert sum(len(p.cards) for _, p in pages) == 50
    assert walk.stop_reason == "end of listing" and walk.reached_end


@pytest.mark.parametrize("past_end", ["empty", "last page again"])
def test_past_the_end_neither_stops_early_nor_loops_nor_counts_twice(past_end):
    answers = full_pages(7, 3, total=3)
    answers[url(7, 4)] = page([], 3) if past_end == "empty" else answers[url(7, 3)]
    session = ScriptedSession(answers)
    walk = BlogWalk(7)
    pages = list(DialogCrawler(session, BASE).crawl_blog(7, walk=walk))
    numbers = [c["number"] for _, p in pages for c in p.cards]
    assert len(numbers) == len(set(numbers)) == 30
    assert session.requested.count(url(7, 4)) == 1 and url(7, 5) not in session.requested
    assert walk.reached_end


def test_a_short_last_page_ends_the_listing_without_a_look_further():
    answers = blog_pages(7, [list(range(30, 20, -1)), [20, 19]])
    session = ScriptedSession(answers)
    assert len(list(DialogCrawler(session, BASE).crawl_blog(7))) == 2
    assert url(7, 3) not in session.requested


def test_a_resumed_first_crawl_reads_page_1_then_goes_on_where_it_was_killed():
    session = ScriptedSession(ten_pages(7))
    walk = BlogWalk(7)
    pages = list(DialogCrawler(session, BASE).crawl_blog(7, walk=walk, resume_at=6))
    assert crawled_urls(pages)[:3] == [url(7, 1), url(7, 6), url(7, 7)]
    assert walk.resumed_at == 6 and walk.reached_end and walk.stop_reason == "end of listing"
