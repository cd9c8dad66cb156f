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
    # Pinned anew when the record took the evidenced shape (registration number first, every
    # answer kept): a warehouse from before re-observes each appeal once, then never again.
    tricky = parse_listing((FIXTURES / "listing_tricky_text.html").read_text("utf-8"), URL)
    normal = parse_listing((FIXTURES / "listing_normal.html").read_text("utf-8"), URL)
    hashes = {c["number"]: content_hash(c) for c in [*tricky.cards, *normal.cards[:3]]}
    assert hashes == {
        "801001": "7b722fdbef98f2c2d30fe9a07b65802e8a51cc5c4ac86a002295bcf6c1cebc3f",
        "801000": "25ab877c5abee30f1a636fbd7773f049ec9809e60308363f417d6f281f2cb944",
        "800999": "2a28c6f47bb707da06d831abd0ea028fd105e78cb289d693326e7f20d161169d",
        "754740": "c919aa2f68fd3a0b615d1a2b9c822d9410b2f612491b462ddfea4a06d31869b1",
        "754738": "ff56d96e2fa59c0d08d3814951674981bf16e1c040e63eaeeba3664ef4d31411",
        "754737": "d0f7e6226faa109ea6d6bb1461058d87785d9d63dc73ef94a4e974b5f0d7a668",
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
