"""What a dask worker runs: one job or one tile of a job, and the assembly of tiles.

Tasks carry file paths, never image data: a worker reads its inputs from the
files, computes on its OpenCL device and writes the outputs (or, for a tile,
a tile file per output) itself, so images never travel through the
scheduler.  Results returned to the client are small :class:`Report` records
(timings, object counts, file names, the error).

Each worker process selects its OpenCL device once (:func:`worker_device`,
called by the :class:`~oclip.runs._plugin.OclipWorker` plugin at start
and by every task) and keeps the context, queue, memory pool and built
programs for all its tasks.  pyopencl is not thread-safe, so tasks of one
process compute one at a time (a process-wide lock); reading and writing
files happen outside the lock and overlap with another task's computation
when a worker runs several threads.

Nothing here imports dask: this module also runs tasks in a plain process.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import EllipsisType
from typing import Any

import numpy as np

from .._backend import (
    DEVICE_ENVIRONMENT_VARIABLE,
    DeviceInfo,
    check_device,
    current_device,
    device_matches,
    device_rank,
    devices,
    select_device,
)
from .._errors import NoDeviceError
from .._io import require, write_atomically
from ..ops import ImageKind, get_operation
from ..workflow import Workflow, WorkflowError
from ._images import SOFTWARE, read_image, write_output
from ._jobs import Job
from ._tiles import Tile, read_tile

logger = logging.getLogger("oclip")

#: Held while a task uses the OpenCL device (pyopencl calls are not thread-safe).
DEVICE_LOCK = threading.RLock()

_chosen: dict[str | None, DeviceInfo] = {}


# --- the device of a worker -------------------------------------------------------------


def worker_index(name: object = None) -> int | None:
    """The index of this worker among its machine's workers, from its dask name.

    LocalCluster names workers 0, 1, ...; ``dask worker --nworkers N --name
    NODE`` names them NODE-0, NODE-1, ...: the number is the index.  None for
    other names (an unnamed worker is named by its address), and outside a
    worker.
    """
    if name is None:
        try:
            from distributed import get_worker

            name = get_worker().name
        except (ImportError, ValueError):
            return None
    if isinstance(name, int) and not isinstance(name, bool):
        return name
    found = re.fullmatch(r"(?:.*-)?(\d+)", str(name))
    return int(found.group(1)) if found else None


def device_candidates(requested: str | None = None) -> list[DeviceInfo]:
    """The devices workers share out: those ``requested`` (or ``OCLIP_DEVICE``) names,
    else every device of the best kind present (e.g. all discrete GPUs), best first."""
    requested = requested or os.environ.get(DEVICE_ENVIRONMENT_VARIABLE) or None
    found = sorted(devices(), key=device_rank)
    if requested is not None:
        return [d for d in found if device_matches(d, requested)]
    if not found:
        return []
    best = device_rank(found[0])[:2]  # device type, and integrated or not
    return [d for d in found if device_rank(d)[:2] == best]


def worker_device(requested: str | None = None, index: int | None = None) -> DeviceInfo:
    """Select this process's OpenCL device, once: the device of worker ``index``.

    GPUs (and other accelerators) are shared out by worker index: worker i
    takes candidate ``i % n`` (the next one that works, if that one fails).
    CPU devices are selected as :func:`oclip.select_device` would (every
    worker shares the processor).  Later calls return the device chosen first.
    """
    chosen = _chosen.get(requested)
    if chosen is not None:
        if current_device() != chosen:
            select_device(chosen)
        return chosen
    with DEVICE_LOCK:
        candidates = device_candidates(requested)
        if not candidates or candidates[0].type == "CPU":
            device = select_device(requested)
        else:
            if index is None:
                index = worker_index()
            if index is None:
                if len(candidates) > 1:
                    logger.warning(
                        "oclip: this worker's name gives no index, so it takes the first of "
                        "%d devices; name workers NODE-0, NODE-1, ... (dask worker --name "
                        "NODE) or set OCLIP_DEVICE for each", len(candidates))
                index = 0
            start = index % len(candidates)
            failures = []
            for device in candidates[start:] + candidates[:start]:
                failure = check_device(device)
                if failure is None:
                    break
                failures.append(str(failure))
            else:
                raise NoDeviceError("no usable OpenCL device: " + " | ".join(failures))
            device = select_device(device)
        _chosen[requested] = device
        return device


def worker_name() -> str:
    """``host:pid`` of this process, for the summary."""
    return f"{socket.gethostname()}:{os.getpid()}"


# --- tasks and reports ----------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    """One task: the whole of a job (``tile`` None: final outputs written), or a tile
    of it (a tile file per output, in ``tile_folder``)."""

    workflow: Workflow
    job: Job
    folder: str
    outputs: tuple[str, ...]
    labels: frozenset[str] = frozenset()
    time_lapse: bool = False
    static: tuple[str, ...] = ()
    tile: Tile | None = None
    tile_folder: str | None = None
    device: str | None = None

    @property
    def source(self) -> str:
        """The job's first file, and the tile: what progress and errors name."""
        if self.tile is None:
            return self.job.source
        return f"{self.job.source} [{self.tile.describe()}]"


