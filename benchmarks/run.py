"""Side-by-side timings: oclip against scipy / scikit-image on the same data.

    python benchmarks/run.py
    python benchmarks/run.py --sizes 64x256x256 --operations gaussian_blur,top_hat_box
    python benchmarks/run.py --output benchmarks/results/pocl-2core.jsonl

Prints one JSON line per (operation, size) on stdout, and a table on stderr:

* ``oclip_s``: median seconds of the operation on an image already on the
  device, the queue finished (device-synchronised);
* ``oclip_numpy_s``: median seconds from a numpy array to a numpy array,
  transfers included (what a script that never calls ``push`` sees);
* ``reference_s``: median seconds of the scipy / scikit-image / numpy equivalent;
* ``ratio``: ``oclip_s / reference_s`` (below 1: oclip is faster).

Each timing is the median of ``--repeat`` runs after one warm-up run (which
also builds the kernels).  The images are synthetic blobs (``oclip.data``).
Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.ndimage as ndi
import skimage.filters
import skimage.transform

import oclip
from oclip import _backend as backend


@dataclass(frozen=True)
class Case:
    """One benchmarked operation: its arguments and its reference."""

    operation: str
    reference_name: str
    reference: Callable[..., Any]
    arguments: dict[str, Any] = field(default_factory=dict)
    inputs: tuple[str, ...] = ("image",)  # names of prepared inputs, in call order
    dimensions: tuple[int, ...] = (2, 3)


def _box(radius: int) -> dict[str, int]:
    return {"radius_x": radius, "radius_y": radius, "radius_z": radius}


def _quiet(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` without numpy's floating-point warnings (NaN, inf, division by 0)."""
    def run(*arrays: np.ndarray) -> Any:
        with np.errstate(all="ignore"):
            return function(*arrays)
    return run


