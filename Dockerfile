# One image for every tyndau service of docker-compose.yml: Airflow's components (through
# `tyndau airflow --component …`, so they get the same environment as `tyndau run`) and the
# sandboxes. Installs exactly what requirements.lock pins.
FROM python:3.11.11-slim-bookworm

# UV_COMPILE_BYTECODE: bytecode compiled at install, not by every task's process (see the
# Makefile's .venv)
ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    TYNDAU_STATE_DIR=/opt/tyndau/state \
    AIRFLOW_HOME=/opt/tyndau/state/airflow

# no system packages: the psycopg wheels in the lock bring their own libpq
RUN useradd --uid 50000 --create-home --home-dir /home/tyndau tyndau

WORKDIR /opt/tyndau
COPY requirements.lock ./
RUN pip install uv==0.13.9 \
    && uv pip install --system --require-hashes -r requirements.lock

# the project itself, installed in place: tyndau finds dags/, dbt_project/ and registries/
# beside its package, as in a checkout (tyndau.settings.PROJECT_DIR)
COPY --chown=tyndau pyproject.toml setup.py README.md LICENSE ./
COPY --chown=tyndau tyndau ./tyndau
COPY --chown=tyndau ingestion ./ingestion
COPY --chown=tyndau sandbox ./sandbox
COPY --chown=tyndau registries ./registries
COPY --chown=tyndau expectations ./expectations
COPY --chown=tyndau dags ./dags
COPY --chown=tyndau dbt_project ./dbt_project
COPY --chown=tyndau bi ./bi
RUN uv pip install --system --no-deps -e . \
    && mkdir -p /opt/tyndau/state /opt/tyndau/inbox \
    && chown -R tyndau /opt/tyndau

USER tyndau
ENTRYPOINT ["tyndau"]
CMD ["--help"]
