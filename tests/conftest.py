"""Shared fixtures.  Tests run on the device oclip selects (OCLIP_DEVICE picks another)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import numpy as np
import pytest

import oclip
from oclip._backend import device as device_module

from ._helpers import random_image


def pytest_report_header(config: pytest.Config) -> str:
    wanted = os.environ.get(device_module.DEVICE_ENVIRONMENT_VARIABLE)
    try:
        device = oclip.current_device()
    except oclip.OclipError as error:
        return f"oclip device: none ({error})"
    return f"oclip device: {oclip._backend.describe(device)} (OCLIP_DEVICE={wanted!r})"


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261121)


@pytest.fixture
def make_image(rng: np.random.Generator) -> Callable[[tuple[int, ...], type], np.ndarray]:
    return lambda shape, dtype=np.float32: random_image(rng, shape, dtype)


@pytest.fixture
def restore_device() -> Iterator[None]:
    """Put the backend's device state back after a test that changes the selection."""
    state = device_module._state
    saved = (state.devices, dict(state.contexts), dict(state.failures), state.current)
    yield
    state.devices, contexts, failures, state.current = saved
    state.contexts.clear()
    state.contexts.update(contexts)
    state.failures.clear()
    state.failures.update(failures)
