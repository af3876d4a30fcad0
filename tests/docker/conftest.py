"""Fixtures of the container tests: images are built by run.sh before pytest starts; every
test cleans its containers, networks and volumes (by this run's label) when it ends."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dockerlib  # noqa: E402


@pytest.fixture(autouse=True)
def clean_containers():
    dockerlib.cleanup()
    yield
    dockerlib.cleanup()
