#!/bin/bash
# Runs once, when the postgres volume is first initialised: a database and an owner role each
# for the warehouse, Airflow's metadata and Metabase's own. The analysts' read-only role
# (tyndau_reader) is made by tyndau itself when it first publishes marts
# (tyndau.warehouse.roles.ensure_reader_role, with TYNDAU_READER_PASSWORD), which is why the
# warehouse owner may create roles.
set -euo pipefail

create() {  # database, owner, password, extra role attributes
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        -v db="$1" -v owner="$2" -v password="$3" -v attributes="$4" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN %s PASSWORD %L', :'owner', :'attributes', :'password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'owner') \gexec
SQL
}

create tyndau tyndau "$TYNDAU_WAREHOUSE_PASSWORD" CREATEROLE
create airflow airflow "$AIRFLOW_DB_PASSWORD" ""
create metabase metabase "$METABASE_DB_PASSWORD" ""
# only their owners reach Airflow's and Metabase's databases, and only the superuser the
# server's own (tyndau's publishing cannot close these: it owns none of them); the warehouse
# stays open to logins (the reader among them), whose grants decide what they see
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -c 'REVOKE ALL ON DATABASE airflow FROM PUBLIC' \
    -c 'REVOKE ALL ON DATABASE metabase FROM PUBLIC' \
    -c 'REVOKE CONNECT ON DATABASE postgres FROM PUBLIC' \
    -c 'REVOKE CONNECT ON DATABASE template1 FROM PUBLIC'
