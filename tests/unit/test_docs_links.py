"""Every relative link in the project's markdown resolves to a file or folder that exists
(anchors are not checked): the README's front page and docs/ point into each other and into
the code, and a moved page or file must not leave a dead link behind."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from tyndau.settings import PROJECT_DIR

# Folders that hold tools' output or installed packages, not the project's documentation.
NOT_DOCUMENTATION = {"target", "logs", "dbt_packages", "node_modules"}

FENCED_BLOCK = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
# [text](target "title") and ![alt](target); the target may be wrapped in <…>
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def markdown_files() -> list[Path]:
    return sorted(
        path
        for path in PROJECT_DIR.rglob("*.md")
        if not any(
            part.startswith(".") or part in NOT_DOCUMENTATION or part.endswith(".egg-info")
            for part in path.relative_to(PROJECT_DIR).parts[:-1]
        )
    )


def relative_targets(text: str) -> list[str]:
    """The link targets of a markdown text that name a path: no URL, no bare anchor, nothing
    inside code."""
    prose = INLINE_CODE.sub("", FENCED_BLOCK.sub("", text))
    targets = INLINE_LINK.findall(prose) + REFERENCE_DEFINITION.findall(prose)
    return [t for t in targets if not SCHEME.match(t) and not t.startswith("#")]


def test_the_link_reader_finds_what_it_must_and_skips_the_rest():
    text = (
        "See [ops](docs/operations.md#alerts), ![shot](docs/report.png) and "
        '[cfg](<docs/configuration.md> "title").\n'
        "[ref]: ../registries/README.md\n"
        "[web](https://example.org/x.md), [anchor](#tests), `[code](not/a/link.md)`\n"
        "```\n[fenced](not/either.md)\n```\n"
    )
    assert relative_targets(text) == [
        "docs/operations.md#alerts",
        "docs/report.png",
        "docs/configuration.md",
        "../registries/README.md",
    ]


def test_the_front_page_and_docs_are_among_the_files_checked():
    checked = {path.relative_to(PROJECT_DIR).as_posix() for path in markdown_files()}
    assert {"README.md", "docs/configuration.md", "docs/operations.md"} <= checked
    assert not any(name.startswith(".venv/") for name in checked)


def test_every_relative_link_resolves():
    dead = []
    for path in markdown_files():
        for target in relative_targets(path.read_text(encoding="utf-8")):
            linked = path.parent / unquote(target.split("#", 1)[0])
            if not linked.exists():
                dead.append(f"{path.relative_to(PROJECT_DIR)}: {target}")
    assert not dead, "links to nothing:\n  " + "\n  ".join(dead)
