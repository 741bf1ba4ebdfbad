"""oclip beside the libraries a GPU user would otherwise use, on the same data.

    python benchmarks/compare.py [--size 256x1024x1024] [--repeat 5] [--output FILE]
    python benchmarks/run.py --compare ...          (the same)

For each target of the GPU issue, times in one process: oclip (its selected
device), pyclesperanto with its OpenCL and its CUDA backend, pyclesperanto_prototype
(OpenCL), cupy / cupyx.scipy.ndimage (CUDA), and scipy / scikit-image on the CPU,
each where importable.  Every library works on data already on its device
(except ``push+pull`` and the end-to-end replay), is synchronised after every
call, and is timed as the median of ``--repeat`` runs after one warm-up (the CPU
references, far slower, run ``--cpu-repeat`` times).  One JSON line per
(operation, library) with the device name; a table at the end.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import oclip
from _common import build_workflow, parse_shape
from oclip import _backend as backend

Timing = Callable[[], None]


#: A call whose warm-up takes longer than this is timed twice, not ``repeat``
#: times (the slowest anchors take 10-20 s a call; their order of magnitude is
#: what counts).
SLOW_S = 2.0


def median_seconds(call: Callable[[], Any], sync: Callable[[], None], repeat: int,
                   warm_up: bool = True) -> float:
    if warm_up:
        start = time.perf_counter()
        call()
        sync()
        if time.perf_counter() - start > SLOW_S:
            repeat = min(repeat, 2)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# --- the libraries --------------------------------------------------------------------


class Library:
    """One library: how to put data on its device, run the targets, synchronise."""

    name = ""
    device = ""
    cpu = False

    def push(self, array: np.ndarray) -> Any:
        raise NotImplementedError

    def pull(self, array: Any) -> Any:
        raise NotImplementedError

    def sync(self) -> None:
        pass

    def targets(self) -> dict[str, Callable[..., Any]]:
        """Operation name → function of the pushed inputs (image, binary, labels)."""
        raise NotImplementedError


class Oclip(Library):
    name = "oclip"

    def __init__(self) -> None:
        self.device = oclip.current_device().name

    def push(self, array):
        return oclip.push(array)

    def pull(self, array):
        return oclip.pull(array)

    def sync(self):
        backend.synchronize()

    def targets(self):
        ops = oclip.operations()
        found = {
            "gaussian_blur": lambda d: oclip.gaussian_blur(d["image"], sigma_x=2, sigma_y=2,
                                                           sigma_z=2),
            "top_hat_box": lambda d: oclip.top_hat_box(d["image"], radius_x=10, radius_y=10,
                                                       radius_z=10),
            "threshold_otsu": lambda d: oclip.threshold_otsu(d["image"]),
            "connected_components_labeling": lambda d: oclip.connected_components_labeling(
                d["binary"], connectivity="box"),
            "maximum_z_projection": lambda d: oclip.maximum_z_projection(d["image"]),
        }
        if "voronoi_otsu_labeling" in ops:
            found["voronoi_otsu_labeling"] = lambda d: oclip.voronoi_otsu_labeling(
                d["image"], spot_sigma=3, outline_sigma=1)
        if "label_statistics" in ops:
            found["label_statistics"] = lambda d: oclip.label_statistics(d["image"], d["labels"])
        return found


class Clesperanto(Library):
    """pyclesperanto (the C++ library) with one of its backends."""

    def __init__(self, backend_name: str) -> None:
        import pyclesperanto as cle

        self.cle = cle
        cle.select_backend(backend_name)
        self.device = str(cle.select_device("NVIDIA") if backend_name == "opencl"
                          else cle.select_device())
        self.name = f"pyclesperanto-{backend_name}"

    def push(self, array):
        return self.cle.push(array)

    def pull(self, array):
        return self.cle.pull(array)

    def sync(self):
        self.cle.wait_for_kernel_to_finish(True)

    def targets(self):
        cle = self.cle
        return {
            "gaussian_blur": lambda d: cle.gaussian_blur(d["image"], sigma_x=2, sigma_y=2,
                                                         sigma_z=2),
            "top_hat_box": lambda d: cle.top_hat_box(d["image"], radius_x=10, radius_y=10,
                                                     radius_z=10),
            "threshold_otsu": lambda d: cle.threshold_otsu(d["image"]),
            "connected_components_labeling": lambda d: cle.connected_components_labeling(
                d["binary"], connectivity="box"),
            "voronoi_otsu_labeling": lambda d: cle.voronoi_otsu_labeling(
                d["image"], spot_sigma=3, outline_sigma=1),
            "maximum_z_projection": lambda d: cle.maximum_z_projection(d["image"]),
            "label_statistics": lambda d: cle.statistics_of_labelled_pixels(d["image"],
                                                                             d["labels"]),
        }


class Prototype(Library):
    name = "pyclesperanto_prototype"

    def __init__(self) -> None:
        import pyclesperanto_prototype as cle

        self.cle = cle
        cle.select_device("NVIDIA")
        self.device = str(cle.get_device().name)

    def push(self, array):
        return self.cle.push(array)

    def pull(self, array):
        return self.cle.pull(array)

    def sync(self):
        self.cle.get_device().queue.finish()

    def targets(self):
        cle = self.cle
        return {
            "gaussian_blur": lambda d: cle.gaussian_blur(d["image"], sigma_x=2, sigma_y=2,
                                                         sigma_z=2),
            "top_hat_box": lambda d: cle.top_hat_box(d["image"], radius_x=10, radius_y=10,
                                                     radius_z=10),
            "threshold_otsu": lambda d: cle.threshold_otsu(d["image"]),
            "connected_components_labeling": lambda d: cle.connected_components_labeling_box(
                d["binary"]),
            "voronoi_otsu_labeling": lambda d: cle.voronoi_otsu_labeling(
                d["image"], spot_sigma=3, outline_sigma=1),
            "maximum_z_projection": lambda d: cle.maximum_z_projection(d["image"]),
            "label_statistics": lambda d: cle.statistics_of_labelled_pixels(d["image"],
                                                                             d["labels"]),
        }


def _otsu_threshold(histogram: np.ndarray, centres: np.ndarray) -> float:
    weight1 = np.cumsum(histogram)
    weight2 = np.cumsum(histogram[::-1])[::-1]
    mean1 = np.cumsum(histogram * centres) / np.maximum(weight1, 1)
    mean2 = (np.cumsum((histogram * centres)[::-1]) / np.maximum(weight2[::-1], 1))[::-1]
    variance = weight1[:-1] * weight2[1:] * (mean1[:-1] - mean2[1:]) ** 2
    return float(centres[int(np.argmax(variance))])


class Cupy(Library):
    name = "cupy"

    def __init__(self) -> None:
        import cupy
        import cupyx.scipy.ndimage as ndi

        self.cp, self.ndi = cupy, ndi
        self.device = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()

    def push(self, array):
        return self.cp.asarray(array)

    def pull(self, array):
        if isinstance(array, dict):
            return {k: self.cp.asnumpy(v) for k, v in array.items()}
        return self.cp.asnumpy(array)

    def sync(self):
        self.cp.cuda.runtime.deviceSynchronize()

    def threshold_otsu(self, image):
        cp = self.cp
        low, high = image.min(), image.max()
        histogram = cp.histogram(image, bins=256, range=(float(low), float(high)))[0]
        edges = np.linspace(float(low), float(high), 257)
        centres = cp.asarray((edges[:-1] + edges[1:]) / 2)
        weight1 = cp.cumsum(histogram)
        weight2 = cp.cumsum(histogram[::-1])[::-1]
        mean1 = cp.cumsum(histogram * centres) / cp.maximum(weight1, 1)
        mean2 = (cp.cumsum((histogram * centres)[::-1]) / cp.maximum(weight2[::-1], 1))[::-1]
        variance = weight1[:-1] * weight2[1:] * (mean1[:-1] - mean2[1:]) ** 2
        return image > centres[cp.argmax(variance)]

    def label_statistics(self, image, labels):
        cp = self.cp
        flat = labels.ravel()
        count = int(flat.max()) + 1
        area = cp.bincount(flat, minlength=count)
        total = cp.bincount(flat, weights=image.ravel(), minlength=count)
        columns = {"label": cp.arange(1, count), "area": area[1:],
                   "mean_intensity": total[1:] / cp.maximum(area[1:], 1)}
        for axis in range(labels.ndim):
            coordinate = cp.broadcast_to(
                cp.arange(labels.shape[axis]).reshape([-1 if i == axis else 1
                                                       for i in range(labels.ndim)]),
                labels.shape).ravel()
            columns[f"centroid-{axis}"] = (cp.bincount(flat, weights=coordinate,
                                                       minlength=count)[1:]
                                           / cp.maximum(area[1:], 1))
            index = cp.arange(1, count)
            columns[f"bbox-{axis}"] = self.ndi.minimum(coordinate.reshape(labels.shape), labels,
                                                       index)
            columns[f"bbox-{axis + labels.ndim}"] = self.ndi.maximum(
                coordinate.reshape(labels.shape), labels, index) + 1
        return columns

    def targets(self):
        ndi = self.ndi
        return {
            "gaussian_blur": lambda d: ndi.gaussian_filter(d["image"], 2.0, mode="nearest"),
            "top_hat_box": lambda d: ndi.white_tophat(d["image"], size=21, mode="nearest"),
            "threshold_otsu": lambda d: self.threshold_otsu(d["image"]),
            "connected_components_labeling": lambda d: ndi.label(
                d["binary"], structure=self.cp.ones((3, 3, 3)))[0],
            "maximum_z_projection": lambda d: d["image"].max(axis=0),
            "label_statistics": lambda d: self.label_statistics(d["image"], d["labels"]),
        }


class Scipy(Library):
    name = "scipy/scikit-image (CPU)"
    device = "CPU, one thread"
    cpu = True

    def push(self, array):
        return array

    def pull(self, array):
        return array

    def targets(self):
        import scipy.ndimage as ndi
        import skimage.filters
        import skimage.measure

        return {
            "gaussian_blur": lambda d: ndi.gaussian_filter(d["image"], 2.0, mode="nearest"),
            "top_hat_box": lambda d: ndi.white_tophat(d["image"], size=21, mode="nearest"),
            "threshold_otsu": lambda d: d["image"] > skimage.filters.threshold_otsu(d["image"]),
            "connected_components_labeling": lambda d: ndi.label(
                d["binary"], structure=np.ones((3, 3, 3)))[0],
            "maximum_z_projection": lambda d: d["image"].max(axis=0),
            "label_statistics": lambda d: skimage.measure.regionprops_table(
                d["labels"], d["image"],
                properties=("label", "area", "intensity_mean", "centroid", "bbox")),
        }


LIBRARIES: dict[str, Callable[[], Library]] = {
    "oclip": Oclip,
    "pyclesperanto-opencl": lambda: Clesperanto("opencl"),
    "pyclesperanto-cuda": lambda: Clesperanto("cuda"),
    "pyclesperanto_prototype": Prototype,
    "cupy": Cupy,
    "scipy": Scipy,
}


def make_inputs(shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Blob image, its Otsu foreground, and the labels of that foreground."""
    import scipy.ndimage as ndi
    import skimage.filters

    count = max(1, int(np.prod(shape)) // 9000)
    image = oclip.data.blobs(shape, count=count, seed=1)
    binary = (image > skimage.filters.threshold_otsu(image)).astype(np.uint8)
    labels = ndi.label(binary, structure=np.ones((3,) * image.ndim))[0].astype(np.uint32)
    return {"image": image, "binary": binary, "labels": labels}


def time_library(library: Library, inputs: dict[str, np.ndarray],
                 repeat: int) -> list[dict[str, Any]]:
    """Rows of one library: push+pull, then every target on pushed data."""
    shape = "x".join(map(str, inputs["image"].shape))
    pushed = {key: library.push(value) for key, value in inputs.items()}
    library.sync()
    rows: list[dict[str, Any]] = []

    def record(operation: str, call: Callable[[], Any]) -> None:
        try:
            seconds = median_seconds(call, library.sync, repeat, warm_up=not library.cpu)
        except Exception as error:
            print(f"{library.name} {operation}: failed ({error})", file=sys.stderr)
            return
        rows.append({"operation": operation, "library": library.name,
                     "device": library.device, "shape": shape, "seconds": seconds})
        print(json.dumps(rows[-1]), flush=True)

    record("push+pull", lambda: library.pull(library.push(inputs["image"])))
    for operation, function in library.targets().items():
        record(operation, lambda function=function: function(pushed))
    return rows


def compare(shape: tuple[int, ...], names: list[str], repeat: int,
            cpu_repeat: int) -> list[dict[str, Any]]:
    inputs = make_inputs(shape)
    rows: list[dict[str, Any]] = []
    for name in names:
        try:
            library = LIBRARIES[name]()
        except Exception as error:  # not installed, no device: say so and go on
            print(f"{name}: not available ({error})", file=sys.stderr)
            continue
        rows += time_library(library, inputs, cpu_repeat if library.cpu else repeat)
    return rows


def replay_rows(image: np.ndarray, names: list[str], repeat: int) -> list[dict[str, Any]]:
    """The 5-step workflow of benchmarks/replay.py end to end, from a numpy array
    to the pulled table: oclip's replay beside the same chain written in cupy."""
    shape = "x".join(map(str, image.shape))
    rows = []
    chains: dict[str, tuple[Callable[[], Any], Callable[[], None], str]] = {}
    if "oclip" in names:
        workflow = build_workflow()
        chains["oclip"] = (lambda: workflow.run({"image": image}, outputs=["statistics"])
                           ["statistics"], backend.synchronize, oclip.current_device().name)
    if "cupy" in names:
        try:
            cupy = Cupy()
        except Exception as error:
            print(f"cupy: not available ({error})", file=sys.stderr)
        else:
            ndi, cp = cupy.ndi, cupy.cp

            def chain() -> dict:
                pushed = cp.asarray(image)
                blurred = ndi.gaussian_filter(pushed, (1.0, 2.0, 2.0), mode="nearest")
                background = ndi.white_tophat(blurred, size=(5, 21, 21), mode="nearest")
                binary = cupy.threshold_otsu(background)
                labels = ndi.label(binary, structure=cp.ones((3, 3, 3)))[0]
                return cupy.pull(cupy.label_statistics(pushed, labels))

            chains["cupy"] = (chain, cupy.sync, cupy.device)
    for name, (chain, sync, device) in chains.items():
        rows.append({"operation": "5-step replay, numpy to table", "library": name,
                     "device": device, "shape": shape,
                     "seconds": median_seconds(chain, sync, repeat)})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    libraries = list(dict.fromkeys(r["library"] for r in rows))
    operations = list(dict.fromkeys(r["operation"] for r in rows))
    cell = {(r["operation"], r["library"]): r["seconds"] for r in rows}
    print("\n| operation | " + " | ".join(libraries) + " |", file=sys.stderr)
    print("|---|" + "---|" * len(libraries), file=sys.stderr)
    for operation in operations:
        values = [cell.get((operation, lib)) for lib in libraries]
        text = [f"{v * 1e3:.2f} ms" if v is not None else "—" for v in values]
        print(f"| {operation} | " + " | ".join(text) + " |", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="256x1024x1024")
    parser.add_argument("--libraries", default=",".join(LIBRARIES))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cpu-repeat", type=int, default=1)
    parser.add_argument("--output", help="also append the JSON lines to this file")
    args = parser.parse_args(argv)
    shape = parse_shape(args.size)
    names = args.libraries.split(",")
    rows = compare(shape, names, args.repeat, args.cpu_repeat)
    if len(shape) == 3:
        image = oclip.data.blobs(shape, count=max(1, int(np.prod(shape)) // 9000), seed=1)
        rows += replay_rows(image, names, args.repeat)
    if args.output:
        with open(args.output, "a") as output:
            output.writelines(json.dumps(row) + "\n" for row in rows)
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
