"""``dev.py``: the lowest-versions environment and its command line."""

from __future__ import annotations

import re
from importlib.metadata import requires
from pathlib import Path

import pytest

import dev


def test_the_lowest_environment_resolves_direct_dependencies_to_their_floors(tmp_path: Path) -> None:
    options = dev.install_options(dev.LOWEST, tmp_path)
    assert options[options.index("--resolution") + 1] == "lowest-direct"
    constraints = Path(options[options.index("--constraints") + 1])
    assert constraints.read_text().splitlines() == ["cryptography<51"]
    assert not set(dev.LOWEST_CONSTRAINTS["2.11"]) & set(options)
    assert dev.venv_dir(dev.LOWEST).name == ".venv-lowest"
    assert not any(option.startswith("apache-airflow") for option in options)


def test_the_lowest_airflow_3_environment_starts_the_line_at_its_floor(tmp_path: Path) -> None:
    options = dev.install_options(f"{dev.LOWEST}-3", tmp_path)
    assert options[0] == "apache-airflow>=3.1"
    assert options[options.index("--resolution") + 1] == "lowest-direct"
    constraints = Path(options[options.index("--constraints") + 1])
    assert constraints.read_text().splitlines() == ["cryptography<51", "pyjwt<2.11"]
    assert dev.venv_dir(f"{dev.LOWEST}-3").name == ".venv-lowest-3"


@pytest.mark.parametrize(
    ("argv", "environment"), [(["--lowest"], "lowest"), (["--lowest", "--airflow", "3"], "lowest-3")]
)
def test_lowest_picks_the_environment_of_the_airflow_line(
    argv: list[str], environment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen: list[str] = []
    monkeypatch.setattr(dev, "run_tests", lambda airflow, rest: chosen.append(airflow) or 0)
    assert dev.main(["test", *argv, "-k", "x"]) == 0
    assert chosen == [environment]


def test_an_airflow_line_installs_its_pins(tmp_path: Path) -> None:
    assert dev.install_options("2.11", tmp_path) == list(dev.AIRFLOW_PINS["2.11"])
    assert dev.venv_dir("3").name == ".venv" and dev.venv_dir("2.11").name == ".venv-airflow2.11"


@pytest.mark.parametrize("argv", [["demo", "--lowest"]])
def test_lowest_goes_with_test_alone(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        dev.main(argv)
    assert exit_.value.code == 2 and "--lowest goes with test only" in capsys.readouterr().err


def test_every_direct_dependency_has_a_floor() -> None:
    """A requirement without a lower bound would make the lowest run install a version from long ago."""
    installed = requires("airflow-mm-provider") or []
    tested = [
        text
        for text in installed
        if not re.search(r"extra == .(?!local|dev|engine)", text)
        and not text.startswith("airflow-mm-provider")
    ]
    assert len(tested) > 10
    assert [text for text in tested if not re.search(r">=\s*\d", text)] == []


@pytest.mark.parametrize(
    ("args", "workers"),
    [
        (["tests/test_dev.py"], True),
        (["-n", "4"], False),
        (["-n4"], False),
        (["--numprocesses=auto"], False),
        (["-p", "no:xdist", "-k", "x"], False),
    ],
)
def test_tests_run_on_two_workers_unless_the_command_line_chooses(args: list[str], workers: bool) -> None:
    command = dev.pytest_command(Path("python"), args)
    assert command[:5] == ["python", "-m", "pytest", "-p", "no:cacheprovider"]
    assert command[-len(args) :] == args
    assert (command[5 : 5 + len(dev.WORKERS)] == list(dev.WORKERS)) is workers