@dataclass(frozen=True)
class Assembly:
    """Joins the tile files of a job's tiles into its output files."""

    job: Job
    folder: str
    outputs: tuple[str, ...]
    kinds: Mapping[str, str]  # output → "image", "table" or "value"
    labels: frozenset[str]
    tiles: tuple[Tile, ...]
    tile_folder: str
    time_lapse: bool = False

    @property
    def source(self) -> str:
        return f"{self.job.source} [assembled]"


@dataclass
class Report:
    """What a task did: small, sent back to the client."""

    source: str
    stem: str
    error: str | None = None
    read: float = 0.0
    compute: float = 0.0
    write: float = 0.0
    worker: str = ""
    objects: dict[str, int] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return self.read + self.compute + self.write


def output_kind(workflow: Workflow, name: str) -> str:
    """``"image"``, ``"table"`` or ``"value"``: what step ``name`` gives."""
    op = get_operation(workflow.step(name).op)
    if op.result_kind is not None:
        return "image"
    return "table" if op.returns_table else "value"


def label_outputs(workflow: Workflow, outputs: Sequence[str]) -> frozenset[str]:
    return frozenset(o for o in outputs
                     if get_operation(workflow.step(o).op).result_kind is ImageKind.LABELS)


def count_objects(values: Mapping[str, Any], labels: frozenset[str],
                  time_lapse: bool) -> dict[str, int]:
    """Objects per label output (labels are 1..n: the largest; summed over time points)
    and rows per table output."""
    counts = {}
    for name, value in values.items():
        if name in labels:
            array = np.asarray(value)
            if array.size == 0:
                counts[name] = 0
            elif time_lapse:
                counts[name] = int(array.reshape(len(array), -1).max(axis=1).sum())
            else:
                counts[name] = int(array.max())
        elif isinstance(value, Mapping):
            counts[name] = len(next(iter(value.values()), ()))
    return counts


