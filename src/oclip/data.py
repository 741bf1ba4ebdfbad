"""Synthetic sample images, made by code (no download): blobs and nuclei.

They serve as the napari plugin's sample data, in examples and in benchmarks.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["blobs", "blobs2d", "nuclei3d"]


def blobs(shape: Sequence[int], *, count: int, sigma: tuple[float, float] = (3.0, 8.0),
          aspect: Sequence[float] | None = None, flatness: float = 1.0,
          background: float = 0.1, noise: float = 0.05, seed: int = 0) -> np.ndarray:
    """Bright blobs on a smooth background with noise, as float32 in about [0, 1].

    Parameters
    ----------
    shape : sequence of int
        Image shape, numpy axis order.
    count : int
        Number of blobs.
    sigma : (float, float)
        Range of blob radii (Gaussian standard deviations), in pixels.
    aspect : sequence of float, optional
        Per-axis factor on the radii, e.g. ``(0.5, 1, 1)`` for flattened z.
    flatness : float
        1 gives Gaussian blobs; larger values give flat-topped, nucleus-like blobs.
    background : float
        Amplitude of a linear intensity ramp along the last axis.
    noise : float
        Standard deviation of additive Gaussian noise.
    seed : int
        Seed of the random generator; equal arguments give equal images.
    """
    rng = np.random.default_rng(seed)
    shape = tuple(int(n) for n in shape)
    factors = np.ones(len(shape)) if aspect is None else np.asarray(aspect, float)
    image = np.zeros(shape, np.float32)
    for _ in range(count):
        centre = rng.uniform(0, shape)
        radii = rng.uniform(*sigma) * factors
        amplitude = rng.uniform(0.5, 1.0)
        low = np.maximum(np.floor(centre - 3 * radii), 0).astype(int)
        high = np.minimum(np.ceil(centre + 3 * radii) + 1, shape).astype(int)
        window = tuple(slice(a, b) for a, b in zip(low, high, strict=True))
        axes = np.ogrid[window]
        distance = sum(((g - c) / r) ** 2 for g, c, r in zip(axes, centre, radii, strict=True))
        image[window] += (amplitude * np.exp(-((distance / 2) ** flatness))).astype(np.float32)
    ramp = np.linspace(0, background, shape[-1], dtype=np.float32)
    image += ramp
    image += rng.normal(0, noise, shape).astype(np.float32)
    return image


def blobs2d(shape: Sequence[int] = (256, 256), seed: int = 0) -> np.ndarray:
    """A 2D uint8 image of blobs of different sizes, like fluorescent spots."""
    area = shape[0] * shape[1]
    image = blobs(shape, count=max(1, area // 1100), sigma=(2.5, 7.0), seed=seed)
    return (np.clip(image, 0, 1) * 255).astype(np.uint8)


def nuclei3d(shape: Sequence[int] = (60, 128, 128), seed: int = 0) -> np.ndarray:
    """A 3D uint16 stack of flat-topped, z-flattened blobs, like stained nuclei."""
    volume = shape[0] * shape[1] * shape[2]
    image = blobs(shape, count=max(1, volume // 9000), sigma=(4.0, 7.0), aspect=(0.6, 1, 1),
                  flatness=2.0, background=0.05, noise=0.03, seed=seed)
    return (np.clip(image, 0, 1) * 4000 + 100).astype(np.uint16)
