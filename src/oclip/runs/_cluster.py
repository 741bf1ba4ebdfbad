"""Distributed runs on dask.distributed (what ``oclip run --scheduler`` does).

:func:`run_distributed` submits one task per job (file), or per tile of a
job (time points of a time-lapse, regions of large images: see ``_tiles``)
followed by an assembly task that joins the tiles, to a dask scheduler:

* ``"local:N"`` starts a local cluster of N worker processes on this machine
  (``"local"``: one per GPU, or one per 2 CPU cores for the CPU device);
* an address (``tcp://host:8786``) uses a running cluster; the workers must
  have oclip installed and see the input and output folders at the same
  paths (a shared file system);
* a ``distributed.Client`` is used as it is, and a cluster object
  (``LocalCluster``, dask-jobqueue's ``SLURMCluster``, ...) through a client
  made for the run.

Tasks carry file paths, not images: each worker reads its inputs and writes
its outputs itself.  Outputs are written atomically.  A re-run into the same
folder skips jobs whose outputs are complete (present and newer than their
inputs) and tiles whose tile files are, so an interrupted run resumes where
it stopped; ``oclip-run-workflow.yaml`` in the folder records the workflow
and options a folder's outputs belong to, and a run with another workflow is
refused unless ``overwrite=True``.  ``oclip-run-summary.csv`` gets one row
per job: status, timings, workers, object counts.

A worker that dies (killed, out of memory, its machine lost) loses no work:
the scheduler runs its tasks again on another worker.  No more tasks are handed
to the cluster than its workers have threads, so a file that kills every worker
running it (too large for the memory) fails alone, with that reason, after
dask's few retries; the files after it wait on the client meanwhile.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._io import PARTIAL, remove_leftovers, require
from ..workflow import Workflow, WorkflowError
from ._batch import RECORD_FILE as RECORD_FILE  # the folder's files, named here too
from ._batch import SUMMARY_FILE as SUMMARY_FILE
from ._batch import (
    BatchSummary,
    Job,
    check_output_names,
    check_record,
    is_complete,
    newest_input,
    output_path,
    previous_rows,
    remove_job_leftovers,
    summary_columns,
    write_record,
    write_summary,
)
from ._tasks import (
    Assembly,
    Report,
    Task,
    assemble,
    device_candidates,
    label_outputs,
    output_kind,
    run_task,
    tile_path,
)
from ._tiles import Tile, image_shape, parse_tile, plan_tiles, workflow_halo

#: Tile files of jobs not yet assembled, one folder per job.
TILES_FOLDER = ".oclip-parts"


@dataclass
class ClusterSummary(BatchSummary):
    """What a distributed run did (a :class:`BatchSummary` with more).

    Attributes
    ----------
    tasks : int
        Tasks submitted.
    workers : int
        Workers the scheduler had when the run started.
    """

    tasks: int = 0
    workers: int = 0


# --- schedulers ---------------------------------------------------------------------------


def parse_scheduler(spec: str) -> tuple[str, Any]:
    """``("local", N or None)`` for ``local`` / ``local:N``, else ``("address", spec)``."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"scheduler: expected local, local:N or an address such as "
                         f"tcp://host:8786, got {spec!r}")
    spec = spec.strip()
    if spec == "local":
        return "local", None
    if spec.startswith("local:"):
        count = spec.removeprefix("local:")
        if not count.isdigit() or int(count) < 1:
            raise ValueError(f"scheduler: local:N needs a number of workers N >= 1, got {spec!r}")
        return "local", int(count)
    return "address", spec


