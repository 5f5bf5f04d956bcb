"""The provider registers with Airflow and every module it lists imports."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from importlib.metadata import entry_points, metadata

from airflow_mm_provider.get_provider_info import get_provider_info


def _listed_modules() -> list[str]:
    info = get_provider_info()
    return [
        m
        for key in ("hooks", "operators", "sensors", "triggers")
        for e in info.get(key, [])
        for m in e["python-modules"]
    ]


def test_entry_point_points_at_get_provider_info():
    eps = [
        ep
        for ep in entry_points(group="apache_airflow_provider")
        if ep.value.startswith("airflow_mm_provider")
    ]
    assert len(eps) == 1
    assert eps[0].load() is get_provider_info


def test_every_listed_module_and_link_imports():
    info = get_provider_info()
    assert info["package-name"] == "airflow-mm-provider"
    modules = _listed_modules()
    assert "airflow_mm_provider.hooks.model_monitor" in modules
    for name in modules:
        importlib.import_module(name)
    for path in info.get("extra-links", []):
        module, _, cls = path.rpartition(".")
        assert hasattr(importlib.import_module(module), cls), path


def test_airflow_providers_list_shows_the_provider():
    out = subprocess.run(
        [sys.executable, "-m", "airflow", "providers", "list", "-o", "json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    listing = next(line for line in out.splitlines() if line.startswith("[{"))
    providers = json.loads(listing)
    assert "airflow-mm-provider" in {p["package_name"] for p in providers}


def test_every_module_defining_a_public_operator_sensor_trigger_or_hook_is_listed():
    import inspect
    import pkgutil

    from airflow.providers.common.compat.sdk import BaseHook, BaseOperator
    from airflow.triggers.base import BaseTrigger

    listed = set(_listed_modules())
    defining = set()
    for layer in ("hooks", "operators", "sensors", "triggers"):
        package = importlib.import_module(f"airflow_mm_provider.{layer}")
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            for name, value in vars(module).items():
                if (
                    inspect.isclass(value)
                    and value.__module__ == module.__name__
                    and not name.startswith("_")
                    and "Base" not in name
                    and issubclass(value, (BaseOperator, BaseTrigger, BaseHook))
                ):
                    defining.add(module.__name__)
    assert defining <= listed
    assert {"airflow_mm_provider.operators.branch", "airflow_mm_provider.sensors.execution"} <= defining


def test_no_documentation_url_is_declared_until_a_public_one_exists():
    """Admin → Providers links a provider to the ``Documentation`` project URL of its package metadata
    (Airflow 2.11; Airflow 3 from the release that puts ``documentation-url`` in the provider data, 3.3 here).
    The package has no public documentation page yet, so it declares none rather than a made-up one."""
    from airflow.providers_manager import ProvidersManager

    urls = metadata("airflow-mm-provider").get_all("Project-URL") or []
    assert [url for url in urls if url.partition(",")[0].strip().lower() == "documentation"] == []
    data = ProvidersManager().providers["airflow-mm-provider"].data
    assert data.get("documentation-url") is None  # nor from get_provider_info (3.3 overwrites it anyway)
