"""Checks of operation arguments that the operations themselves make."""

from __future__ import annotations

from .. import _backend as backend


def same_shape(name: str, image1: backend.DeviceArray, image2: backend.DeviceArray,
               first: str = "image1", second: str = "image2") -> None:
    """Refuse two images of different shapes, naming the operation and its parameters."""
    if image1.shape != image2.shape:
        raise ValueError(f"{name}: {first} and {second} must have the same shape, "
                         f"got {image1.shape} and {image2.shape}")
