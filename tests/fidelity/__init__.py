"""Fidelity to the real service: each test pins one documented or observed behaviour and cites its source."""
