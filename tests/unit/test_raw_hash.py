"""Content hashes key every raw table: their bytes must never change, or landing an
observation already in raw would add it again. Pinned here as computed when they were first
landed."""

from __future__ import annotations

import json
import random
from pathlib import Path

from ingestion.common.raw import canonical_json, content_hash
from ingestion.dialog.parse import parse_listing

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dialog"
URL = "http://portal.test/blogs/294912/questions?page=1"


def test_canonical_json_is_sorted_compact_and_keeps_utf8():
    payload = {"b": [1, None, True], "a": {"z": 'Қазақстан\n"ok"\\', "y": 0.5}, "é": "\u2028\x7f"}
    assert canonical_json(payload) == (
        '{"a":{"y":0.5,"z":"Қазақстан\\n\\"ok\\"\\\\"},"b":[1,null,true],"é":"\u2028\x7f"}'
    )
    assert content_hash(payload) == (
        "5f01caf6683ae4d511115ef148990b387510a79d0fdb26f35a71d87854df6d66"
    )


def test_hashes_of_parsed_cards_are_those_already_landed():
    tricky = parse_listing((FIXTURES / "listing_tricky_text.html").read_text("utf-8"), URL)
    normal = parse_listing((FIXTURES / "listing_normal.html").read_text("utf-8"), URL)
    hashes = {c["question_id"]: content_hash(c) for c in [*tricky.cards, *normal.cards[:3]]}
    assert hashes == {
        801001: "3503f90a960317263c24efa97d03c5c3e41f80825355dfea3462daa4f5ba7b57",
        801000: "aeb10f1f954fc9999f0dcc499ec3c589069fd203e2ca43db68fd528f26931e5e",
        800999: "c3bef2f7a40abf944418212efa9f53d9f3d955ea748ec2c8a70588680beb767e",
        754740: "7e20c2a209f07bc8c9315bac41597c8b532b41fda2e0d41b382456ffa825efde",
        754738: "57e8525079baa00ec6e0e0a435bb2284f75efabcb3af725dc3f4e534b5bd780d",
        754737: "715b60233722bc0a3fbed35b69b72d178670810e572996775418d19fe6e0f09d",
    }


def _json_module(payload) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _random_plain(rng: random.Random, depth: int = 0):
    """Strings over awkward characters, ints, booleans, None, and lists and dicts of them."""
    chars = [chr(c) for c in [*range(0x250), *range(0x400, 0x500), 0x2028, 0xFFFF, 0x1F600]]
    pick = rng.random()
    if depth > 3 or pick < 0.4:
        return "".join(rng.choices(chars, k=rng.randint(0, 12)))
    if pick < 0.55:
        return rng.choice([0, -1, 7, 2**63, -(2**70), True, False, None])
    if pick < 0.75:
        return [_random_plain(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {
        "".join(rng.choices(chars, k=rng.randint(0, 5))): _random_plain(rng, depth + 1)
        for _ in range(rng.randint(0, 5))
    }


def test_the_fast_encoder_writes_what_the_json_module_writes():
    rng = random.Random(2026)
    for _ in range(5000):
        payload = {"k": _random_plain(rng)}
        assert canonical_json(payload) == _json_module(payload)


def test_floats_and_keys_that_are_not_strings_are_written_as_the_json_module_writes_them():
    for payload in (
        {"x": 1e16, "y": 1e-05, "z": [1.5e300, 0.1, -0.0]},
        {"n": {1: "one", 2: "two"}},
        {"t": ("a", 1), "nested": [{"f": 2.5}]},
    ):
        assert canonical_json(payload) == _json_module(payload)
    assert canonical_json({"x": 1e16}) == '{"x":1e+16}'  # msgspec alone would write 1e16
