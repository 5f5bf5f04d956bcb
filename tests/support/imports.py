"""What importing something loads, measured in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys


def modules_loaded_by(statement: str, prefixes: tuple[str, ...]) -> list[str]:
    """The loaded modules whose names start with one of ``prefixes`` after ``statement`` runs in a fresh
    interpreter, sorted.

    :param statement: Python code, e.g. ``import airflow_mm_provider.runner``.
    :param prefixes: module name prefixes to report, e.g. ``("numpy", "airflow.")``.
    """
    report = f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({prefixes!r}))))"
    code = f"import json, sys\n{statement}\n{report}\n"
    printed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return list(json.loads(printed.strip().splitlines()[-1]))
