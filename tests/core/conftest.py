"""Core fixtures: ``default_db`` (tests/conftest.py) is the database built once per session."""
