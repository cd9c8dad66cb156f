"""The open-data sandbox: the calibrated catalogue, its protocol over real HTTP, its faults."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
import requests

from sandbox.opendata import (
    ALLOWANCE_DAYS,
    SNAPSHOT,
    TODAY,
    WATCH_FILE,
    YEAR_BEFORE,
    Knobs,
    OpendataSandbox,
    build_scenario,
)
from sandbox.opendata.__main__ import build_parser, knobs_from_args, main
from sandbox.opendata.scenario import GONE_BODIES, LATER_DATASETS, NEW_BODIES, NEW_BODY_MIN_DATASETS
from sandbox.opendata.server import Fault

REPO = Path(__file__).resolve().parents[2]
BIG = "medicinalyq_mekemeler"  # 12,500 records
TIMEOUT = 5


@pytest.fixture(scope="module")
def scenario():
    return build_scenario()


@pytest.fixture(scope="module")
def portal(scenario):
    with OpendataSandbox(scenario) as running:
        yield running


def get(portal, path, **params):
    return requests.get(portal.base_url + path, params=params, timeout=TIMEOUT)


def data(portal, source, api_uri=BIG, version="v1", key=None):
    key = portal.api_key if key is None else key
    return get(portal, f"/api/detailed/{api_uri}/{version}", apiKey=key, source=json.dumps(source))


# --- docs/calibration.md section 3 ----------------------------------------------------------------


def test_catalogue_is_calibrated(scenario):
    assert len(scenario.datasets) == 2100 + 40 + sum(LATER_DATASETS.values()) == 2840
    assert len(scenario.active(SNAPSHOT)) == 2100
    assert len(scenario.active(YEAR_BEFORE)) == 1900
    assert sum(d.archived for d in scenario.datasets) == 40
    assert all(d.created.date() <= TODAY for d in scenario.datasets)
    # exactly 70% up to date at 2017-12-31 by the definition
    assert len(scenario.up_to_date(SNAPSHOT)) == 1470
    assert all(d.modified >= d.created for d in scenario.datasets)
    assert all(d.modified.date() <= TODAY for d in scenario.datasets)
    # the datasets of 2017 never changed after it: a single read shows their state then
    of_2017 = [d for d in scenario.datasets if d.created.date() <= SNAPSHOT]
    assert len(of_2017) == 2140 and all(d.modified.date() <= SNAPSHOT for d in of_2017)


def test_after_2017_the_catalogue_grows_under_the_bodies_of_the_time(scenario):
    for year, count in LATER_DATASETS.items():
        made = [d for d in scenario.datasets if d.created.year == year]
        assert len(made) == count, year
        assert not {d.owner for d in made} & set(GONE_BODIES), year
    for body, start in NEW_BODIES.items():
        theirs = [d for d in scenario.datasets if d.owner == body]
        assert min(d.created.date() for d in theirs) >= start
        assert len([d for d in theirs if d.created.year == 2018]) >= NEW_BODY_MIN_DATASETS
    # some are fresh at the scenario's today, some not
    later = [d for d in scenario.active(TODAY) if d.created.date() > SNAPSHOT]
    fresh = sum(d.up_to_date(TODAY) for d in later)
    assert 0.3 * len(later) < fresh < 0.9 * len(later)


def test_about_sixty_bodies_with_uneven_shares_and_freshness(scenario):
    per_body = Counter(d.owner for d in scenario.active())
    assert 55 <= len(per_body) <= 65
    assert max(per_body.values()) >= 5 * min(per_body.values())
    shares = [
        sum(d.up_to_date(SNAPSHOT) for d in scenario.active() if d.owner == body) / n
        for body, n in per_body.items()
    ]
    assert max(shares) - min(shares) > 0.4


def test_every_periodicity_and_both_sides_of_each_allowance_occur(scenario):
    assert {d.periodicity for d in scenario.active()} == set(ALLOWANCE_DAYS)
    ages = {(d.periodicity, (SNAPSHOT - d.modified.date()).days) for d in scenario.active()}
    for periodicity, allowance in ALLOWANCE_DAYS.items():
        if allowance is not None:
            assert (periodicity, allowance) in ages, periodicity
            assert (periodicity, allowance + 1) in ages, periodicity


def test_new_years_night_is_on_both_sides(scenario):
    created = {d.created.isoformat() for d in scenario.datasets}
    assert {"2016-12-31T23:50:00", "2017-01-01T00:10:00"} <= created


def test_same_seed_same_catalogue():
    first, second, other = build_scenario(), build_scenario(), build_scenario(seed=7)
    assert first.datasets == second.datasets and first.records == second.records
    assert other.datasets != first.datasets
    assert len(other.up_to_date(SNAPSHOT)) == 1470  # any seed is calibrated


# --- protocol ---------------------------------------------------------------------------------


def test_catalogue_pages_newest_first_with_total(portal, scenario):
    first = get(portal, "/datasets/getdatasets", page=1, count=50, sortBy="createdDateDesc").json()
    assert first["totalCount"] == 2840 and len(first["datasets"]) == 50
    created = [d["createdDate"] for d in first["datasets"]]
    assert created == sorted(created, reverse=True)
    entry = first["datasets"][0]
    assert set(entry) == {
        "apiUri",
        "nameRu",
        "nameKk",
        "descriptionRu",
        "descriptionKk",
        "createdDate",
        "modifiedDate",
        "views",
        "responsible",
        "owner",
    }
    assert set(entry["responsible"]) == {"phone", "email"} and "fullnameRu" in entry["owner"]
    last = get(portal, "/datasets/getdatasets", page=57, count=50).json()
    assert len(last["datasets"]) == 40
    assert get(portal, "/datasets/getdatasets", page=58, count=50).json()["datasets"] == []


def test_passport_needs_no_key_and_tells_periodicity_and_archived(portal, scenario):
    archived = next(d for d in scenario.datasets if d.archived)
    passport = get(portal, f"/meta/{archived.api_uri}/{archived.latest_version}").json()
    assert passport["archived"] is True and passport["periodicity"] in ALLOWANCE_DAYS
    assert set(passport["fields"]["id"]) == {"labelRu", "labelKk", "type"}


def test_mapping_lists_the_versions(portal):
    answer = get(portal, "/api/v4/mapping/zhol_zhondeu_zhumystary", apiKey=portal.api_key).json()
    versions = answer["zhol_zhondeu_zhumystary"]["mappings"]
    assert set(versions) == {"v1", "v2"}
    assert "updated_at" in versions["v2"]["properties"]
    assert "updated_at" not in versions["v1"]["properties"]


@pytest.mark.parametrize("key", ["", "not-the-key"])
def test_api_needs_the_key(portal, key):
    for path in ("/api/v4/mapping/" + BIG, f"/api/v4/{BIG}/v1", f"/api/detailed/{BIG}/v1"):
        params = {"apiKey": key} if key else {}
        assert get(portal, path, **params).status_code == 403
    logged = portal.requests[-1]
    assert logged.status == 403 and not logged.had_valid_key


def test_deep_offsets_silently_lose_records(portal):
    answer = data(portal, {"from": 9_990, "size": 100, "sort": [{"id": "asc"}]}).json()
    assert answer["totalCount"] == 12_500 and len(answer["data"]) == 10  # no error, just less
    assert data(portal, {"from": 10_000, "size": 100}).json()["data"] == []
    # a range on the key from offset 0 reaches past the window
    past = data(
        portal,
        {
            "from": 0,
            "size": 5,
            "query": {"range": {"id": {"gt": 20_000}}},
            "sort": [{"id": {"order": "asc"}}],
        },
    ).json()
    assert past["totalCount"] > 0 and len(past["data"]) == 5
    assert all(r["id"] > 20_000 for r in past["data"])


def test_bare_endpoint_is_an_array_and_search_after_is_refused(portal):
    bare = get(
        portal,
        f"/api/v4/{BIG}/v1",
        apiKey=portal.api_key,
        source=json.dumps({"size": 3, "sort": ["id"]}),
    )
    assert isinstance(bare.json(), list) and len(bare.json()) == 3
    refused = data(portal, {"search_after": [10]})
    assert refused.status_code == 200 and refused.json()["code"] == 400


def test_request_log_never_holds_the_key(portal):
    get(portal, "/api/v4/mapping/" + BIG, apiKey=portal.api_key)
    assert all(portal.api_key not in path for path, _ in portal.request_log)
    assert portal.request_log[-1] == (f"/api/v4/mapping/{BIG}?apiKey=***", 200)


# --- variants of the real portal (knobs off by default) -------------------------------------


def test_by_default_no_variant_shows(portal, scenario):
    entry = get(portal, "/datasets/getdatasets", page=1, count=1).json()["datasets"][0]
    assert entry["modifiedDate"] == scenario.datasets[0].catalogue_entry()["modifiedDate"]
    assert "+" not in entry["modifiedDate"] and "owner" in entry
    mapping = get(portal, "/api/v4/mapping/" + BIG, apiKey=portal.api_key).json()
    assert mapping[BIG]["mappings"]["v1"]["properties"]["modified"] == {"type": "date"}
    periodicities = {
        get(portal, f"/meta/{d.api_uri}/{d.latest_version}").json()["periodicity"]
        for d in scenario.datasets[:40]
    }
    assert periodicities <= set(ALLOWANCE_DAYS)


def test_the_form_post_serves_the_catalogue_and_wants_status_published(portal):
    url = portal.base_url + "/datasets/getdatasetsre"
    page = requests.post(url, data={"page": 2, "count": 5, "status": "PUBLISHED"}, timeout=5)
    listed = get(portal, "/datasets/getdatasets", page=2, count=5).json()
    assert page.status_code == 200 and page.json() == listed
    unpublished = requests.post(url, data={"page": 1, "count": 5}, timeout=5).json()
    assert unpublished["code"] == 400 and "PUBLISHED" in unpublished["message"]
    other = requests.post(portal.base_url + "/meta/x/v1", data={}, timeout=5)
    assert other.status_code == 405
    assert portal.requests[-1].method == "POST"


@pytest.mark.parametrize("status", [404, 405])
def test_getdatasets_can_answer_404_or_405(scenario, status):
    with OpendataSandbox(scenario, knobs=Knobs(catalogue_get_status=status)) as gone:
        assert get(gone, "/datasets/getdatasets", page=1, count=5).status_code == status
        posted = requests.post(
            gone.base_url + "/datasets/getdatasetsre",
            data={"page": 1, "count": 5, "status": "PUBLISHED"},
            timeout=5,
        )
        assert posted.json()["totalCount"] == 2840


def test_variant_knobs_dates_mappings_versions_periodicity_and_dropped_fields(scenario):
    knobs = Knobs(
        offset_dates=True,
        es2_mappings=True,
        data_version_uris=("mektepter_kontingenti",),
        unknown_periodicities=4,
        dropped_catalogue_fields=("modifiedDate", "owner.fullnameRu"),
        keyless_detailed=True,
    )
    with OpendataSandbox(scenario, knobs=knobs) as variant:
        first = get(variant, "/datasets/getdatasets", page=1, count=4).json()["datasets"]
        mapping = get(variant, "/api/v4/mapping/" + BIG, apiKey=variant.api_key).json()
        data_mapping = get(
            variant, "/api/v4/mapping/mektepter_kontingenti", apiKey=variant.api_key
        ).json()
        records = data(variant, {"size": 3}, "mektepter_kontingenti", "data").json()
        gone_v1 = data(variant, {"size": 3}, "mektepter_kontingenti", "v1").json()
        keyless = get(variant, f"/api/detailed/{BIG}/v1", source='{"size": 2}')
        keyless_v4 = get(variant, f"/api/v4/{BIG}/v1", source='{"size": 2}')
        dated = data(variant, {"size": 2}).json()["data"]
        unknown = {
            uri: get(variant, f"/meta/{uri}/{scenario.by_uri[uri].latest_version}").json()
            for uri in variant.unknown_periodicity_uris
        }
    # every other catalogue entry is date-only with the offset, the others ISO times with it
    created = [entry["createdDate"] for entry in first]
    assert [len(c) for c in created] == [16, 25, 16, 25] and all(
        c.endswith("+06:00") for c in created
    )
    assert all("modifiedDate" not in e and e["owner"] == {} for e in first)
    assert mapping[BIG]["mappings"]["v1"]["properties"]["modified"] == {"type": "string"}
    assert mapping[BIG]["mappings"]["v1"]["properties"]["id"] == {"type": "long"}
    assert list(data_mapping["mektepter_kontingenti"]["mappings"]) == ["data"]
    assert records["totalCount"] == 1_250 and gone_v1["code"] == 404
    assert keyless.status_code == 200 and keyless_v4.status_code == 403
    assert all(len(r["modified"]) == 16 and r["modified"].endswith("+06:00") for r in dated)
    assert len(unknown) == 4
    assert {p["periodicity"] for p in unknown.values()} == {"ежемесячно", "by request"}


def test_the_implausible_date_knob_dates_a_dataset_2099(scenario):
    uri = "zhol_zhondeu_zhumystary"  # v1 and v2; v2 has the modification field updated_at
    knobs = Knobs(implausible_date_uris=(uri,), offset_dates=True)
    with OpendataSandbox(scenario, knobs=knobs) as variant:
        entries = get(variant, "/datasets/getdatasets", page=1, count=500).json()["datasets"]
        pages = [get(variant, "/datasets/getdatasets", page=n, count=500) for n in range(2, 7)]
        entries += [d for page in pages for d in page.json()["datasets"]]
        latest = get(variant, f"/meta/{uri}/v2").json()
        older = get(variant, f"/meta/{uri}/v1").json()
        v2 = data(variant, {"size": 100}, uri, "v2", key=variant.api_key).json()["data"]
        v1 = data(variant, {"size": 100}, uri, "v1", key=variant.api_key).json()["data"]
    (entry,) = [e for e in entries if e["apiUri"] == uri]
    assert entry["modifiedDate"].startswith("2099-01-01")
    assert [e["apiUri"] for e in entries if e["modifiedDate"].startswith("2099")] == [uri]
    assert latest["modifiedDate"].startswith("2099-01-01")
    assert not older["modifiedDate"].startswith("2099")
    assert [r["id"] for r in v2 if r["updated_at"].startswith("2099")] == [v2[-1]["id"]]
    assert not any(str(value).startswith("2099") for r in v1 for value in r.values())


# --- faults -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("knob", "fault", "statuses"),
    [
        ("error_rate", Fault.ERROR, {500, 503}),
        ("rate_limit_rate", Fault.RATE_LIMIT, {429}),
        ("disguised_error_rate", Fault.DISGUISED, {200}),
        ("empty_rate", Fault.EMPTY, {204}),
    ],
)
def test_each_fault_knob(scenario, knob, fault, statuses):
    with OpendataSandbox(scenario, knobs=Knobs(**{knob: 1.0}, retry_after=3)) as faulty:
        robots = get(faulty, "/robots.txt")
        answers = [
            get(faulty, "/datasets/getdatasets"),
            get(faulty, f"/meta/{BIG}/v1"),
            get(faulty, f"/api/v4/mapping/{BIG}", apiKey=faulty.api_key),
        ]
        unauthorised = get(faulty, f"/api/v4/mapping/{BIG}")
    assert robots.status_code == 200  # faults never touch robots.txt
    assert unauthorised.status_code == 403  # the key is checked first
    for answer in answers:
        assert answer.status_code in statuses
        if fault is Fault.RATE_LIMIT:
            assert answer.headers["Retry-After"] == "3"
        if fault is Fault.DISGUISED:
            assert set(answer.json()) == {"code", "message"}
        if fault is Fault.EMPTY:
            assert answer.content == b""
    assert [r.fault for r in faulty.requests][1:4] == [fault] * 3


def test_fault_sequence_depends_on_the_seed_only(scenario):
    def statuses(seed):
        knobs = Knobs(error_rate=0.3, empty_rate=0.2, fault_seed=seed)
        with OpendataSandbox(scenario, knobs=knobs) as faulty:
            return [get(faulty, f"/meta/{BIG}/v1").status_code for _ in range(30)]

    assert statuses(1) == statuses(1)
    assert statuses(1) != statuses(2)
    assert {200, 204} <= set(statuses(1))


def test_knobs_are_validated():
    with pytest.raises(ValueError):
        Knobs(error_rate=0.7, empty_rate=0.5)
    with pytest.raises(ValueError):
        Knobs(result_window=0)
    with pytest.raises(ValueError, match="404 or 405"):
        Knobs(catalogue_get_status=500)
    with pytest.raises(ValueError, match="not in the scenario"):
        OpendataSandbox(build_scenario(), knobs=Knobs(data_version_uris=("no_such",)))
    with pytest.raises(ValueError, match="implausible_date_uris not in the scenario"):
        OpendataSandbox(build_scenario(), knobs=Knobs(implausible_date_uris=("no_such",)))


# --- command line and watch list ------------------------------------------------------------


def test_help_describes_every_knob():
    result = subprocess.run(
        [sys.executable, "-m", "sandbox.opendata", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    for flag in (
        "--port",
        "--seed",
        "--api-key",
        "--crawl-delay",
        "--error-rate",
        "--rate-limit-rate",
        "--retry-after",
        "--disguised-error-rate",
        "--empty-rate",
        "--result-window",
        "--fault-seed",
        "--data-version",
        "--es2-mappings",
        "--offset-dates",
        "--catalogue-get-status",
        "--keyless-detailed",
        "--unknown-periodicities",
        "--drop-catalogue-field",
        "--implausible-date",
        "--body-bytes-per-second",
        "--body-padding-mb",
        "--api-redirect-to",
        "--echo-request-in-errors",
        "--total-cap",
    ):
        assert flag in result.stdout


def test_flags_become_knobs():
    args = build_parser().parse_args(
        [
            "--error-rate",
            "0.1",
            "--rate-limit-rate",
            "0.05",
            "--retry-after",
            "2",
            "--disguised-error-rate",
            "0.02",
            "--empty-rate",
            "0.01",
            "--result-window",
            "500",
            "--fault-seed",
            "9",
            "--crawl-delay",
            "1",
            "--data-version",
            "a1",
            "--data-version",
            "b2",
            "--es2-mappings",
            "--offset-dates",
            "--catalogue-get-status",
            "405",
            "--keyless-detailed",
            "--unknown-periodicities",
            "7",
            "--drop-catalogue-field",
            "modifiedDate",
            "--implausible-date",
            "zhol_zhondeu_zhumystary",
            "--body-bytes-per-second",
            "200",
            "--body-padding-mb",
            "1.5",
            "--api-redirect-to",
            "http://elsewhere.test:8080",
            "--echo-request-in-errors",
            "--total-cap",
            "10000",
        ]
    )
    assert knobs_from_args(args) == Knobs(
        crawl_delay=1,
        error_rate=0.1,
        rate_limit_rate=0.05,
        retry_after=2,
        disguised_error_rate=0.02,
        empty_rate=0.01,
        result_window=500,
        fault_seed=9,
        data_version_uris=("a1", "b2"),
        es2_mappings=True,
        offset_dates=True,
        catalogue_get_status=405,
        keyless_detailed=True,
        unknown_periodicities=7,
        dropped_catalogue_fields=("modifiedDate",),
        implausible_date_uris=("zhol_zhondeu_zhumystary",),
        body_bytes_per_second=200,
        body_padding_mb=1.5,
        api_redirect_to="http://elsewhere.test:8080",
        echo_request_in_errors=True,
        total_cap=10_000,
    )
    assert knobs_from_args(build_parser().parse_args([])) == Knobs()


def test_main_serves_until_stopped(capsys):
    stop = threading.Event()
    thread = threading.Thread(
        target=main, args=(["--port", "0", "--api-key", "k"],), kwargs={"stop": stop}
    )
    thread.start()
    try:
        for _ in range(100):
            if "Open-data sandbox at" in capsys.readouterr().out:
                break
            stop.wait(0.05)
        else:
            pytest.fail("the sandbox did not announce itself")
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_watch_file_lists_the_datasets_with_records(scenario):
    lines = [
        line.split(",")[0]
        for line in WATCH_FILE.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith(("#", "api_uri"))
    ]
    assert sorted(lines) == sorted({uri for uri, _ in scenario.records})
