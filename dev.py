"""Set up a virtual environment and run the project's jobs: ``python3.11 dev.py test`` or ``demo``.

Each command creates (or reuses, when ``pyproject.toml`` is unchanged) its own virtual environment and
installs the package with its ``local`` and ``dev`` extras into it, so nothing depends on what the
machine happens to have installed. ``test --lowest`` installs the lowest versions ``pyproject.toml`` allows
for every direct dependency (so the floors are tested) into ``.venv-lowest`` (with ``--airflow 3``: the
lowest Airflow 3, into ``.venv-lowest-3``). ``test`` on the newest Airflow 3
environment type-checks the package with mypy before running pytest.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
AIRFLOW_PINS = {
    "3": ("apache-airflow>=3.1,<4",),
    # Airflow 2.11 sets an attribute on cryptography's MultiFernet, which cryptography 51 made a Rust class
    # that refuses it: every encrypted connection then fails. Airflow's own 2.11 constraints predate 51.
    "2.11": ("apache-airflow==2.11.*", "cryptography<51"),
}
LOWEST = "lowest"
"""Prefix of the environments of ``test --lowest``: every direct dependency at its floor, on one Airflow
line (``lowest`` on the 2.11 line, floor 2.11.0; ``lowest-3`` on the Airflow 3 line, floor 3.1.3)."""
LOWEST_AIRFLOW = {"2.11": (), "3": ("apache-airflow>=3.1",)}
"""Requirements that move the lowest resolution onto an Airflow line (2.11 is the package's own floor; on
the 3 line, ``pyproject.toml`` excludes the releases below 3.1.3)."""
LOWEST_CONSTRAINTS = {"2.11": ("cryptography<51",), "3": ("cryptography<51", "pyjwt<2.11")}
"""Constraints on indirect dependencies for the lowest environment of each Airflow line, kept out of the
requirements so that the lowest-direct resolution does not pick their oldest versions: cryptography as in the
2.11 pin above, and on the 3 line PyJWT, because Airflow 3.1.3 signs its API tokens with an empty list as
issuer when none is configured, which PyJWT 2.11 refuses (later Airflow releases leave the issuer out; Airflow
2.11.0 needs a PyJWT that has ``jwt.types.Options``, so the 2.11 line keeps the newest)."""


def lowest_line(airflow: str) -> str:
    """The Airflow line of a lowest environment (``lowest`` or ``lowest-3``)."""
    return "3" if airflow.endswith("-3") else "2.11"


def venv_dir(airflow: str) -> Path:
    """The virtual environment used for one Airflow line, or for :data:`LOWEST`."""
    if airflow.startswith(LOWEST):
        return ROOT / f".venv-{airflow}"
    return ROOT / (".venv" if airflow == "3" else f".venv-airflow{airflow}")


def install_options(airflow: str, env: Path) -> list[str]:
    """The ``uv pip install`` arguments beyond the package itself for one environment."""
    if not airflow.startswith(LOWEST):
        return list(AIRFLOW_PINS[airflow])
    line = lowest_line(airflow)
    constraints = env / "constraints.txt"
    constraints.write_text("".join(f"{constraint}\n" for constraint in LOWEST_CONSTRAINTS[line]))
    # --upgrade: resolve afresh, so that a raised floor moves an installed package to it
    return [
        *LOWEST_AIRFLOW[line],
        "--resolution",
        "lowest-direct",
        "--upgrade",
        "--constraints",
        str(constraints),
    ]


def ensure_env(airflow: str) -> Path:
    """Create the virtual environment for ``airflow`` (a line or :data:`LOWEST`), install the package, and
    return its python."""
    env = venv_dir(airflow)
    python = env / "bin" / "python"
    pins = AIRFLOW_PINS.get(airflow) or LOWEST_CONSTRAINTS[lowest_line(airflow)]
    wanted = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + " ".join((airflow, *pins)).encode()
    ).hexdigest()
    stamp = env / ".installed"
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    if not python.exists():
        print(f"[dev] creating {env.name}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    how = "the lowest allowed versions" if airflow.startswith(LOWEST) else " ".join(pins)
    print(f"[dev] installing airflow-mm-provider with {how} into {env.name}", flush=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "uv"], check=True
    )
    subprocess.run(
        [
            str(env / "bin" / "uv"),
            "pip",
            "install",
            "-q",
            # bytecode at install, as pip writes it: tests run with PYTHONDONTWRITEBYTECODE, so every Airflow
            # or mm-local process they start would otherwise compile each module it imports again
            "--compile-bytecode",
            "--python",
            str(python),
            "-e",
            f"{ROOT}[local,dev]",
            *install_options(airflow, env),
        ],
        check=True,
    )
    stamp.write_text(wanted)
    return python


def airflow_environment(home: str) -> dict[str, str]:
    """Environment for running Airflow in a throwaway home with no examples and no real AWS."""
    env = dict(os.environ)
    env.update(
        AIRFLOW_HOME=home,
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__UNIT_TEST_MODE="True",
        AWS_DEFAULT_REGION=env.get("AWS_DEFAULT_REGION", "us-east-1"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def run_mypy(python: Path) -> int:
    """Type-check the package with the settings in ``pyproject.toml``; return mypy's exit code."""
    print("[dev] type-checking with mypy", flush=True)
    return subprocess.run([str(python), "-m", "mypy"], cwd=ROOT).returncode


