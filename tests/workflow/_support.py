"""Workflows, images and a temporary table-returning operation for the workflow tests."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

import oclip
from oclip import _backend as backend
from oclip.ops import Image, Labels, Radius, Sigma, Table, operation
from oclip.ops._registry import _registry
from oclip.workflow import Workflow

#: Name of the table operation the tests register for a while.
TABLE_OP = "test_label_areas"


def blobs(shape: tuple[int, ...] = (37, 53), seed: int = 1) -> np.ndarray:
    count = max(3, int(np.prod(shape)) // 300)
    return oclip.data.blobs(shape, count=count, sigma=(2.0, 4.0), seed=seed)


def labeling_workflow(sigma: float = 1.5) -> Workflow:
    """nuclei → blurred → binary → labels, output labels."""
    return (Workflow(inputs=("nuclei",))
            .add_step("gaussian_blur", {"image": "nuclei"}, {"sigma_x": sigma, "sigma_y": sigma},
                      id="blurred")
            .add_step("threshold_otsu", {"image": "blurred"}, id="binary")
            .add_step("connected_components_labeling", {"binary": "binary"}, id="labels")
            .with_outputs(["labels"]))


def by_hand(image: np.ndarray, sigma: float = 1.5, connectivity: str = "box") -> np.ndarray:
    """What labeling_workflow computes, calling the operations one by one from numpy."""
    blurred = oclip.gaussian_blur(image, sigma_x=sigma, sigma_y=sigma, sigma_z=0.0)
    return oclip.connected_components_labeling(oclip.threshold_otsu(blurred),
                                               connectivity=connectivity)


def _label_areas(labels: Labels) -> Table:
    """Measure the pixel count of each label (a test operation).

    Parameters
    ----------
    labels : Labels
        Label image.

    Returns
    -------
    Table
        Columns ``label`` and ``area``.

    See Also
    --------
    numpy.bincount : the reference.
    """
    counts = np.bincount(labels.get().ravel())[1:].astype(np.uint32)
    return {"label": backend.push(np.arange(1, len(counts) + 1, dtype=np.uint32)),
            "area": backend.push(counts)}


def register_table_operation() -> None:
    """Register TABLE_OP and expose it as oclip.TABLE_OP, as real operations are."""
    _label_areas.__name__ = TABLE_OP
    function = operation(category="Measure")(_label_areas)
    setattr(oclip, TABLE_OP, function)


def unregister_table_operation() -> None:
    _registry.pop(TABLE_OP, None)
    if hasattr(oclip, TABLE_OP):
        delattr(oclip, TABLE_OP)


@contextmanager
def table_operation() -> Iterator[str]:
    register_table_operation()
    try:
        yield TABLE_OP
    finally:
        unregister_table_operation()


#: Name of the operation the tests register for a while that runs out of device memory.
OUT_OF_MEMORY_OP = "test_out_of_memory"

#: What it says: as the backend words a device running out of memory.
OUT_OF_MEMORY = "the device ran out of memory (needs 3.0 GiB, 1.0 GiB free)"


def _out_of_memory(image: Image, radius_x: Radius = 3, sigma_x: Sigma = 1.0) -> Image:
    """Run out of device memory (a test operation).

    Parameters
    ----------
    image : Image
        Any image.
    radius_x : int
        Recorded in the workflow step.
    sigma_x : float
        Recorded in the workflow step.

    Returns
    -------
    Image
        Never: it raises oclip.DeviceMemoryError.

    See Also
    --------
    oclip.DeviceMemoryError : what it raises.
    """
    raise oclip.DeviceMemoryError(f"{OUT_OF_MEMORY_OP}: {OUT_OF_MEMORY}")


@contextmanager
def out_of_memory_operation() -> Iterator[str]:
    """OUT_OF_MEMORY_OP registered (as oclip.OUT_OF_MEMORY_OP too) while in the block."""
    _out_of_memory.__name__ = OUT_OF_MEMORY_OP
    setattr(oclip, OUT_OF_MEMORY_OP, operation(category="Filter")(_out_of_memory))
    try:
        yield OUT_OF_MEMORY_OP
    finally:
        _registry.pop(OUT_OF_MEMORY_OP, None)
        delattr(oclip, OUT_OF_MEMORY_OP)


def launches() -> int:
    return backend.stats["launches"]


class StepCounter:
    """Counts executions per step id (wraps the replay's step call)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def wrap(self, call):
        def counted(step, arguments):
            self.counts[step.id] += 1
            return call(step, arguments)
        return counted