def cpu_cores() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def local_workers(device: str | None = None) -> int:
    """Workers of ``local``: one per GPU (or other accelerator) of the kind selected,
    else one per 2 CPU cores (the CPU device spreads each kernel over cores itself)."""
    candidates = device_candidates(device)
    if candidates and candidates[0].type != "CPU":
        return len(candidates)
    return max(1, cpu_cores() // 2)


def local_cluster_options(workers: int) -> dict[str, Any]:
    """LocalCluster arguments: worker processes of one thread each, on loopback.

    Each worker process may use ``cores // workers`` threads for the PoCL CPU
    device (POCL_MAX_PTHREAD_COUNT, the name PoCL up to 3.x reads, and
    POCL_CPU_MAX_CU_COUNT, the name of later versions), so that workers do
    not oversubscribe the cores, unless these are set already (the workers
    inherit them); the nanny already limits OpenMP and BLAS threads to 1.
    """
    threads = str(max(1, cpu_cores() // workers))
    limits = {name: threads for name in ("POCL_MAX_PTHREAD_COUNT", "POCL_CPU_MAX_CU_COUNT")
              if name not in os.environ}  # a limit set by the user stays
    return {"n_workers": workers, "threads_per_worker": 1, "processes": True,
            # the scheduler serves HTTP (dashboard, health) anyway: any free loopback port
            "host": "127.0.0.1", "dashboard_address": "127.0.0.1:0", "env": limits}


@contextlib.contextmanager
def connect(scheduler: Any, device: str | None = None) -> Iterator[Any]:
    """A ``distributed.Client`` for ``scheduler`` (see the module); a cluster or client
    made here is closed on leaving."""
    distributed = require("distributed", "running on a dask scheduler")
    if isinstance(scheduler, distributed.Client):
        yield scheduler
        return
    if hasattr(scheduler, "scheduler_address"):  # a cluster object (LocalCluster, SLURMCluster)
        with distributed.Client(scheduler) as client:
            yield client
        return
    kind, value = parse_scheduler(scheduler)
    if kind == "local":
        workers = value or local_workers(device)
        with distributed.LocalCluster(**local_cluster_options(workers)) as cluster, \
                distributed.Client(cluster) as client:
            yield client
    else:
        try:
            client = distributed.Client(value)
        except OSError as error:
            raise OSError(f"cannot reach the dask scheduler at {value}: {error}") from None
        with client:
            yield client


# --- planning ---------------------------------------------------------------------------


@dataclass
class _Plan:
    job: Job
    tasks: list[Task] = field(default_factory=list)
    assembly: Assembly | None = None
    skipped: bool = False
    error: str | None = None
    reports: list[Report] = field(default_factory=list)
    final: Report | None = None

    @property
    def source(self) -> str:
        return self.job.source


def _tiles_of(job: Job, time_lapse: bool, static: Sequence[str], per_task: int,
              tile_shape: tuple[int, ...] | None, halo: tuple[int, int, int]) -> list[Tile]:
    shapes = {name: image_shape(path)[0] for name, path in job.paths.items()}
    time_points = None
    if time_lapse:
        series = {n: s for n, s in shapes.items() if n not in static}
        for name, shape in series.items():
            if len(shape) not in (3, 4):
                raise WorkflowError(
                    f"input '{name}' must be a time-lapse with axes (t, y, x) or (t, z, y, x), "
                    f"got shape {shape}; name inputs without a time axis in static=[...]")
        lengths = {shape[0] for shape in series.values()}
        if len(lengths) > 1:
            raise WorkflowError("the time-lapse inputs have different numbers of time points: "
                                + ", ".join(f"{n}: {s[0]}" for n, s in series.items()))
        if not series:
            raise WorkflowError("no time-lapse input: every input is static")
        time_points = lengths.pop()
        if time_points == 0:
            raise WorkflowError("the time-lapse has no time points")
    spatial = None
    if tile_shape is not None:
        frames = {n: (s[1:] if time_lapse and n not in static else s) for n, s in shapes.items()}
        if len(set(frames.values())) > 1:
            raise WorkflowError("tiles need inputs of one shape: " + ", ".join(
                f"{n}: {s}" for n, s in frames.items()))
        spatial = next(iter(frames.values()))
    return plan_tiles(spatial, tile_shape, halo, time_points, per_task)


# --- the run ---------------------------------------------------------------------------


def run_distributed(workflow: Workflow, jobs: Sequence[Job], output: str | os.PathLike, *,
                    scheduler: Any = "local", time_lapse: bool = False,
                    static: Sequence[str] = (), time_points_per_task: int = 1,
                    tile: str | Sequence[int] | None = None, overwrite: bool = False,
                    device: str | None = None,
                    progress: Callable[[int, int, Any, str | None], Any] | None = None
                    ) -> ClusterSummary:
    """Run ``workflow`` on each job's files on a dask cluster; write outputs to ``output``.

    Parameters
    ----------
    workflow : Workflow
    jobs : sequence of Job
        From :func:`plan_jobs`.
    output : path
        Folder for the outputs (created if needed); workers write there.
    scheduler : str, distributed.Client or a dask cluster
        ``"local"``, ``"local:N"``, a scheduler address, a Client, or a
        cluster object (``LocalCluster``, ``SLURMCluster``, ...).
    time_lapse : bool
        The input files have a leading time axis (see ``run_files``);
        ``static`` names inputs without one.
    time_points_per_task : int
        With ``time_lapse``: time points per task (0: a whole file per task).
    tile : str or sequence of int, optional
        Run in tiles of this size along the trailing axes (``(y, x)`` or
        ``(z, y, x)``, or ``"512,512"``), each read with the workflow's halo
        around it; for workflows of local operations only.
    overwrite : bool
        Recompute every output, even those that are complete.
    device : str, optional
        The OpenCL device of the workers (``gpu``, ``cpu``, part of a name);
        by default each worker's ``OCLIP_DEVICE``, else the best kind
        present, GPUs shared out by worker index.
    progress : callable, optional
        Called after each task as ``progress(done, total, task, error)``;
        ``task.source`` names the file (and the tile).

    Returns
    -------
    ClusterSummary
        Jobs done, failed (with the reason) and skipped, files written, the
        summary table.

    Raises
    ------
    WorkflowError
        For a workflow that cannot run in tiles (naming the step), or an
        output folder that holds another workflow's outputs, or two jobs
        that would write files of the same name.
    ImportError
        Without dask.distributed (``pip install "oclip[cluster]"``).
    """
    start = time.perf_counter()
    if isinstance(static, str):
        static = (static,)
    static = tuple(static)
    unknown = [n for n in static if n not in workflow.inputs]
    if unknown:
        raise WorkflowError(f"static input(s) {', '.join(unknown)} are not inputs of this "
                            f"workflow")
    if static and not time_lapse:
        raise WorkflowError("static inputs only apply to time-lapse runs")
    if isinstance(time_points_per_task, bool) or not isinstance(time_points_per_task, int) \
            or time_points_per_task < 0:
        raise ValueError(f"time_points_per_task: expected a whole number >= 0, got "
                         f"{time_points_per_task!r}")
    check_output_names(workflow, jobs, output)
    tile_shape = parse_tile(tile)
    outputs = workflow.output_ids
    labels = label_outputs(workflow, outputs)
    kinds = {name: output_kind(workflow, name) for name in outputs}
    halo = workflow_halo(workflow, outputs) if tile_shape is not None else (0, 0, 0)
    folder = Path(output)
    folder.mkdir(parents=True, exist_ok=True)
    options = {"time_lapse": bool(time_lapse), "static": sorted(static)}
    check_record(folder, workflow, options, overwrite)
    require("distributed", "running on a dask scheduler")
    if overwrite:
        shutil.rmtree(folder / TILES_FOLDER, ignore_errors=True)
    # what writers killed in an earlier run left, also of jobs complete now (skipped)
    remove_job_leftovers(workflow, jobs, folder)
    for job in jobs:
        for leftover in (folder / TILES_FOLDER / job.stem).glob(f".*{PARTIAL}"):
            leftover.unlink(missing_ok=True)

    plans = []
    split = tile_shape is not None or (time_lapse and time_points_per_task > 0)
    for job in jobs:
        plan = _Plan(job)
        plans.append(plan)
        job_task = functools.partial(Task, workflow=workflow, job=job, folder=str(folder),
                                     outputs=outputs, labels=labels, time_lapse=time_lapse,
                                     static=static, device=device)
        try:
            newest = newest_input(job)
            finals = [output_path(folder, job.stem, o, kinds[o], time_lapse) for o in outputs]
            if not overwrite and all(is_complete(f, newest) for f in finals):
                plan.skipped = True
                continue
            if not split:
                plan.tasks.append(job_task())
                continue
            tiles = _tiles_of(job, time_lapse, static, time_points_per_task, tile_shape, halo)
            tile_folder = folder / TILES_FOLDER / job.stem
            for job_tile in tiles:
                tile_done = not overwrite and all(
                    is_complete(tile_path(tile_folder, o, job_tile, kinds[o]), newest)
                    for o in outputs)
                if not tile_done:
                    plan.tasks.append(job_task(tile=job_tile, tile_folder=str(tile_folder)))
            plan.assembly = Assembly(job, str(folder), outputs, kinds, labels, tuple(tiles),
                                     str(tile_folder), time_lapse)
        except Exception as error:  # a file that cannot be planned fails alone
            plan.error = f"{type(error).__name__}: {error}"

    summary = ClusterSummary(jobs=len(jobs))
    total = sum(len(p.tasks) + (p.assembly is not None) + (p.error is not None) for p in plans)
    done = 0
    for plan in plans:
        if plan.error is not None:
            done += 1
            if progress is not None:
                progress(done, total, plan, plan.error)
    if total > done:
        write_record(folder, workflow, options)
        with connect(scheduler, device) as client:
            from ._plugin import OclipWorker

            client.register_plugin(OclipWorker(device), name="oclip")
            summary.workers = len(client.scheduler_info().get("workers", {}))
            done = _submit_and_wait(client, plans, done, total, progress)
    summary.tasks = total - sum(p.error is not None for p in plans)
    _finish(summary, plans, folder, outputs, kinds, labels, time_lapse)
    summary.seconds = time.perf_counter() - start
    return summary


def _submit_and_wait(client: Any, plans: list[_Plan], done: int, total: int,
                     progress: Callable | None) -> int:
    """Submit the plans' tasks and wait for them, reporting each.

    No more tasks are handed to the cluster than its workers have threads: a
    task that kills its worker (a file too large for the memory) is then the
    only one running there, and the tasks after it wait on the client, not
    queued on that worker, where each of its deaths would count against them
    too (dask gives a task up, KilledWorker, after a few deaths of the workers
    running it).
    """
    from distributed import as_completed

    token = uuid.uuid4().hex[:8]
    owners: dict[Any, tuple[_Plan, Any, bool]] = {}
    waiting = [(number, plan, task) for number, plan in enumerate(plans)
               for task in plan.tasks]
    waiting.reverse()  # popped from the end: in order
    left = {id(plan): len(plan.tasks) for plan in plans}
    futures: dict[int, list[Any]] = {id(plan): [] for plan in plans}
    completed = as_completed()

    def prefix(number: int, plan: _Plan) -> str:
        return f"oclip-{token}-{number}-{plan.job.stem}"

    def assemble_when_submitted(number: int, plan: _Plan) -> None:
        if plan.assembly is not None and left[id(plan)] == 0:
            # assembled as soon as the job's tiles are done: its tile files leave the disk
            future = client.submit(assemble, plan.assembly, *futures[id(plan)],
                                   key=f"{prefix(number, plan)}-assemble", pure=False,
                                   priority=1)
            owners[future] = (plan, plan.assembly, True)
            completed.add(future)

    def submit_next() -> None:
        number, plan, task = waiting.pop()
        key = f"{prefix(number, plan)}-{task.tile.name if task.tile is not None else 'job'}"
        future = client.submit(run_task, task, key=key, pure=False)
        owners[future] = (plan, task, task.tile is None)
        futures[id(plan)].append(future)
        completed.add(future)
        left[id(plan)] -= 1
        assemble_when_submitted(number, plan)

    for number, plan in enumerate(plans):
        assemble_when_submitted(number, plan)  # tiles all done in an earlier run
    running = 0
    while waiting or owners:
        threads = sum(w.get("nthreads", 1) for w in
                      client.scheduler_info().get("workers", {}).values())
        while waiting and running < max(threads, 1):
            submit_next()
            running += 1
        future = next(completed)
        plan, item, final = owners.pop(future)
        if not isinstance(item, Assembly):
            running -= 1
        try:
            report = future.result()
        except Exception as error:  # e.g. a task whose workers kept dying (KilledWorker)
            report = Report(item.source, plan.job.stem, error=_task_failure(error))
        if plan.assembly is None:
            future.release()
        elif final:  # the tiles' results are the assembly's inputs: kept until it is done
            for tile_future in futures[id(plan)]:
                tile_future.release()
            future.release()
        plan.reports.append(report)
        if final:
            plan.final = report
        done += 1
        if progress is not None:
            progress(done, total, item, report.error)
    return done


def _task_failure(error: BaseException) -> str:
    """The reason of a task that raised on the client's side."""
    if type(error).__name__ == "KilledWorker":
        return (f"the worker process running it died each time (out of memory, or killed; "
                f"see the workers' logs): {type(error).__name__}: {error}")
    return f"{type(error).__name__}: {error}"


def _finish(summary: ClusterSummary, plans: list[_Plan], folder: Path,
            outputs: tuple[str, ...], kinds: Mapping[str, str], labels: frozenset[str],
            time_lapse: bool) -> None:
    previous = previous_rows(folder)
    counted = [o for o in outputs if o in labels or kinds[o] == "table"]
    columns = summary_columns(counted, labels)
    rows = []
    for plan in plans:
        row: dict[str, Any] = dict.fromkeys(columns, "")
        row["file"] = plan.source
        if plan.skipped:
            summary.skipped.append(plan.source)
            row.update({k: v for k, v in previous.get(plan.source, {}).items() if k in row})
            row["status"] = "skipped"
            row["file"] = plan.source
            rows.append(row)
            continue
        final = plan.final
        error = plan.error
        if error is None and (final is None or final.error is not None):
            error = final.error if final is not None else "not run"
        if error is None:
            assert final is not None  # else error is set above
            summary.done.append(plan.source)
            summary.written += [Path(p) for p in final.written]
        else:
            summary.failed.append((plan.source, error))
        reports = plan.reports
        row.update({
            "status": "done" if error is None else "failed",
            "tasks": len(reports),
            "seconds": f"{sum(r.seconds for r in reports):.3f}",
            "read_seconds": f"{sum(r.read for r in reports):.3f}",
            "compute_seconds": f"{sum(r.compute for r in reports):.3f}",
            "write_seconds": f"{sum(r.write for r in reports):.3f}",
            "workers": " ".join(sorted({r.worker for r in reports if r.worker})),
            "error": error or "",
        })
        if final is not None and error is None:
            for name in counted:
                key = f"{name}_{'objects' if name in labels else 'rows'}"
                row[key] = final.objects.get(name, "")
        rows.append(row)
        # temporary files of writers that died (their tasks ran again elsewhere)
        for name in outputs:
            target = output_path(folder, plan.job.stem, name, kinds[name], time_lapse)
            remove_leftovers(target)
    summary.table = write_summary(folder, columns, rows)
    summary.rows = rows