def _copy(function: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """A numpy view made into a contiguous array, as an operation returns it."""
    return lambda im: np.ascontiguousarray(function(im))


def _projection_cases() -> list[Case]:
    reductions = {"maximum": "max", "minimum": "min", "mean": "mean", "sum": "sum",
                  "standard_deviation": "std"}
    cases = []
    for axis_name, axis in (("z", 0), ("y", 1), ("x", 2)):
        for name, method in reductions.items():
            cases.append(Case(f"{name}_{axis_name}_projection", f"numpy.{method}",
                              lambda im, m=method, a=axis: getattr(im, m)(axis=a),
                              dimensions=(3,)))
    return cases


# A rotation by 10 degrees about z with a shear and a shift, (z, y, x); the z row
# and column are the identity's, so it serves 2D images as well.
_AFFINE = np.array([[1.0, 0.0, 0.0, 0.0],
                    [0.0, 0.98, 0.17, -3.5],
                    [0.0, -0.2, 0.98, 2.25],
                    [0.0, 0.0, 0.0, 1.0]])


def _last_axes(im: np.ndarray) -> tuple[int, int]:
    return im.ndim - 2, im.ndim - 1


CASES = [
    Case("gaussian_blur", "scipy.ndimage.gaussian_filter",
         lambda im: ndi.gaussian_filter(im, 2.0, mode="nearest"),
         {"sigma_x": 2.0, "sigma_y": 2.0, "sigma_z": 2.0}),
    Case("mean_box", "scipy.ndimage.uniform_filter",
         lambda im: ndi.uniform_filter(im, 3, mode="nearest"), _box(1)),
    Case("minimum_box", "scipy.ndimage.minimum_filter",
         lambda im: ndi.minimum_filter(im, 3, mode="nearest"), _box(1)),
    Case("maximum_box", "scipy.ndimage.maximum_filter",
         lambda im: ndi.maximum_filter(im, 3, mode="nearest"), _box(1)),
    Case("top_hat_box", "scipy.ndimage.white_tophat",
         lambda im: ndi.white_tophat(im, 21, mode="nearest"), _box(10)),
    Case("add_images", "numpy.add", np.add, inputs=("image", "image2")),
    Case("multiply_image_and_scalar", "numpy.multiply",
         lambda im: im * np.float32(2.0), {"scalar": 2.0}),
    Case("gamma_correction", "numpy.power", _quiet(lambda im: np.power(im, np.float32(0.5))),
         {"gamma": 0.5}),
    Case("absolute", "numpy.absolute", np.absolute),
    Case("power", "numpy.power", _quiet(lambda im: np.power(im, np.float32(2.0))),
         {"exponent": 2.0}),
    Case("square_root", "numpy.sqrt", _quiet(np.sqrt)),
    Case("logarithm", "numpy.log", _quiet(np.log)),
    Case("exponential", "numpy.exp", _quiet(np.exp)),
    Case("clip", "numpy.clip", lambda im: np.clip(im, np.float32(0), np.float32(1)),
         {"min": 0.0, "max": 1.0}),
    Case("add_images_weighted", "numpy (a * f1 + b * f2)",
         lambda a, b: a * np.float32(0.3) + b * np.float32(0.7),
         {"factor1": 0.3, "factor2": 0.7}, inputs=("image", "image2")),
    Case("subtract_images", "numpy.subtract", np.subtract, inputs=("image", "image2")),
    Case("multiply_images", "numpy.multiply", np.multiply, inputs=("image", "image2")),
    Case("divide_images", "numpy.divide", _quiet(np.divide), inputs=("image", "image2")),
    Case("absolute_difference", "numpy.abs(a - b)", lambda a, b: np.abs(a - b),
         inputs=("image", "image2")),
    Case("squared_difference", "numpy.square(a - b)", lambda a, b: np.square(a - b),
         inputs=("image", "image2")),
    Case("maximum_images", "numpy.maximum", np.maximum, inputs=("image", "image2")),
    Case("minimum_images", "numpy.minimum", np.minimum, inputs=("image", "image2")),
    Case("mask", "numpy.where", lambda im, b: np.where(b != 0, im, np.float32(0)),
         inputs=("image", "binary")),
    Case("add_image_and_scalar", "numpy.add", lambda im: im + np.float32(1.0), {"scalar": 1.0}),
    Case("greater", "numpy.greater", np.greater, inputs=("image", "image2")),
    Case("smaller", "numpy.less", np.less, inputs=("image", "image2")),
    Case("equal", "numpy.equal", np.equal, inputs=("image", "image2")),
    Case("binary_and", "numpy.logical_and", np.logical_and, inputs=("binary", "binary2")),
    Case("binary_or", "numpy.logical_or", np.logical_or, inputs=("binary", "binary2")),
    Case("binary_xor", "numpy.logical_xor", np.logical_xor, inputs=("binary", "binary2")),
    Case("greater_constant", "numpy.greater", lambda im: im > 0.5, {"constant": 0.5}),
    Case("smaller_constant", "numpy.less", lambda im: im < 0.5, {"constant": 0.5}),
    Case("equal_constant", "numpy.equal", lambda im: im == 0.5, {"constant": 0.5}),
    Case("binary_not", "numpy.logical_not", np.logical_not, inputs=("binary",)),
    *_projection_cases(),
    Case("z_position_of_maximum_z_projection", "numpy.argmax", lambda im: im.argmax(axis=0),
         dimensions=(3,)),
    Case("crop", "numpy slicing", _copy(lambda im: im[..., 8:40, 32:160, 32:160]
                                        if im.ndim == 3 else im[32:160, 32:160]),
         {"start_x": 32, "start_y": 32, "start_z": 8, "size_x": 128, "size_y": 128,
          "size_z": 32}),
    Case("flip", "numpy.flip", _copy(lambda im: np.flip(im, (-1, -2))),
         {"flip_x": True, "flip_y": True}),
    Case("transpose", "numpy.swapaxes", _copy(lambda im: np.swapaxes(im, -1, -2)),
         {"which": "xy"}),
    Case("scale", "scipy.ndimage.zoom",
         lambda im: ndi.zoom(im, (1, 2, 2)[-im.ndim:], order=1, mode="nearest",
                             grid_mode=True),
         {"factor_x": 2.0, "factor_y": 2.0, "factor_z": 1.0, "interpolation": "linear"}),
    Case("rotate", "scipy.ndimage.rotate",
         lambda im: ndi.rotate(im, 30.0, axes=_last_axes(im), reshape=False, order=1,
                               mode="nearest"),
         {"angle_z": 30.0, "interpolation": "linear"}),
    Case("translate", "scipy.ndimage.shift",
         lambda im: ndi.shift(im, (0.5, -1.5, 2.5)[-im.ndim:], order=1, mode="nearest"),
         {"translate_x": 2.5, "translate_y": -1.5, "translate_z": 0.5,
          "interpolation": "linear"}),
    Case("affine_transform", "scipy.ndimage.affine_transform",
         lambda im: ndi.affine_transform(im, _AFFINE[-im.ndim - 1:, -im.ndim - 1:], order=1,
                                         mode="nearest"),
         {"matrix": tuple(_AFFINE.ravel()), "interpolation": "linear"}),
    Case("resample", "scipy.ndimage.zoom",
         lambda im: ndi.zoom(im, (2.0, 0.5, 0.5)[-im.ndim:], order=1, mode="nearest",
                             grid_mode=True),
         {"voxel_size_x": 0.5, "voxel_size_y": 0.5, "voxel_size_z": 2.0,
          "target_voxel_size": 1.0}),
    Case("downsample", "skimage.transform.downscale_local_mean",
         lambda im: skimage.transform.downscale_local_mean(im, (2,) * im.ndim),
         {"factor_x": 2, "factor_y": 2, "factor_z": 2}),
    Case("upsample", "numpy.repeat",
         lambda im: np.repeat(np.repeat(im, 2, axis=-1), 2, axis=-2),
         {"factor_x": 2, "factor_y": 2, "factor_z": 1}),
    Case("sub_stack", "numpy slicing", lambda im: im[16:48].copy(),
         {"start_z": 16, "end_z": 48}, dimensions=(3,)),
    Case("reduce_stack", "numpy slicing", _copy(lambda im: im[1::2]),
         {"step": 2, "offset": 1}, dimensions=(3,)),
    Case("threshold_otsu", "skimage.filters.threshold_otsu",
         lambda im: im > skimage.filters.threshold_otsu(im)),
    Case("connected_components_labeling", "scipy.ndimage.label",
         lambda b: ndi.label(b, structure=np.ones((3,) * b.ndim))[0],
         {"connectivity": "box"}, inputs=("binary",)),
]


def median_seconds(function: Callable[[], Any], repeat: int) -> float:
    """Median wall time of ``function`` after one warm-up call; the device is
    synchronised after every call."""
    function()
    backend.synchronize()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        backend.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def prepare_inputs(shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Two blob images and their Otsu foregrounds."""
    count = max(1, int(np.prod(shape)) // (9000 if len(shape) == 3 else 1100))
    image = oclip.data.blobs(shape, count=count, seed=1)
    image2 = oclip.data.blobs(shape, count=count, seed=2)
    binary = (image > skimage.filters.threshold_otsu(image)).astype(np.uint8)
    binary2 = (image2 > skimage.filters.threshold_otsu(image2)).astype(np.uint8)
    return {"image": image, "image2": image2, "binary": binary, "binary2": binary2}


def run_case(case: Case, inputs: dict[str, np.ndarray], repeat: int) -> dict[str, Any]:
    function = getattr(oclip, case.operation)
    host = [inputs[name] for name in case.inputs]
    on_device = [oclip.push(array) for array in host]
    oclip_s = median_seconds(lambda: function(*on_device, **case.arguments), repeat)
    oclip_numpy_s = median_seconds(lambda: function(*host, **case.arguments), repeat)
    reference_s = median_seconds(lambda: case.reference(*host), repeat)
    shape = host[0].shape
    return {
        "operation": case.operation,
        "shape": "x".join(map(str, shape)),
        "dtype": str(host[0].dtype),
        "arguments": case.arguments,
        "device": oclip.current_device().name,
        "oclip_s": oclip_s,
        "oclip_numpy_s": oclip_numpy_s,
        "reference": case.reference_name,
        "reference_s": reference_s,
        "ratio": oclip_s / reference_s,
        "host": platform.processor() or platform.machine(),
    }


def transfer_row(inputs: dict[str, np.ndarray], repeat: int) -> dict[str, Any]:
    """push + pull of the image (no reference: copying within host memory)."""
    image = inputs["image"]
    seconds = median_seconds(lambda: oclip.pull(oclip.push(image)), repeat)
    copy_s = median_seconds(lambda: image.copy(), repeat)
    return {
        "operation": "push+pull", "shape": "x".join(map(str, image.shape)),
        "dtype": str(image.dtype), "arguments": {}, "device": oclip.current_device().name,
        "oclip_s": seconds, "oclip_numpy_s": seconds, "reference": "numpy.copy",
        "reference_s": copy_s, "ratio": seconds / copy_s,
        "host": platform.processor() or platform.machine(),
    }


def parse_shape(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in text.lower().split("x"))


def print_table(rows: list[dict[str, Any]]) -> None:
    print(f"\n{'operation':32s} {'shape':>12s} {'oclip ms':>10s} {'+transfer':>10s} "
          f"{'reference ms':>13s} {'ratio':>6s}", file=sys.stderr)
    for row in rows:
        print(f"{row['operation']:32s} {row['shape']:>12s} {row['oclip_s'] * 1e3:10.2f} "
              f"{row['oclip_numpy_s'] * 1e3:10.2f} {row['reference_s'] * 1e3:13.2f} "
              f"{row['ratio']:6.2f}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1024x1024,64x256x256",
                        help="comma-separated shapes, numpy order (default: %(default)s)")
    parser.add_argument("--operations", default="",
                        help="comma-separated operation names (default: all)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per measurement")
    parser.add_argument("--device", help="OpenCL device (gpu, cpu or part of a name)")
    parser.add_argument("--output", help="also append the JSON lines to this file")
    args = parser.parse_args(argv)

    device = oclip.select_device(args.device)
    print(f"device: {backend.describe(device)}", file=sys.stderr)
    wanted = {n for n in args.operations.split(",") if n}
    cases = [c for c in CASES if not wanted or c.operation in wanted]
    rows = []
    for shape in map(parse_shape, args.sizes.split(",")):
        inputs = prepare_inputs(shape)
        if not wanted or "push+pull" in wanted:
            rows.append(transfer_row(inputs, args.repeat))
        for case in cases:
            if len(shape) in case.dimensions:
                rows.append(run_case(case, inputs, args.repeat))
                print(json.dumps(rows[-1]), flush=True)
    if args.output:
        with open(args.output, "a") as output:
            output.writelines(json.dumps(row) + "\n" for row in rows)
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
