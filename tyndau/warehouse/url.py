"""Postgres URLs: made from parts, taken apart, redacted for logs, turned into dbt's profile."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from psycopg.conninfo import conninfo_to_dict


def make_url(
    host: str, user: str, dbname: str, password: str | None = None, port: int | str | None = None
) -> str:
    """A postgresql:// URL that psql, psycopg, SQLAlchemy and dbt accept; a socket dir rides in
    the query string because a path cannot stand where a host name does."""
    auth = quote(user, safe="")
    if password:
        auth += ":" + quote(password, safe="*")
    if host.startswith("/"):
        params = {"host": host} | ({"port": str(port)} if port else {})
        query = "?" + urlencode(params, safe="/", quote_via=quote)
        return f"postgresql://{auth}@/{quote(dbname, safe='')}{query}"
    netloc = host + (f":{port}" if port else "")
    return f"postgresql://{auth}@{netloc}/{quote(dbname, safe='')}"


def url_parts(url: str) -> dict[str, str]:
    """host/port/user/password/dbname of a Postgres URL; a Unix socket is a host that is a path."""
    parts = conninfo_to_dict(url)
    return {
        "host": parts.get("host") or "localhost",
        "port": str(parts.get("port") or 5432),
        "user": parts.get("user") or "postgres",
        "password": parts.get("password") or "",
        "dbname": parts.get("dbname") or "postgres",
    }


def dbt_profile_env(url: str) -> dict[str, str]:
    """The environment dbt_project/profiles.yml reads its connection from."""
    return {f"TYNDAU_PG_{key.upper()}": value for key, value in url_parts(url).items()}


def redact(url: str) -> str:
    """The URL as it may appear in logs: the password replaced."""
    parts = url_parts(url)
    if parts["password"]:
        parts["password"] = "***"
    return make_url(**parts)


def with_database(url: str, dbname: str) -> str:
    """The same server and credentials, another database."""
    return make_url(**(url_parts(url) | {"dbname": dbname}))
