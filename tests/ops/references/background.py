"""References of background removal (ops/background.py): top and bottom hats, Gaussian
backgrounds, against scipy.ndimage (mode="nearest")."""

from __future__ import annotations

import numpy as np
import scipy.ndimage as ndi

from ._core import Arguments, Reference, exact, f64, named, per_axis, smoothing
from .filters import gaussian, rank


def divided_by_background(v: Arguments) -> np.ndarray:
    """The image over its float64 Gaussian background, 0 where the background is 0."""
    image = v["image"]
    background = gaussian(image, per_axis(v, "sigma"))
    return np.divide(f64(image), background, out=np.zeros(image.shape),
                     where=background != 0)


def divide_by_background_check(result, expected, v):
    """Where the float64 background is not near 0 (relative to the image): the ratio with
    the background's float32 error (test_filters' 1e-5 of the image) carried through."""
    image = v["image"]
    background = gaussian(image, per_axis(v, "sigma"))
    scale = float(np.abs(image).max())
    kept = np.abs(background) > 1e-3 * scale
    ratio = expected[kept]
    tolerance = 1e-5 * np.abs(ratio) + 1e-5 * scale * np.abs(
        f64(image)[kept]) / background[kept] ** 2
    assert result.dtype == np.float32
    assert (np.abs(result[kept] - ratio) <= tolerance).all()


REFERENCES = named({
    **{f"{name}_{shape}": Reference(rank(function, shape), exact)
       for name, function in (("top_hat", ndi.white_tophat), ("bottom_hat", ndi.black_tophat))
       for shape in ("box", "sphere")},
    "subtract_gaussian_background": Reference(
        lambda v: f64(v["image"]) - gaussian(v["image"], per_axis(v, "sigma")), smoothing),
    "divide_by_gaussian_background": Reference(divided_by_background,
                                               divide_by_background_check),
    "difference_of_gaussian": Reference(
        lambda v: gaussian(v["image"], per_axis(v, "sigma1"))
        - gaussian(v["image"], per_axis(v, "sigma2")), smoothing),
})
