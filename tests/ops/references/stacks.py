"""References of the stack and slice operations (ops/stacks.py), against numpy.

Tolerances: the cut outs, concatenations and pastes exactly (numpy's result dtype of
the two images); the 2x2 medians exactly (float32 of numpy.median of float64 pixels:
the mean of two float32 values, rounded once either way); the stitching blends within
7 float32 roundings (4e-7) of the larger of the two images' magnitudes (the weight's
rounding times both pixels, two products and a sum).
"""

from __future__ import annotations

import numpy as np

from ._core import Arguments, Reference, exact, f64, named

SUPPORTED = tuple(np.dtype(t) for t in (np.uint8, np.int8, np.uint16, np.int16, np.uint32,
                                        np.int32, np.float32))


def common(*images: np.ndarray) -> np.dtype:
    dtype = np.result_type(*images)
    return dtype if dtype in SUPPORTED else np.dtype(np.float32)


def concatenated(axis_of):
    def expected(v: Arguments) -> np.ndarray:
        first, second = v["image1"], v["image2"]
        if v.get("axis") == "z":
            first, second = (a if a.ndim == 3 else a[np.newaxis] for a in (first, second))
        dtype = common(first, second)
        return np.concatenate([first.astype(dtype), second.astype(dtype)], axis=axis_of(v))
    return expected


def pasted(v: Arguments) -> np.ndarray:
    image, destination = v["image"], v["destination"]
    out = destination.astype(common(image, destination))
    position = (v["destination_z"], v["destination_y"], v["destination_x"])[3 - image.ndim:]
    target, source = [], []
    for start, n, size in zip(position, image.shape, destination.shape, strict=True):
        first, last = max(start, 0), min(start + n, size)
        if first >= last:
            return out
        target.append(slice(first, last))
        source.append(slice(first - start, last - start))
    out[tuple(target)] = image[tuple(source)]
    return out


def into_stack(v: Arguments) -> np.ndarray:
    stack, plane = v["stack"], v["plane"]
    out = stack.astype(common(stack, plane))
    if stack.ndim == 2:  # a stack of one plane
        out[...] = plane
    else:
        out[v["slice_index"]] = plane
    return out


def border_cropped(v: Arguments) -> np.ndarray:
    b = v["border_size"]
    image = v["image"]
    return image[tuple(slice(b, n - b) for n in image.shape)]


def half_medians(v: Arguments) -> np.ndarray:
    image = f64(v["image"])
    ny, nx = image.shape[-2] // 2, image.shape[-1] // 2
    blocks = image[..., :2 * ny, :2 * nx].reshape(*image.shape[:-2], ny, 2, nx, 2)
    return np.median(blocks, axis=(-3, -1)).astype(np.float32)


def stitched(axis_from_end: int):
    def expected(v: Arguments) -> np.ndarray:
        first, second = f64(v["image1"]), f64(v["image2"])
        overlap, axis = v["overlap"], first.ndim - axis_from_end
        width = first.shape[axis]
        w = np.arange(1, overlap + 1) / (overlap + 1)
        w = w.reshape([-1 if a == axis else 1 for a in range(first.ndim)])
        head = np.take(first, range(width - overlap), axis=axis)
        blend = ((1 - w) * np.take(first, range(width - overlap, width), axis=axis)
                 + w * np.take(second, range(overlap), axis=axis))
        tail = np.take(second, range(overlap, second.shape[axis]), axis=axis)
        return np.concatenate([head, blend, tail], axis=axis)
    return expected


def blend_check(result, expected, v):
    """float32 blends: within 7 roundings (4e-7) of the larger magnitude, plus the
    float32 rounding of the value."""
    assert result.dtype == np.float32 and result.shape == expected.shape
    scale = max(float(np.abs(f64(v["image1"])).max()), float(np.abs(f64(v["image2"])).max()))
    np.testing.assert_allclose(result, expected, rtol=6e-8, atol=4e-7 * scale + 1e-30)


REFERENCES = named({
    "concatenate_stacks": Reference(concatenated(
        lambda v: 0 if v["axis"] == "z" else "zyx"[3 - v["image1"].ndim:].index(v["axis"])),
        exact),
    "combine_horizontally": Reference(concatenated(lambda v: -1), exact),
    "combine_vertically": Reference(concatenated(lambda v: -2), exact),
    "paste": Reference(pasted, exact),
    "copy_slice": Reference(lambda v: v["image"][v["slice_index"]], exact),
    "copy_slice_into_stack": Reference(into_stack, exact),
    "crop_border": Reference(border_cropped, exact),
    "downsample_slice_by_slice_half_median": Reference(half_medians, exact),
    "stitch_horizontally": Reference(stitched(1), blend_check),
    "stitch_vertically": Reference(stitched(2), blend_check),
})
