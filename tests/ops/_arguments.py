"""Arguments for any registered operation: images of each kind, scalar values, shapes.

Shared by the tests that call every operation (hostile inputs, the property suite).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oclip.ops import ImageKind, Operation

#: Shapes for operations that take 2D and 3D images, and for 3D-only ones.  Few
#: shapes: PoCL compiles a work-group function per new launch size.
SHAPE_2D = (9, 11)
SHAPE_3D = (3, 9, 11)


#: Image parameters that take one plane (y, x) of the other images' stack, by operation.
PLANE_PARAMETERS = {"copy_slice_into_stack": "plane"}


def shape_for(op: Operation) -> tuple[int, ...]:
    """A small shape the operation takes (a stack where a parameter takes one of its
    planes)."""
    return SHAPE_2D if 2 in op.dimensions and op.name not in PLANE_PARAMETERS else SHAPE_3D


def image_of(kind: ImageKind, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """A random image of a parameter kind: float32 intensities 1..201, uint32 labels 0..3
    (a few objects, background too), uint8 binary 0/1."""
    if kind is ImageKind.BINARY:
        return (rng.random(shape) > 0.5).astype(np.uint8)
    if kind is ImageKind.LABELS:
        return rng.integers(0, 4, shape).astype(np.uint32)
    return (rng.random(shape) * 200 + 1).astype(np.float32)


def images_for(op: Operation, rng: np.random.Generator,
               shape: tuple[int, ...] | None = None) -> dict[str, np.ndarray]:
    """One image per image parameter of ``op``, all of one shape."""
    shape = shape_for(op) if shape is None else shape
    return {p.name: image_of(p.kind, rng, shape[-2:] if PLANE_PARAMETERS.get(op.name) == p.name
                             else shape) for p in op.image_parameters}


class ArrayLike:
    """Like a dask or xarray array: not a numpy array, but converts through ``__array__``."""

    def __init__(self, array: np.ndarray) -> None:
        self._array = array
        self.shape = array.shape
        self.dtype = array.dtype
        self.ndim = array.ndim

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self._array if dtype is None else self._array.astype(dtype)


class FailingArrayLike:
    """An array-like whose conversion fails as a broken lazy array's would."""

    shape = (4, 4)
    ndim = 2

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise ValueError("chunk 3 could not be computed")


def as_equal(first: Any, second: Any) -> bool:
    """Results equal, NaN where NaN (arrays, tables of columns, scalars)."""
    if isinstance(first, dict):
        return (isinstance(second, dict) and list(first) == list(second)
                and all(as_equal(first[k], second[k]) for k in first))
    first, second = np.asarray(first), np.asarray(second)
    if first.shape != second.shape or first.dtype != second.dtype:
        return False
    if first.dtype.kind == "f":
        return bool(np.all((first == second) | (np.isnan(first) & np.isnan(second))))
    return bool(np.array_equal(first, second))
