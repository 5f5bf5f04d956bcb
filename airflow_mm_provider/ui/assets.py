"""Where the view's page and static files (its script, style and the vendored chart library) live."""

from __future__ import annotations

from pathlib import Path

STATIC = Path(__file__).parent / "static"
"""The folder served as ``static/`` next to the page."""
INDEX = STATIC / "index.html"
"""The page; it loads everything else relative to its own URL, so it works under any prefix."""
