"""The warehouse, one room per job:

- ``embedded``: the embedded Postgres's lifecycle (start, stop, its URL) and ``resolve_url``;
- ``url``: Postgres URLs made, taken apart, redacted, and turned into dbt's profile;
- ``roles``: the analysts' read-only role and the databases closed to it;
- ``raw``: every source's raw tables, and whether any holds data.
"""
