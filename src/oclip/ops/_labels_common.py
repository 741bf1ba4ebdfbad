"""Small helpers shared by the label modules."""

from __future__ import annotations

from .. import _backend as backend


def same_shape(operation_name: str, first: str, a: backend.DeviceArray, second: str,
               b: backend.DeviceArray) -> None:
    """Refuse two images of different shapes, naming the operation and parameters."""
    if a.shape != b.shape:
        raise ValueError(f"{operation_name}: {first} and {second} must have the same shape, "
                         f"got {a.shape} and {b.shape}")