WORKERS = ("--numprocesses", "2", "--dist", "loadfile")
"""pytest-xdist options of ``test`` unless the command line sets its own: two workers (the CI machine's
cores), each test file on one worker, so a module's fixtures (the demo the view's browser test runs) are set
up once."""


def pytest_command(python: Path, pytest_args: list[str]) -> list[str]:
    """The pytest command line of ``test``: :data:`WORKERS` unless ``pytest_args`` chooses workers itself
    (``-n``/``--numprocesses``, or ``-p no:xdist``)."""
    chosen = any(arg.startswith(("-n", "--numprocesses")) or arg == "no:xdist" for arg in pytest_args)
    return [str(python), "-m", "pytest", "-p", "no:cacheprovider", *(() if chosen else WORKERS), *pytest_args]


def run_tests(airflow: str, pytest_args: list[str]) -> int:
    """Run the test suite under the given Airflow line or :data:`LOWEST`, after mypy on Airflow 3.

    mypy runs only on the newest Airflow 3 environment: types are checked against one set of stubs, the one
    users get by default.
    """
    python = ensure_env(airflow)
    if airflow == "3" and (code := run_mypy(python)):
        return code
    version = subprocess.run(
        [str(python), "-c", "import airflow; print(airflow.__version__)"], capture_output=True, text=True
    ).stdout.strip()
    print(f"[dev] running tests on Airflow {version}", flush=True)
    with tempfile.TemporaryDirectory(prefix="mm-airflow-home-") as home:
        return subprocess.run(
            pytest_command(python, pytest_args),
            cwd=ROOT,
            env=airflow_environment(home),
        ).returncode


def demo_command(python: Path, *options: str) -> list[str]:
    """The command that runs ``example_dags/demo.py`` with ``python`` and the demo's ``options``."""
    return [str(python), str(ROOT / "example_dags" / "demo.py"), *options]


def demo_environment(home: str) -> dict[str, str]:
    """Environment of the demo in the Airflow home ``home``: a real (not unit-test) Airflow configuration."""
    return {**airflow_environment(home), "AIRFLOW__CORE__UNIT_TEST_MODE": "False"}


def run_demo(airflow: str, keep: bool = False) -> int:
    """Run the example DAGs end to end against the local Model Monitor service (``example_dags/demo.py``).

    :param airflow: the Airflow line.
    :param keep: keep the Airflow home and leave mm-local running with its state there, to look around after.
    """
    python = ensure_env(airflow)
    if keep:
        home = tempfile.mkdtemp(prefix="mm-demo-")
        return subprocess.run(demo_command(python, "--keep"), cwd=ROOT, env=demo_environment(home)).returncode
    with tempfile.TemporaryDirectory(prefix="mm-airflow-home-") as home:
        return subprocess.run(demo_command(python), cwd=ROOT, env=demo_environment(home)).returncode


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen job."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("job", choices=["test", "demo"], help="what to run")
    parser.add_argument("--airflow", choices=sorted(AIRFLOW_PINS), help="Airflow line (default 3)")
    parser.add_argument(
        "--lowest",
        action="store_true",
        help="test: the lowest versions pyproject.toml allows on the Airflow line (default 2.11)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="demo: leave mm-local running and keep its state to look around"
    )
    args, rest = parser.parse_known_args(argv)
    if args.lowest and args.job != "test":
        parser.error("--lowest goes with test only")
    airflow = args.airflow or "3"
    if args.job == "test" and args.lowest:
        return run_tests(LOWEST if (args.airflow or "2.11") == "2.11" else f"{LOWEST}-3", rest)
    if args.job == "test":
        return run_tests(airflow, rest)
    return run_demo(airflow, args.keep)


if __name__ == "__main__":
    sys.exit(main())
