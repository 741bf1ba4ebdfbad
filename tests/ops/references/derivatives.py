"""References of the derivatives (ops/derivatives.py): gradients, Sobel, the box
Laplacian and Hessian eigenvalues, against scipy.ndimage / scikit-image."""

from __future__ import annotations

import numpy as np
import scipy.ndimage as ndi
import skimage.feature
import skimage.filters

from ._core import Reference, exact, f64, named, per_axis, smoothing


def gradient(axis: int):
    """Central differences along ``axis`` (negative, numpy's), the edge replicated; 0
    along z of a 2D image (one plane, replicated)."""
    def expected(v):
        image = v["image"]
        if -axis > image.ndim:
            return np.zeros(image.shape, np.float32)
        # (b - a) / 2 of float32 values, rounded once: exact to float32
        return ndi.correlate1d(f64(image), [-0.5, 0.0, 0.5], axis=axis,
                               mode="nearest").astype(np.float32)
    return expected


def laplace_kernel(ndim):
    kernel = -np.ones((3,) * ndim)
    kernel[(1,) * ndim] = 3**ndim - 1
    return kernel


def hessian_reference(image, sigmas):
    """Eigenvalues (decreasing, leading axis) of the Hessian as scikit-image takes
    it: gaussian_filter, then numpy.gradient twice; 0 along axes of length 1,
    where numpy.gradient refuses."""
    blurred = ndi.gaussian_filter(image.astype(np.float64), sigmas, mode="nearest")

    def gradient(values, axis):
        if values.shape[axis] == 1:
            return np.zeros_like(values)
        return np.gradient(values, axis=axis)

    ndim = image.ndim
    matrices = np.empty((*image.shape, ndim, ndim))
    for a in range(ndim):
        for b in range(ndim):
            matrices[..., a, b] = gradient(gradient(blurred, a), b)
    return np.moveaxis(np.linalg.eigvalsh(matrices)[..., ::-1], -1, 0)


def assert_eigenvalues_close(result, expected, image):
    """The blurred image is float32, a few ulp of its magnitude off; two
    differences of it keep that absolute error (weights 1/2, 1/4)."""
    assert result.dtype == np.float32 and result.shape == (image.ndim, *image.shape)
    np.testing.assert_allclose(result, expected, rtol=1e-5,
                               atol=2e-6 * float(np.abs(image).max() or 1))


def one_pixel(sigma: float) -> bool:
    """A Gaussian of radius int(4 sigma + 0.5) = 0: the axis is left alone."""
    return int(4 * sigma + 0.5) == 0


def laplacian_of_gaussian(v):
    """scipy's gaussian_laplace over the axes whose Gaussian is wider than a pixel (scipy
    adds the blurred image for the others)."""
    image = f64(v["image"])
    sigmas = tuple(0.0 if one_pixel(s) else s for s in per_axis(v, "sigma"))
    total = np.zeros(image.shape)
    for axis, sigma in enumerate(sigmas):
        if sigma > 0:
            order = [2 if other == axis else 0 for other in range(image.ndim)]
            total += ndi.gaussian_filter(image, sigmas, order=order, mode="nearest",
                                         truncate=4.0)
    return total


def assert_log_close(result, expected, v):
    """float32 passes of up to 17 taps: a few roundings of the image's magnitude times
    the second derivative's weights (up to 1 / sigma**2 each)."""
    image = v["image"]
    assert result.dtype == np.float32 and result.shape == image.shape
    weight = sum(1.0 / s**2 for s in per_axis(v, "sigma") if not one_pixel(s))
    np.testing.assert_allclose(result, expected, rtol=1e-5,
                               atol=2e-5 * weight * float(np.abs(f64(image)).max()))


def scales(v) -> list[float]:
    """sigma_minimum, + sigma_step, ... up to sigma_maximum (sigma_minimum alone where
    that is larger)."""
    low, high, step = v["sigma_minimum"], v["sigma_maximum"], v["sigma_step"]
    if high < low:
        return [low]
    return [low + k * step for k in range(int(np.floor((high - low) / step + 1e-9)) + 1)]


def sato_reference(v):
    return skimage.filters.sato(f64(v["image"]), sigmas=scales(v),
                                black_ridges=v["black_ridges"], mode="nearest")