def _failure(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def tile_path(folder: str | os.PathLike, output: str, tile: Tile, kind: str) -> Path:
    """The tile file of one output of one tile, in a job's tile ``folder``."""
    return Path(folder) / f"{output}.{tile.name}.{'npz' if kind == 'table' else 'npy'}"


def run_task(task: Task) -> Report:
    """Run one task on this process's device; failures are reported, not raised."""
    report = Report(task.source, task.job.stem, worker=worker_name())
    try:
        _run(task, report)
    except Exception as error:  # one failed task must not stop the others
        report.error = _failure(error)
    return report


def run_job_alone(task: Task, device: tuple[int, str, str] | None) -> Report:
    """:func:`run_task` in a fresh process, on the device of the process that started it
    (``device``: its index, name and platform, as :func:`oclip.devices` lists it); see
    ``run_files``."""
    if device is not None:
        same = [d for d in devices() if (d.index, d.name, d.platform) == device]
        _chosen[task.device] = select_device(same[0] if same else task.device)
    return run_task(task)


def _read_inputs(task: Task) -> dict[str, np.ndarray]:
    arrays = {}
    for name, path in task.job.paths.items():
        if task.tile is None:
            arrays[name] = read_image(path)
        else:
            has_time = task.time_lapse and name not in task.static
            arrays[name] = read_tile(path, task.tile, has_time)
    return arrays


def _run(task: Task, report: Report) -> None:
    start = time.perf_counter()
    arrays = _read_inputs(task)
    report.read = time.perf_counter() - start
    start = time.perf_counter()
    with DEVICE_LOCK:
        worker_device(task.device)
        if task.time_lapse:
            values = task.workflow.run_time_lapse(arrays, static=task.static,
                                                  outputs=task.outputs)
        else:
            results = task.workflow.run(arrays, outputs=task.outputs, keep_intermediates=False)
            values = {name: results[name] for name in task.outputs}
    report.compute = time.perf_counter() - start
    start = time.perf_counter()
    folder = Path(task.folder)
    if task.tile is None:
        for name, value in values.items():
            report.written.append(str(write_output(folder, task.job.stem, name, value,
                                                   labels=name in task.labels)))
        report.objects = count_objects(values, task.labels, task.time_lapse)
    else:
        assert task.tile_folder is not None
        tile_folder = Path(task.tile_folder)
        tile_folder.mkdir(parents=True, exist_ok=True)
        lead = 1 if task.time_lapse else 0
        for name, value in values.items():
            kind = output_kind(task.workflow, name)
            if task.tile.core:
                value = np.asarray(value)
                tiled = len(task.tile.core)
                if value.ndim - lead < tiled or value.shape[-tiled:] != task.tile.read_shape:
                    raise WorkflowError(
                        f"output '{name}' has shape {value.shape[lead:]}, not the shape of the "
                        f"tile read {task.tile.read_shape}: the workflow changes the image "
                        f"shape, so it cannot run in tiles")
                # annotated: mypy infers the starred tuple against the wrong numpy overload
                core: tuple[EllipsisType | slice, ...] = (Ellipsis, *task.tile.crop())
                value = value[core]
            path = tile_path(tile_folder, name, task.tile, kind)
            if kind == "table":
                # Any, not ndarray: mypy would match **columns with savez's own
                # keyword parameters (file, allow_pickle)
                columns: dict[str, Any] = {column: np.asarray(v) for column, v in value.items()}
                write_atomically(path, functools.partial(np.savez, **columns))
            else:
                array = np.ascontiguousarray(value)
                write_atomically(path, functools.partial(np.save, arr=array))
            report.written.append(str(path))
    report.write = time.perf_counter() - start


# --- assembly ----------------------------------------------------------------------------


def assemble(assembly: Assembly, *reports: Report) -> Report:
    """Join a job's tile files into its outputs (after all its tiles ran).

    ``reports`` are those of the tiles run in this run (tiles already done
    in an earlier run have none); if one failed, nothing is written and the
    tile files made so far stay for the next run.
    """
    report = Report(assembly.source, assembly.job.stem, worker=worker_name())
    failed = [r for r in reports if r.error is not None]
    if failed:
        report.error = (f"{len(failed)} of {len(assembly.tiles)} tile(s) failed, first "
                        f"{failed[0].source}: {failed[0].error}")
        return report
    start = time.perf_counter()
    try:
        for name in assembly.outputs:
            path, objects = _assemble_output(assembly, name)
            report.written.append(str(path))
            if objects is not None:
                report.objects[name] = objects
        shutil.rmtree(assembly.tile_folder, ignore_errors=True)
        with contextlib.suppress(OSError):
            Path(assembly.tile_folder).parent.rmdir()  # the folder of all jobs' tiles, if empty
    except Exception as error:
        report.error = _failure(error)
    report.write = time.perf_counter() - start
    return report


def _origin(tile: Tile, time_lapse: bool, ndim: int) -> tuple[int, ...]:
    origin = [tile.time[0]] if time_lapse and tile.time is not None else []
    spatial = ndim - len(origin)
    origin += [0] * (spatial - len(tile.core)) + [start for start, _ in tile.core]
    return tuple(origin)


def _assemble_output(assembly: Assembly, name: str) -> tuple[Path, int | None]:
    kind = assembly.kinds[name]
    folder = Path(assembly.folder)
    labels = name in assembly.labels
    files = [(tile, tile_path(assembly.tile_folder, name, tile, kind)) for tile in assembly.tiles]
    if kind != "image":
        values = [_load_tile_file(file, kind) for _, file in files]
        starts = [tile.time[0] if tile.time is not None else 0 for tile, _ in files]
        value: dict[str, np.ndarray] | np.ndarray
        if kind == "table":
            value = _join_tables(name, values, starts)
        else:
            value = np.concatenate([np.atleast_1d(v) for v in values])
        written = write_output(folder, assembly.job.stem, name, value, labels=labels)
        return written, count_objects({name: value}, frozenset(), False).get(name)
    placed = []
    shape: list[int] = []
    dtype = None
    for tile, file in files:
        result = np.load(file, mmap_mode="r")
        origin = _origin(tile, assembly.time_lapse, result.ndim)
        if not shape:
            shape = [0] * result.ndim
            dtype = np.dtype(np.uint32) if labels else result.dtype
        shape = [max(s, o + n) for s, o, n in zip(shape, origin, result.shape, strict=True)]
        placed.append((origin, file))
        del result
    path = folder / f"{assembly.job.stem}_{name}.tif"
    frames: dict[int, int] = {}
    _write_tiff(path, tuple(shape), dtype, placed, labels, assembly.time_lapse, frames)
    return path, (sum(frames.values()) if labels else None)


def _load_tile_file(file: Path, kind: str) -> Any:
    if kind == "table":
        with np.load(file) as data:
            return {column: data[column] for column in data.files}
    return np.load(file)


def _join_tables(name: str, tables: list[dict[str, np.ndarray]],
                 starts: list[int]) -> dict[str, np.ndarray]:
    """Tables of tiles in time as one: the ``frame`` column counts from each tile's start."""
    joined = {}
    for column in tables[0]:
        values = [np.asarray(t[column]) for t in tables]
        if column == "frame":
            values = [v + start for v, start in zip(values, starts, strict=True)]
        joined[column] = np.concatenate(values)
    return joined


def _write_tiff(path: Path, shape: tuple[int, ...], dtype: Any, placed: list, labels: bool,
                time_lapse: bool, frames: dict[int, int]) -> None:
    """Write tile files into a new TIFF of ``shape`` through a memory map, atomically.

    The file is filled tile by tile: memory holds one tile at a time (the
    memory map's pages go to the file), never the whole output.  ``placed``
    holds (origin, tile file) pairs; ``frames`` gets the largest label of each
    time point (of the whole image: key 0).
    """
    tifffile = require("tifffile", "writing TIFF files")

    def fill(file: Any) -> None:
        target = tifffile.memmap(file.name, shape=shape, dtype=dtype, photometric="minisblack",
                                 software=SOFTWARE)
        for origin, tile_file in placed:
            result = np.load(tile_file, mmap_mode="r")
            region = tuple(slice(o, o + n) for o, n in zip(origin, result.shape, strict=True))
            target[region] = result
            if labels and result.size:
                if time_lapse:
                    for t, value in enumerate(result.reshape(len(result), -1).max(axis=1)):
                        frames[origin[0] + t] = max(frames.get(origin[0] + t, 0), int(value))
                else:
                    frames[0] = max(frames.get(0, 0), int(result.max()))
            del result
        target.flush()
        del target

    write_atomically(path, fill, sync=True)
