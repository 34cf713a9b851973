"""Tests of the runtime and deployment files: scripts/dev.py, docker-compose.yml, Dockerfile
and the production settings."""
