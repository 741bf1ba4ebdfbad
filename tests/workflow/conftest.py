"""Fixtures of the workflow tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oclip.workflow import _replay

from ._support import StepCounter, out_of_memory_operation, table_operation


@pytest.fixture
def table_op() -> Iterator[str]:
    """A table-returning operation, registered for the test only."""
    with table_operation() as name:
        yield name


@pytest.fixture
def out_of_memory_op() -> Iterator[str]:
    """An operation that raises oclip.DeviceMemoryError, registered for the test only."""
    with out_of_memory_operation() as name:
        yield name


@pytest.fixture
def step_counter(monkeypatch: pytest.MonkeyPatch) -> StepCounter:
    """Counts how often each step's operation runs."""
    counter = StepCounter()
    monkeypatch.setattr(_replay, "_call", counter.wrap(_replay._call))
    return counter
