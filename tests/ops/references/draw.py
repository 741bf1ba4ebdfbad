"""References of the generators and drawing (ops/draw.py), in numpy (float64)."""

from __future__ import annotations

import numpy as np

from oclip.ops.draw import pixel_value

from ._core import Arguments, Reference, exact, named

#: Pixels whose float64 inequality holds within this (relative) margin may go either way
#: (the operations round to float32, as documented).
SURFACE_MARGIN = 1e-5


def ramp(axis: int):
    def expected(v: Arguments) -> np.ndarray:
        image = v["image"]
        if -axis > image.ndim:
            return np.zeros(image.shape, np.float32)
        return np.indices(image.shape)[axis].astype(np.float32)
    return expected


def in_numpy_order(v: Arguments, prefix: str) -> list:
    return [v[f"{prefix}_z"], v[f"{prefix}_y"], v[f"{prefix}_x"]][3 - v["image"].ndim:]


def set_border(v: Arguments) -> np.ndarray:
    image, width = v["image"], v["width"]
    out = image.copy()
    for axis in range(image.ndim):
        index = np.arange(image.shape[axis])
        border = (index < width) | (index >= image.shape[axis] - width)
        out[(slice(None),) * axis + (border,)] = pixel_value(image.dtype, v["value"])
    return out


def draw_box(v: Arguments) -> np.ndarray:
    image = v["image"]
    out = image.copy()
    box = tuple(slice(max(s, 0), max(s + k, 0)) for s, k in
                zip(in_numpy_order(v, "start"), in_numpy_order(v, "size"), strict=True))
    out[box] = pixel_value(image.dtype, v["value"])
    return out


def drawn(inside: np.ndarray, ambiguous: np.ndarray, v: Arguments) -> tuple:
    image = v["image"]
    return np.where(inside, pixel_value(image.dtype, v["value"]), image), ambiguous


def draw_sphere(v: Arguments) -> tuple:
    image = v["image"]
    coordinates = np.indices(image.shape, dtype=np.float64)
    total = np.zeros(image.shape)
    for c, centre, radius in zip(coordinates, in_numpy_order(v, "centre"),
                                 in_numpy_order(v, "radius"), strict=True):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            term = ((c - centre) / radius) ** 2 if radius > 0 else np.where(
                c == centre, 0.0, np.inf)
        total += term
    return drawn(total <= 1, np.abs(total - 1) <= SURFACE_MARGIN, v)


def draw_line(v: Arguments) -> tuple:
    image = v["image"]
    ndim = image.ndim
    p = np.moveaxis(np.indices(image.shape, dtype=np.float64), 0, -1)
    a = np.array(in_numpy_order(v, "start"), np.float64)
    b = np.array(in_numpy_order(v, "end"), np.float64)
    ab = b - a
    length2 = ab @ ab
    t = np.clip(((p - a) @ ab) / length2, 0, 1) if length2 > 0 else np.zeros(image.shape)
    distance = np.linalg.norm(p - a - t[..., None] * ab, axis=-1)
    reach = v["thickness"] / 2
    # float32 coordinates and products: errors of a few ulp of the coordinates' magnitude
    scale = max(np.abs(a).max(initial=0), np.abs(b).max(initial=0), max(image.shape), 1.0)
    margin = 1e-5 * scale * (1 + np.sqrt(ndim))
    return drawn(distance <= reach, np.abs(distance - reach) <= margin, v)


def within_surface(result, expected, v: Arguments) -> None:
    """The same dtype and values, except at pixels within rounding of the surface, which
    hold the image's value or the value drawn."""
    values, ambiguous = expected
    assert result.dtype == values.dtype, (result.dtype, values.dtype)
    np.testing.assert_array_equal(result[~ambiguous], values[~ambiguous])
    either = (result == v["image"]) | (result == pixel_value(values.dtype, v["value"]))
    assert either[ambiguous].all()


REFERENCES = named({
    "ramp_x": Reference(ramp(-1), exact),
    "ramp_y": Reference(ramp(-2), exact),
    "ramp_z": Reference(ramp(-3), exact),
    "set_border": Reference(set_border, exact),
    "draw_box": Reference(draw_box, exact),
    "draw_sphere": Reference(draw_sphere, within_surface),
    "draw_line": Reference(draw_line, within_surface),
})
