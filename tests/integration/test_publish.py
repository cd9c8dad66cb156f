"""Publishing swaps the candidate marts in atomically and grants the analysts' role."""

import psycopg
import pytest

from tyndau.publish import publish_marts
from tyndau.warehouse.roles import READER_ROLE
from tyndau.warehouse.url import make_url, url_parts, with_database


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


def test_a_publish_waits_for_one_under_way(fresh_database):
    """Two publishes never swap at once: the second waits for the first's commit."""
    import threading

    from tyndau.publish import PUBLISH_LOCK

    url = fresh_database
    with psycopg.connect(url) as conn:
        conn.execute("create schema marts_candidate; create table marts_candidate.t (x int)")
    done = threading.Event()
    with psycopg.connect(url) as other:  # a publish under way, holding the lock
        other.execute("select pg_advisory_xact_lock(%s)", [PUBLISH_LOCK])
        second = threading.Thread(target=lambda: (publish_marts(url, "r"), done.set()))
        second.start()
        assert not done.wait(3)
        with psycopg.connect(url) as conn:
            assert not conn.execute("select 1 from pg_namespace where nspname = 'marts'").fetchone()
    second.join(30)
    assert done.is_set()
    with psycopg.connect(url) as conn:
        assert conn.execute("select 1 from pg_namespace where nspname = 'marts'").fetchone()


def test_nothing_to_publish_is_an_error(fresh_database):
    with pytest.raises(RuntimeError, match="nothing to publish"):
        publish_marts(fresh_database)


def _reader_can_connect(url: str) -> bool:
    try:
        psycopg.connect(_reader_url(url), connect_timeout=5).close()
    except psycopg.OperationalError as error:
        assert "permission denied" in str(error)
        return False
    return True


def test_the_reader_reaches_the_warehouse_and_sees_marts_only(pg_server, fresh_database):
    """Another database on the server stays closed to the reader, the catalogue lists marts
    only, and a long query is cancelled after the reader's statement timeout."""
    url = fresh_database
    other = with_database(pg_server, "t_reader_other_database")
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute("drop database if exists t_reader_other_database with (force)")
        conn.execute("create database t_reader_other_database")
    with psycopg.connect(url) as conn:
        conn.execute("create schema raw; create table raw.secret (iin text, phone text)")
        conn.execute("create schema staging; create view staging.s as select 1 as x")
        conn.execute("create schema marts_candidate")
        conn.execute("create table marts_candidate.t as select 1 as generation")
    publish_marts(url, "r", reader_statement_timeout="1s")

    assert _reader_can_connect(url)
    assert not _reader_can_connect(other)
    assert not _reader_can_connect(with_database(pg_server, "postgres"))
    # the warehouse's owner still reaches the databases it closed to the reader
    for database in (other, with_database(pg_server, "postgres")):
        psycopg.connect(database).close()

    outside_marts = "table_schema not in ('pg_catalog', 'information_schema', 'marts')"
    with psycopg.connect(_reader_url(url)) as reader:
        for view in ("tables", "columns"):
            listed = reader.execute(
                f"select table_schema, table_name from information_schema.{view}"
                f" where {outside_marts}"
            ).fetchall()
            assert listed == [], view
        schemata = reader.execute(
            "select schema_name from information_schema.schemata"
            " where schema_name not in ('pg_catalog', 'information_schema')"
        ).fetchall()
        assert schemata == [("marts",)]
        # pg_catalog is readable by every role, and Metabase and psql read it to introspect:
        # a table's name still shows there, its rows do not (see docs/reliability.md)
        assert reader.execute(
            "select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace"
            " where n.nspname = 'raw' and c.relname = 'secret'"
        ).fetchone()
        assert reader.execute("show statement_timeout").fetchone() == ("1s",)
        with pytest.raises(psycopg.errors.QueryCanceled, match="statement timeout"):
            reader.execute("select pg_sleep(3)")


def test_a_publish_without_a_password_keeps_the_readers_login(fresh_database, tmp_path):
    """`tyndau bi` on the embedded warehouse gives the reader a kept password of its own; the
    next publish without TYNDAU_READER_PASSWORD leaves that login alone (it used to make the role
    `nologin`, and Superset lost the marts after every `tyndau run`)."""
    from tyndau.bi import BIError, reader_uri
    from tyndau.settings import load_settings

    url = fresh_database
    candidate = "create schema if not exists marts_candidate;"
    with psycopg.connect(url) as conn:
        conn.execute(candidate + " create table if not exists marts_candidate.t (x int)")
    publish_marts(url, None)
    embedded = load_settings({"TYNDAU_STATE_DIR": str(tmp_path)})
    uri = reader_uri(embedded, url)
    kept = (tmp_path / "superset" / "reader.password").read_text().strip()
    assert url_parts(uri)["password"] == kept
    with psycopg.connect(url) as conn:
        conn.execute(candidate + " create table if not exists marts_candidate.t (x int)")
    publish_marts(url, None)
    with psycopg.connect(uri) as reader:
        assert reader.execute("select count(*) from marts.t").fetchone() == (0,)
    assert reader_uri(embedded, url) == uri  # the same password next time
    # another warehouse's reader is its owner's: there the password must be given
    elsewhere = load_settings({"TYNDAU_STATE_DIR": str(tmp_path), "WAREHOUSE_URL": url})
    with pytest.raises(BIError, match="TYNDAU_READER_PASSWORD is not set"):
        reader_uri(elsewhere, url)
    with psycopg.connect(url) as conn:
        conn.execute(candidate + " create table if not exists marts_candidate.t (x int)")
    publish_marts(url, "r")  # the password the other tests of this server log in with
