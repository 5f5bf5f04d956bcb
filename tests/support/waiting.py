"""Waiting for background work in tests: poll until a condition holds, or fail saying what was last seen."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(fetch: Callable[[], T], done: Callable[[T], bool], what: str, timeout: float = 60.0) -> T:
    """Call ``fetch`` every 20 ms until ``done`` holds for its value, and return that value.

    The timeout is generous (a loaded 2-core CI machine); on expiry the failure names ``what`` and the last
    value seen.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still not so after {timeout:g} s; last seen: {value!r}")
        time.sleep(0.02)
