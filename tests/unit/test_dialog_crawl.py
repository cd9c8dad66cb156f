"""The crawl over a blog's pages, with a scripted session standing in for the portal."""

from __future__ import annotations

import datetime as dt

from ingestion.common.http import FetchError
from ingestion.dialog.crawl import (
    CHANGE_LANGUAGE_PATH,
    BlogWalk,
    DialogCrawler,
    FailedPage,
    IncrementalStop,
    crawl_blog,
)

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
    html = f"<html><body>{''.join(cards)}<footer>©</footer>{pager}</body></html>"
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
    assert [c["question_id"] for _, p in first for c in p.cards] == [30, 29, 28, 27, 26]
    assert crawled_urls(second) == [url(8, 1)]
    assert session.requested[0] == BASE + CHANGE_LANGUAGE_PATH
    assert session.requested.count(BASE + CHANGE_LANGUAGE_PATH) == 1
    assert crawler.failed_pages == []


def test_an_empty_page_ends_the_blog_before_the_pager_total():
    answers = blog_pages(7, [[30, 29], [28]], total=5)
    answers[url(7, 3)] = page([], 5)
    pages = list(crawl_blog(ScriptedSession(answers), BASE, 7))
    assert crawled_urls(pages) == [url(7, 1), url(7, 2), url(7, 3)]
    assert pages[-1][1].is_empty


def test_a_total_that_grows_during_the_crawl_is_followed():
    answers = blog_pages(7, [[31, 30], [29, 28], [27, 26]], total=2)
    answers[url(7, 2)] = answers[url(7, 2)].replace("totalPages: 2", "totalPages: 3")
    assert len(list(crawl_blog(ScriptedSession(answers), BASE, 7))) == 3


def test_a_broken_page_is_recorded_and_skipped():
    answers = blog_pages(7, [[30, 29], [28, 27], [26]])
    answers[url(7, 2)] = FetchError(url(7, 2), "HTTP 503, after 5 attempts", status=503)
    failed: list[FailedPage] = []
    pages = list(crawl_blog(ScriptedSession(answers), BASE, 7, failed_pages=failed))
    assert crawled_urls(pages) == [url(7, 1), url(7, 3)]
    assert failed == [FailedPage(url(7, 2), "HTTP 503, after 5 attempts")]


def test_a_truncated_page_is_a_failed_page_never_half_landed():
    answers = blog_pages(7, [[30, 29], [28, 27]])
    answers[url(7, 2)] = page([card(28, DAY), card(27, DAY)], 2, truncated=True)
    failed: list[FailedPage] = []
    pages = list(crawl_blog(ScriptedSession(answers), BASE, 7, failed_pages=failed))
    assert crawled_urls(pages) == [url(7, 1)]
    assert failed[0].url == url(7, 2) and "validation" in failed[0].reason


def test_a_broken_first_page_ends_the_blog():
    answers = {url(7, 1): FetchError(url(7, 1), "HTTP 500, after 5 attempts", status=500)}
    session = ScriptedSession(answers)
    failed: list[FailedPage] = []
    assert list(crawl_blog(session, BASE, 7, failed_pages=failed)) == []
    assert [f.url for f in failed] == [url(7, 1)]
    assert url(7, 2) not in session.requested


def test_a_server_ignoring_the_page_number_does_not_loop_forever():
    same = page([card(30, DAY), card(29, DAY)], None)
    session = ScriptedSession({url(7, n): same for n in range(1, 50)})
    assert len(list(crawl_blog(session, BASE, 7))) == 2


# -- incremental mode --------------------------------------------------------------------------


REJECTED = "отклонено ГО 19.03.2021"


def ten_pages(blog_id: int):
    """Ten pages of ten settled appeals, ids 100 (newest, DAY) down to 1 (99 days older)."""
    ids = list(range(100, 0, -1))
    pages = blog_pages(blog_id, [ids[i : i + 10] for i in range(0, 100, 10)])
    return {
        u: html.replace("находится на рассмотрении у ГО", REJECTED) for u, html in pages.items()
    }


def known(ids, state=("rejected", None)):
    return dict.fromkeys(ids, state)


def lookup(states):
    """What IncrementalStop asks raw for, answered from ``states``."""
    return lambda ids: {i: states[i] for i in ids if i in states}


def test_incremental_stops_at_the_first_page_of_known_settled_appeals():
    stop = IncrementalStop(lookup(known(range(1, 96))), lookback_days=30)
    pages = list(crawl_blog(ScriptedSession(ten_pages(7)), BASE, 7, stop=stop))
    # page 1: new ids; pages 2-4: not older than 30 days before the newest (id 70 is exactly
    # 30 days older); page 5 (ids 60..51) is the first settled one
    assert len(pages) == 5


def test_incremental_goes_on_while_a_page_holds_an_unknown_appeal():
    ids = set(range(1, 96)) - {52}  # an older appeal never seen before (page drift)
    stop = IncrementalStop(lookup(known(ids)), lookback_days=30)
    assert len(list(crawl_blog(ScriptedSession(ten_pages(7)), BASE, 7, stop=stop))) == 6


def test_incremental_with_nothing_known_is_a_full_crawl():
    stop = IncrementalStop(lookup({}), lookback_days=30)
    assert len(list(crawl_blog(ScriptedSession(ten_pages(7)), BASE, 7, stop=stop))) == 10