def assert_ridges_close(result, expected, v):
    """float32 Gaussian-derivative passes: 1e-5 of the image's magnitude in 2D; in 3D the
    square root of a second eigenvalue near 0 magnifies that to about 1e-3."""
    image = v["image"]
    assert result.dtype == np.float32 and result.shape == image.shape
    magnitude = float(np.abs(f64(image)).max())
    np.testing.assert_allclose(result, expected, rtol=1e-5,
                               atol=(1e-5 if image.ndim == 2 else 2e-3) * magnitude)


def meijering_reference(v):
    """scikit-image's meijering, and for the tolerance each scale's normalised values and
    the float32 rounding of its values relative to their maximum."""
    image = f64(v["image"]) * (1.0 if v["black_ridges"] else -1.0)
    alpha = 1 / (image.ndim + 1)
    magnitude = float(np.abs(image).max())
    scaled, relative_noise = [], []
    for sigma in scales(v):
        e = skimage.feature.hessian_matrix_eigvals(skimage.feature.hessian_matrix(
            image, sigma, mode="nearest", use_gaussian_derivatives=True))
        values = e + alpha * (e.sum(axis=0) - e)
        picked = np.take_along_axis(values, np.abs(values).argmax(0)[None], 0)[0]
        picked = np.maximum(picked, 0)
        largest = float(picked.max())
        noise = 1e-5 * magnitude * (1 + 1 / sigma**2)
        scaled.append(picked / largest if largest > 0 else picked)
        relative_noise.append(noise / largest if largest > 0 else np.inf)
    expected = skimage.filters.meijering(f64(v["image"]), sigmas=scales(v),
                                         black_ridges=v["black_ridges"], mode="nearest")
    return expected, scaled, relative_noise


def assert_meijering_close(result, expected, v):
    """Each scale's normalised values within its float32 rounding relative to its maximum;
    a scale whose maximum is within 100 roundings of 0 (a constant image: the values
    are rounding) may give anything from 0 to 1."""
    reference, scaled, relative_noise = expected
    assert result.dtype == np.float32 and result.shape == v["image"].shape
    lower = np.zeros(result.shape)
    upper = np.zeros(result.shape)
    degenerate = False
    for values, noise in zip(scaled, relative_noise, strict=True):
        if noise > 1e-2:
            degenerate = True
            continue
        lower = np.maximum(lower, values - noise - 1e-6)
        upper = np.maximum(upper, values + noise + 1e-6)
    if degenerate:
        upper = np.full(result.shape, 1 + 1e-6)
    else:
        np.testing.assert_allclose(result, reference, atol=max(relative_noise) + 1e-6)
    assert (result >= lower).all() and (result <= upper).all(), (
        f"largest excess {max(np.max(lower - result), np.max(result - upper))}")


REFERENCES = named({
    "meijering": Reference(meijering_reference, assert_meijering_close),
    "sato": Reference(sato_reference, assert_ridges_close),
    "laplace_diamond": Reference(lambda v: -ndi.laplace(f64(v["image"]), mode="nearest"),
                                 smoothing),
    "laplacian_of_gaussian": Reference(laplacian_of_gaussian, assert_log_close),
    "gradient_x": Reference(gradient(-1), exact),
    "gradient_y": Reference(gradient(-2), exact),
    "gradient_z": Reference(gradient(-3), exact),
    "sobel": Reference(lambda v: np.sqrt(sum(
        ndi.sobel(f64(v["image"]), axis, mode="nearest") ** 2 for axis in range(v["image"].ndim))),
        smoothing),
    "laplace_box": Reference(lambda v: ndi.correlate(
        f64(v["image"]), laplace_kernel(v["image"].ndim), mode="nearest"), smoothing),
    # sigmas of radius int(4 sigma + 0.5) = 0: no blur (as the Gaussian's reference)
    "hessian_eigenvalues": Reference(lambda v: hessian_reference(
        v["image"], tuple(s if int(4 * s + 0.5) > 0 else 0.0 for s in per_axis(v, "sigma"))),
        lambda r, e, v: assert_eigenvalues_close(r, e, v["image"])),
})
