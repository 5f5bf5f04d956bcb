"""Set up a virtual environment and run the project's jobs: ``python3.11 dev.py test`` or ``demo``.

Each command creates (or reuses, when ``pyproject.toml`` is unchanged) its own virtual environment and
installs the package with its ``local`` and ``dev`` extras into it, so nothing depends on what the
machine happens to have installed.
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


def venv_dir(airflow: str) -> Path:
    """The virtual environment used for one Airflow line."""
    return ROOT / (".venv" if airflow == "3" else f".venv-airflow{airflow}")


def ensure_env(airflow: str) -> Path:
    """Create the virtual environment for ``airflow`` and install the package; return its python."""
    env = venv_dir(airflow)
    python = env / "bin" / "python"
    wanted = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + " ".join(AIRFLOW_PINS[airflow]).encode()
    ).hexdigest()
    stamp = env / ".installed"
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    if not python.exists():
        print(f"[dev] creating {env.name}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    pins = " ".join(AIRFLOW_PINS[airflow])
    print(f"[dev] installing airflow-mm-provider with {pins} into {env.name}", flush=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "uv"], check=True
    )
    subprocess.run(
        [
            str(env / "bin" / "uv"),
            "pip",
            "install",
            "-q",
            "--python",
            str(python),
            "-e",
            f"{ROOT}[local,dev]",
            *AIRFLOW_PINS[airflow],
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


def run_tests(airflow: str, pytest_args: list[str]) -> int:
    """Run the test suite under the given Airflow line."""
    python = ensure_env(airflow)
    version = subprocess.run(
        [str(python), "-c", "import airflow; print(airflow.__version__)"], capture_output=True, text=True
    ).stdout.strip()
    print(f"[dev] running tests on Airflow {version}", flush=True)
    with tempfile.TemporaryDirectory(prefix="mm-airflow-home-") as home:
        return subprocess.run(
            [str(python), "-m", "pytest", "-p", "no:cacheprovider", *pytest_args],
            cwd=ROOT,
            env=airflow_environment(home),
        ).returncode


def run_demo(airflow: str, keep: bool = False) -> int:
    """Run the example DAGs end to end against the local Model Monitor service (``example_dags/demo.py``).

    :param airflow: the Airflow line.
    :param keep: keep the Airflow home and leave mm-local running with its state there, to look around after.
    """
    python = ensure_env(airflow)
    demo = [str(python), str(ROOT / "example_dags" / "demo.py"), *(["--keep"] if keep else [])]
    if keep:
        home = tempfile.mkdtemp(prefix="mm-demo-")
        env = {**airflow_environment(home), "AIRFLOW__CORE__UNIT_TEST_MODE": "False"}
        return subprocess.run(demo, cwd=ROOT, env=env).returncode
    with tempfile.TemporaryDirectory(prefix="mm-airflow-home-") as home:
        env = {**airflow_environment(home), "AIRFLOW__CORE__UNIT_TEST_MODE": "False"}
        return subprocess.run(demo, cwd=ROOT, env=env).returncode


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen job."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("job", choices=["test", "demo"], help="what to run")
    parser.add_argument(
        "--airflow", choices=sorted(AIRFLOW_PINS), default="3", help="Airflow line (default 3)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="demo: leave mm-local running and keep its state to look around"
    )
    args, rest = parser.parse_known_args(argv)
    if args.job == "test":
        return run_tests(args.airflow, rest)
    return run_demo(args.airflow, args.keep)


if __name__ == "__main__":
    sys.exit(main())