def test_a_page_with_rejects_is_never_settled():
    answers = ten_pages(7)
    bad = card(0, DAY).replace("/blogs/all-questions/0", "/nowhere/")
    answers[url(7, 5)] = answers[url(7, 5)].replace("<footer>", bad + "<footer>")
    stop = IncrementalStop(lookup(known(range(1, 96))), lookback_days=30)
    assert len(list(crawl_blog(ScriptedSession(answers), BASE, 7, stop=stop))) == 6


def test_a_page_with_an_old_pending_appeal_is_never_settled():
    answers = ten_pages(7)
    answers[url(7, 5)] = answers[url(7, 5)].replace(REJECTED, "находится на рассмотрении у ГО", 1)
    stop = IncrementalStop(lookup(known(range(1, 96))), lookback_days=30)
    assert len(list(crawl_blog(ScriptedSession(answers), BASE, 7, stop=stop))) == 6


def test_a_page_showing_a_change_is_never_settled():
    # 55 was pending when last landed and is rejected now: pages further down may hold more
    stop = IncrementalStop(lookup({**known(range(1, 96)), 55: ("pending", None)}), lookback_days=30)
    assert len(list(crawl_blog(ScriptedSession(ten_pages(7)), BASE, 7, stop=stop))) == 6


# -- what a walk reports, and what it leaves owed to the next one --------------------------------


def walk_of(answers, stop=None, blog_id=7):
    walk = BlogWalk(blog_id)
    pages = list(crawl_blog(ScriptedSession(answers), BASE, blog_id, stop=stop, walk=walk))
    return walk, pages


def broken(blog_id: int, n: int) -> FetchError:
    return FetchError(url(blog_id, n), "HTTP 503, after 5 attempts", status=503)


def test_a_walk_says_why_it_stopped():
    ended, _ = walk_of(blog_pages(7, [[30, 29], [28]]))
    assert ended.stop_reason == "end of listing" and ended.reached_end
    assert ended.pages_fetched == 2
    assert ended.lowest_id == 28 and ended.owed == []

    answers = blog_pages(7, [[30, 29], [28]], total=5)
    answers[url(7, 3)] = page([], 5)
    assert walk_of(answers)[0].stop_reason == "empty page 3"

    failed, pages = walk_of({url(7, 1): broken(7, 1)})
    assert (failed.stop_reason, failed.failed, pages) == (
        "failed page 1",
        [(1, "HTTP 503, after 5 attempts")],
        [],
    )
    assert failed.lowest_id is None and not failed.reached_end

    stop = IncrementalStop(lookup(known(range(1, 96))), lookback_days=30)
    assert walk_of(ten_pages(7), stop)[0].stop_reason == "settled page 5"

    same = page([card(30, DAY), card(29, DAY)], None)
    assert walk_of({url(7, n): same for n in range(1, 9)})[0].stop_reason == "repeated page 2"


def test_a_walk_interrupted_by_its_caller_says_so():
    walk = BlogWalk(7)
    pages = crawl_blog(ScriptedSession(blog_pages(7, [[30], [29], [28]])), BASE, 7, walk=walk)
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
    assert walk.owed == [24]  # cards 28..25 lie above 24: read down to 24 and they are read
    assert walk.reach_after(None, None) == 24


def test_a_broken_last_page_is_owed_to_the_end():
    answers = blog_pages(7, [[30, 29], [28, 27]])
    answers[url(7, 2)] = broken(7, 2)
    walk, _ = walk_of(answers)
    assert walk.stop_reason == "end of listing" and walk.owed == [0]
    assert walk.reach_after(None, None) == 0


def test_an_incremental_walk_does_not_stop_before_what_it_owes():
    # Pages 5.. are settled, but an earlier walk could not read the cards above id 25.
    stop = IncrementalStop(lookup(known(range(1, 96))), lookback_days=30, reach_id=25)
    walk, pages = walk_of(ten_pages(7), stop)
    assert len(pages) == 8 and walk.stop_reason == "settled page 8"  # page 8: ids 30..21
    assert walk.lowest_id == 21 and walk.reach_after(25, 51) is None  # paid


def test_an_incremental_walk_owing_everything_goes_to_the_end():
    stop = IncrementalStop(lookup(known(range(1, 96))), lookback_days=30, reach_id=0)
    walk, pages = walk_of(ten_pages(7), stop)
    assert len(pages) == 10 and walk.stop_reason == "end of listing"
    assert walk.reach_after(0, None) is None


def test_a_debt_not_paid_is_carried_and_new_gaps_are_added():
    answers = ten_pages(7)
    answers[url(7, 3)] = broken(7, 3)  # ids 80..71, owed as 70 (the first of page 4)
    stop = IncrementalStop(lookup(known(range(1, 96))), lookback_days=30)
    walk, _ = walk_of(answers, stop)
    assert walk.stop_reason == "settled page 5" and walk.owed == [70]
    assert walk.reach_after(None, None) == 70
    assert walk.reach_after(5, 51) == 5  # an older debt, deeper down, still stands
    assert walk.reach_after(50, 51) == 50  # and so does one just below where the walk stopped
    assert walk.reach_after(60, 51) == 70  # paid: 51 <= 60; the new gap remains


def test_a_walk_that_read_nothing_owes_the_depth_of_the_previous_one():
    walk, _ = walk_of({url(7, 1): broken(7, 1)})
    assert walk.reach_after(None, 51) == 51
    assert walk.reach_after(None, None) == 0  # never read: to the end
    assert walk.reach_after(40, 51) == 40
