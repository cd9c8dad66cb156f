"""Publishing swaps the candidate marts in atomically and grants the analysts' role."""

import psycopg
import pytest

from tyndau.publish import publish_marts
from tyndau.warehouse import READER_ROLE, make_url, url_parts


def _reader_url(url: str) -> str:
    return make_url(**(url_parts(url) | {"user": READER_ROLE, "password": "r"}))


def test_publish_swaps_candidate_in_and_the_replaced_marts_become_the_candidate(fresh_database):
    url = fresh_database
    with psycopg.connect(url) as conn:
        conn.execute("create schema raw; create table raw.secret as select 1 as x")
        conn.execute("create schema marts_candidate")
        conn.execute("create table marts_candidate.t as select 1 as generation")
    assert publish_marts(url, "r") == ["t"]
    with psycopg.connect(url) as conn:
        assert not conn.execute(
            "select 1 from pg_namespace where nspname = 'marts_candidate'"
        ).fetchone()
        conn.execute("create schema marts_candidate")
        conn.execute("create table marts_candidate.t as select 2 as generation")
    publish_marts(url, "r")
    with psycopg.connect(url) as conn:
        assert conn.execute("select generation from marts.t").fetchone() == (2,)
        # the next build starts from these (incremental models), or an operator swaps back
        assert conn.execute("select generation from marts_candidate.t").fetchone() == (1,)
    with psycopg.connect(_reader_url(url)) as reader:
        assert reader.execute("select generation from marts.t").fetchone() == (2,)
    for relation in ("raw.secret", "marts_candidate.t"):
        with (
            psycopg.connect(_reader_url(url)) as reader,
            pytest.raises(psycopg.errors.InsufficientPrivilege),
        ):
            reader.execute(f"select * from {relation}")
    # publishing again swaps back: a rollback
    publish_marts(url, "r")
    with psycopg.connect(_reader_url(url)) as reader:
        assert reader.execute("select generation from marts.t").fetchone() == (1,)


def test_publish_drops_the_marts_earlier_versions_kept(fresh_database):
    with psycopg.connect(fresh_database) as conn:
        conn.execute("create schema marts_previous; create table marts_previous.t (x int)")
        conn.execute("create schema marts_candidate; create table marts_candidate.t (x int)")
    publish_marts(fresh_database, "r")
    with psycopg.connect(fresh_database) as conn:
        assert not conn.execute(
            "select 1 from pg_namespace where nspname = 'marts_previous'"
        ).fetchone()


def test_nothing_to_publish_is_an_error(fresh_database):
    with pytest.raises(RuntimeError, match="nothing to publish"):
        publish_marts(fresh_database)
