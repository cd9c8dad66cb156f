"""The documentation keeps up with the code: docs/configuration.md's table lists every setting
tyndau.settings reads and nothing else, docs/operations.md's command table every `tyndau`
command and nothing else, and every `make` target the docs name exists in the Makefile."""

from __future__ import annotations

import re

import click

from tyndau.cli import main
from tyndau.settings import PROJECT_DIR, load_settings

DOCS = PROJECT_DIR / "docs"
# a table row whose first cell is one setting's name: | `NAME` | meaning | default |
SETTING_ROW = re.compile(r"^\| `([A-Z][A-Z0-9_]*)` \|", re.MULTILINE)
# a table row whose first cell is a command line: | `tyndau …` | what it does |
COMMAND_ROW = re.compile(r"^\| `(tyndau [^`]*)` \|", re.MULTILINE)
OPTIONS = re.compile(r"\[[^\]]*\]")
# `make demo` in prose, and make at the start of a shell line or after &&
MAKE_CALL = re.compile(r"(?:^|`|&& )make ([a-z][\w-]*)", re.MULTILINE)


class RecordingEnvironment(dict):
    """An empty environment that notes every name it is asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, name, default=None):
        self.asked.add(name)
        return super().get(name, default)


def settings_read() -> set[str]:
    environment = RecordingEnvironment()
    load_settings(environment)
    return environment.asked


def test_configuration_lists_every_setting_read_and_no_other():
    read = settings_read()
    assert {"WAREHOUSE_URL", "DIALOG_BLOGS_FILE", "TASK_TIMEOUT_MINUTES"} <= read
    documented = SETTING_ROW.findall((DOCS / "configuration.md").read_text(encoding="utf-8"))
    assert len(documented) == len(set(documented)), "a setting is listed twice"
    assert read - set(documented) == set(), "settings read but not in docs/configuration.md"
    assert set(documented) - read == set(), "docs/configuration.md lists settings never read"


def leaf_commands(group: click.Group, path: tuple[str, ...] = ("tyndau",)) -> set[tuple]:
    leaves = set()
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            leaves |= leaf_commands(command, (*path, name))
        elif not command.hidden:
            leaves.add((*path, name))
    return leaves


def documented_commands(text: str) -> set[tuple]:
    """`tyndau warehouse start \\| stop` documents both; options (`[--port 8080]`) are skipped."""
    commands = set()
    for cell in COMMAND_ROW.findall(text):
        words = OPTIONS.sub("", cell).replace("\\|", "|").split()
        group, alternatives = words[:-1], [words[-1]]
        if "|" in words:
            first = words.index("|") - 1
            group, alternatives = words[:first], [w for w in words[first:] if w != "|"]
        commands |= {(*group, name) for name in alternatives}
    return commands


def test_the_command_table_reader_splits_alternatives_and_skips_options():
    text = (
        "| `tyndau run [--full-refresh]` | … |\n"
        "| `tyndau warehouse start \\| stop` | … |\n"
        "| `tyndau probe dialog [--blog BLOG_ID …]` | … |\n"
    )
    assert documented_commands(text) == {
        ("tyndau", "run"),
        ("tyndau", "warehouse", "start"),
        ("tyndau", "warehouse", "stop"),
        ("tyndau", "probe", "dialog"),
    }


def test_operations_lists_every_command_and_no_other():
    commands = leaf_commands(main)
    assert {("tyndau", "run"), ("tyndau", "warehouse", "remask")} <= commands
    documented = documented_commands((DOCS / "operations.md").read_text(encoding="utf-8"))
    assert commands - documented == set(), "commands missing from docs/operations.md"
    assert documented - commands == set(), "docs/operations.md lists commands that do not exist"


def test_every_make_target_the_docs_name_exists():
    makefile = (PROJECT_DIR / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([\w.][\w./-]*):", makefile, re.MULTILINE))
    assert {"demo", "test", "lint", "bench"} <= targets
    pages = [PROJECT_DIR / "README.md", *sorted(DOCS.glob("*.md"))]
    named = {
        (page.name, target)
        for page in pages
        for target in re.findall(MAKE_CALL, page.read_text(encoding="utf-8"))
    }
    assert {name for _, name in named} >= {"demo", "test"}
    assert {(page, t) for page, t in named if t not in targets} == set()
