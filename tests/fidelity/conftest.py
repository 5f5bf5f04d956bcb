"""The local-service fixtures (fake engine, service, clients) for fidelity tests, shared with tests/local."""

from tests.local.conftest import engine, mm, s3, sm

__all__ = ["engine", "mm", "s3", "sm"]
