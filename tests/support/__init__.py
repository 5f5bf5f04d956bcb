"""Helpers shared by test modules in several directories (no tests here): import them, never a test module."""
