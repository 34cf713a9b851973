"""Developer tooling (see scripts/dev.py)."""
