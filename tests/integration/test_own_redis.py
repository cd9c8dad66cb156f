"""The Redis that `tyndau airflow --executor celery` starts for itself (Debian's redis-server,
for real): when it dies it is started again on its port, from its append-only file, so what was
queued is still there; one that keeps dying (three times within a minute) is given up, and a
broker named by AIRFLOW__CELERY__BROKER_URL is never ours to restart."""

from __future__ import annotations

import redis

from tyndau.airflow_ui import AirflowProcesses, start_redis


def _own_redis(tmp_path) -> tuple[AirflowProcesses, str]:
    running = AirflowProcesses(url="", logs=tmp_path)
    url = start_redis(running, tmp_path / "redis")
    running.env["AIRFLOW__CELERY__BROKER_URL"] = url
    return running, url


def test_our_redis_killed_is_started_again_with_what_was_queued(tmp_path):
    running, url = _own_redis(tmp_path)
    try:
        client = redis.Redis.from_url(url)
        client.config_set("appendfsync", "always")  # the queued message is on disk at once
        client.rpush("default", "a queued task")
        first = running.procs["redis"]
        first.kill()
        first.wait(10)
        assert "redis" in running.exited()

        assert running.restart_broker()
        assert running.procs["redis"].pid != first.pid and not running.exited()
        assert client.lrange("default", 0, -1) == [b"a queued task"]
    finally:
        running.stop(5)


def test_a_redis_that_keeps_dying_is_given_up(tmp_path):
    running, _ = _own_redis(tmp_path)
    try:
        for _ in range(3):
            running.procs["redis"].kill()
            running.procs["redis"].wait(10)
            assert running.restart_broker()
        running.procs["redis"].kill()
        running.procs["redis"].wait(10)
        assert not running.restart_broker()  # the fourth death within a minute
    finally:
        running.stop(5)


def test_a_broker_of_someone_else_is_not_ours_to_restart(tmp_path):
    running = AirflowProcesses(url="", logs=tmp_path, env={"AIRFLOW__CELERY__BROKER_URL": "x"})
    assert not running.restart_broker()
