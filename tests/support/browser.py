"""The Model Monitor view in headless Chromium, served by an Airflow 3 API server on 127.0.0.1.

The browser tests share this: an ``airflow api-server`` over a throwaway AIRFLOW_HOME whose database holds
recorded executions, with the simple auth manager making every user an admin (so the browser needs no
login); Chromium loads a page and returns its DOM once the page settled, or takes a screenshot.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from airflow.providers.common.compat.version_compat import AIRFLOW_V_3_0_PLUS

from tests.support.scheduler import AIRFLOW, AirflowDeployment, stop_process_groups

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PLUGIN = "from airflow_mm_provider.ui.plugin import ModelMonitorPlugin  # noqa: F401\n"
ALL_ADMINS_PLUGIN = """
from airflow.api_fastapi.auth.managers.simple.services.login import SimpleAuthManagerLogin
from airflow.plugins_manager import AirflowPlugin


class AllAdmins:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            token = SimpleAuthManagerLogin.create_token_all_admins()
            scope = {**scope, "headers": [*scope["headers"], (b"authorization", f"Bearer {token}".encode())]}
        await self.app(scope, receive, send)


class AllAdminsPlugin(AirflowPlugin):
    name = "all_admins"
    fastapi_root_middlewares = [{"middleware": AllAdmins, "name": "all admins"}]
"""
"""A plugin that signs every request in as an admin, which Airflow 3.1's simple auth manager does only for
the UI's own login redirect; later releases do it for every request when all users are admins."""
VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
)


def browser_marks() -> list[pytest.MarkDecorator]:
    """The marks of a browser test module: skipped without Chromium (unless ``CI`` is set: there a missing
    Chromium is an error) and on Airflow 2, whose view is the Flask one."""
    if CHROMIUM is None and IN_CI:
        raise RuntimeError(
            "CI is set but chromium is missing: install Debian's chromium package (see .ci/run)"
        )
    return [
        pytest.mark.skipif(
            CHROMIUM is None, reason="headless Chromium is not installed (apt-get install chromium)"
        ),
        pytest.mark.skipif(not AIRFLOW_V_3_0_PLUS, reason="the browser test drives the Airflow 3 view"),
    ]


def plugin_installed(cwd: Path) -> bool:
    """Whether the package's ``airflow.plugins`` entry point is installed, as an Airflow process sees it: a
    fresh interpreter outside the repository, whose ``*.egg-info`` (left by an editable install) the test
    process sees on its path but the API server does not."""
    code = (
        "from importlib.metadata import entry_points\n"
        "points = entry_points(group='airflow.plugins')\n"
        "print(any(p.value.startswith('airflow_mm_provider.ui') for p in points))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip() == "True"


@dataclass
class Element:
    """One element of a dumped DOM.

    :param tag: the tag name.
    :param attrs: its attributes.
    :param within: the ids of its ancestors.
    :param texts: its descendant text nodes, in document order.
    """

    tag: str
    attrs: dict[str, str]
    within: tuple[str, ...]
    texts: list[str]


class Dom(HTMLParser):
    """The elements of a dumped DOM, and the page's text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[Element] = []
        self.text: list[str] = []
        self._open: list[Element] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        within = tuple(e.attrs["id"] for e in self._open if "id" in e.attrs)
        element = Element(tag, {name: value or "" for name, value in attrs}, within, [])
        self.elements.append(element)
        if tag not in VOID_ELEMENTS:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        while self._open and self._open.pop().tag != tag:
            pass

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for element in self._open:
            element.texts.append(data)

    def find(self, tag: str, within: str | None = None, **wanted: str) -> list[Element]:
        """The ``tag`` elements (inside the element of id ``within``) whose attributes have these values."""
        return [
            e
            for e in self.elements
            if e.tag == tag
            and (within is None or within in e.within)
            and all(e.attrs.get(k) == v for k, v in wanted.items())
        ]


class ViewServer:
    """An Airflow 3 API server on 127.0.0.1 over ``home``, serving the Model Monitor view to Chromium.

    :param home: the AIRFLOW_HOME whose database holds the recorded executions.
    :param dags_folder: the DAGs folder.
    :param artifacts: where screenshots go (and each page load's Chromium profile, removed after it).
    :param environment: extra variables for Airflow.
    """

    def __init__(
        self, home: Path, dags_folder: Path, artifacts: Path, environment: Mapping[str, str] | None = None
    ) -> None:
        """Prepare the deployment (and install the plugin in its plugins folder unless it is installed)."""
        self.home, self.artifacts = home, artifacts
        plugins = home / "plugins"
        plugins.mkdir(parents=True, exist_ok=True)
        if not plugin_installed(home):  # until the package registers its airflow.plugins entry point
            (plugins / "model_monitor.py").write_text(PLUGIN)
        if importlib.util.find_spec("airflow.api_fastapi.auth.managers.simple.middleware") is None:
            (plugins / "all_admins.py").write_text(ALL_ADMINS_PLUGIN)
        self.deployment = AirflowDeployment(
            home,
            dags_folder,
            {
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
                "AIRFLOW__CORE__PLUGINS_FOLDER": str(plugins),
                **(environment or {}),
            },
        )
        self.url = f"http://127.0.0.1:{self.deployment.env['AIRFLOW__API__PORT']}"

    @contextmanager
    def serving(self) -> Iterator[ViewServer]:
        """Run ``airflow api-server`` until the block ends (stopped even when it fails to start)."""
        try:
            with (self.home / "api-server.log").open("wb") as log:
                process = subprocess.Popen(
                    [AIRFLOW, "api-server"],
                    env=self.deployment.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            self.deployment.processes["api-server"] = process
            deadline = time.monotonic() + 120
            while not self._healthy():
                assert process.poll() is None, (self.home / "api-server.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "the API server did not answer in 120 s"
                time.sleep(1)
            yield self
        finally:
            self.deployment.stop()

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/api/v2/monitor/health", timeout=5):
                return True
        except OSError:
            return False

    def get_json(self, path: str) -> Any:
        """The JSON answer of the API server at ``path``."""
        with urllib.request.urlopen(self.url + path, timeout=30) as response:
            return json.load(response)

    def chromium(self, path: str, *, screenshot: str | None = None, height: int = 1600) -> str:
        """Load ``path`` in headless Chromium; the DOM once the page settled (or take a screenshot)."""
        assert CHROMIUM is not None
        profile = self.artifacts / f"profile-{time.monotonic_ns()}"
        flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=20000",
            f"--window-size=1400,{height}",
        ]
        output = ["--dump-dom"] if screenshot is None else [f"--screenshot={self.artifacts / screenshot}"]
        process = subprocess.Popen(
            [CHROMIUM, *flags, *output, self.url + path],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            dom, errors = process.communicate(timeout=120)
        finally:  # Chromium's helpers share its process group: none outlives the page
            stop_process_groups([process], grace=5)
            shutil.rmtree(profile, ignore_errors=True)
        assert process.returncode == 0, errors[-3000:]
        return dom

    def view(self, monitor: str, execution: str | None = None) -> Dom:
        """The view of ``monitor`` (with the execution scheduled at ``execution`` selected), once ready."""
        wanted = {"monitor": monitor, "limit": "48", **({"execution": execution} if execution else {})}
        dom = Dom(self.chromium(f"/model-monitor/#{urlencode(wanted)}"))
        (body,) = dom.find("body")
        assert body.attrs.get("data-state") == "ready", "".join(dom.text)[-2000:]
        return dom
