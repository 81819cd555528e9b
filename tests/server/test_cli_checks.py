"""A wrong ``--db`` or a taken port: one line on stderr, exit code 2, nothing created."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from observatory.server.cli import build_parser, main

# every command that opens the store, with the arguments it needs besides --db
COMMANDS = [
    ("serve",),
    ("demo",),
    ("keys", "list"),
    ("keys", "create", "--project", "p"),
    ("keys", "revoke", "1"),
    ("keys", "allow-keyless"),
    ("costs", "list"),
    ("costs", "set", "m", "--input", "1", "--output", "2"),
    ("costs", "delete", "m"),
    ("costs", "recalc"),
    ("retention", "--days", "30"),
]


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBSERVATORY_")}
    return subprocess.run(
        [sys.executable, "-m", "observatory.server.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _one_clear_line(done: subprocess.CompletedProcess[str] | Done, needle: str) -> None:
    assert done.returncode == 2, done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], done.stderr
    assert "Traceback" not in done.stderr


@dataclass
class Done:
    returncode: int
    stderr: str
    stdout: str


@pytest.fixture
def run_main(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Done]:
    """``observatory ARGS`` in this process, in an empty folder (fast: no interpreter start)."""
    monkeypatch.chdir(tmp_path)
    for name in [k for k in os.environ if k.startswith("OBSERVATORY_")]:
        monkeypatch.delenv(name)

    def run(*args: str) -> Done:
        code = main(list(args))
        out = capsys.readouterr()
        return Done(code, out.err, out.out)

    return run


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_db_in_a_missing_folder_is_one_line(
    tmp_path: Path, run_main: Callable[..., Done], command: tuple[str, ...]
) -> None:
    done = run_main(*command, "--db", f"sqlite:///{tmp_path}/missing/obs.db")
    _one_clear_line(done, "does not exist")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_plain_path_is_not_a_url(
    tmp_path: Path, run_main: Callable[..., Done], command: tuple[str, ...]
) -> None:
    done = run_main(*command, "--db", "qs.db")
    _one_clear_line(done, "sqlite:///qs.db")
    assert list(tmp_path.iterdir()) == []


def test_the_whole_command_says_it_in_one_line(tmp_path: Path) -> None:
    done = _run(tmp_path, "keys", "list", "--db", "qs.db")
    _one_clear_line(done, "--db takes a database URL, not a path")
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_is_not_a_database_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "notes.db").write_text("not sqlite\n" * 100)
    done = _run(tmp_path, "keys", "list", "--db", "sqlite:///notes.db")
    _one_clear_line(done, "not a database")


def test_a_taken_port_is_refused_before_the_store_is_created(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _run(tmp_path, "serve", "--db", "sqlite:///obs.db", "--port", str(port))
    _one_clear_line(done, f"port {port} on 127.0.0.1 is already in use")
    assert list(tmp_path.iterdir()) == []


def test_an_out_of_range_port_is_one_line(tmp_path: Path) -> None:
    done = _run(tmp_path, "serve", "--db", "sqlite:///obs.db", "--port", "70000")
    _one_clear_line(done, "--port must be from 0 to 65535")


def _all_actions(parser: object) -> list[tuple[str, object]]:
    import argparse

    assert isinstance(parser, argparse.ArgumentParser)
    found: list[tuple[str, object]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += [(f"{name} {where}", a) for where, a in _all_actions(sub)]
        elif not isinstance(action, argparse._HelpAction) and action.help != argparse.SUPPRESS:
            found.append((parser.prog, action))
    return found


def test_every_option_and_subcommand_has_help() -> None:
    import argparse

    parser = build_parser()
    missing = [where + " " + str(a.dest) for where, a in _all_actions(parser) if not a.help]
    assert missing == []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                assert choice.help, choice.dest
                sub = action.choices[choice.dest]
                for inner in sub._actions:
                    if isinstance(inner, argparse._SubParsersAction):
                        assert all(c.help for c in inner._choices_actions), choice.dest


def test_prices_and_durations_name_their_units() -> None:
    text = {" ".join(args): _help(*args) for args in (("costs", "set"), ("retention",), ("serve",))}
    assert text["costs set"].count("USD per 1M tokens") >= 4
    assert "days" in text["retention"]
    assert "bytes" in text["serve"] and "TCP port" in text["serve"]


def _help(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "observatory.server.cli", *args, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return " ".join(done.stdout.split())  # argparse wraps lines
