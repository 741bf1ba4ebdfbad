"""Batch runs over TIFF files (what ``oclip run`` does).

Which files make one run (a *job*):

* a workflow with one input takes files and folders; every TIFF file given,
  and every TIFF directly inside a folder given (sorted by name), is one job;
* any workflow takes ``name=PATH`` pairs, one per input: a file is used for
  every job; folders pair their files by file name (the jobs are the TIFFs of
  the first folder input; the other folders must hold files of the same names).

The output folder may be an input folder too: the images ``oclip run`` wrote
(marked by the TIFF Software tag, see ``_images.SOFTWARE``) are not taken as
inputs by a run into the folder they are in, and an output that would
overwrite an input is refused.

A job's outputs are written to the output folder as
``<stem>_<output id>.tif`` (label images as uint32) and tables as
``<stem>_<output id>.csv``, where ``<stem>`` is the file name (without
suffix) of the job's first input.  Two jobs that would write files of the
same name (compared without the suffix and ignoring case: ``cells.tif`` with
output ``a_labels`` and ``cells_a.tif`` with output ``labels``) are refused
before anything runs.  Files are written atomically (a hidden
temporary file ``.<name>.<random>.partial``, renamed); those a killed run left
for any job of a run are removed when the run starts.  A job that fails (a file that
cannot be read, is no TIFF or a damaged one, an output that cannot be written)
is reported and the others go on.  A job that may need more than half the
memory this process can still get (:func:`memory_estimate` against
:func:`available_memory`) runs in a fresh process of its own, so that running
out of memory there (an OpenCL driver that aborts, the kernel's OOM killer)
fails that job alone.

In its resumable form (``run_files(..., resume=True)``, what the plugin's
*Apply to folder* runs) a run keeps a folder as ``oclip run --scheduler``
does: it records the workflow (``RECORD_FILE``), skips the jobs whose outputs
are complete, writes the summary table (``SUMMARY_FILE``), and can be stopped
between files.
"""

from __future__ import annotations

import csv
import io
import json
import math
import multiprocessing
import os
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._errors import format_bytes
from .._io import remove_leftovers, write_text
from ..ops import ImageKind, get_operation
from ..workflow import Workflow, WorkflowError, dumps, loads
from ._images import read_image, write_output, written_by_oclip
from ._jobs import Job
from ._tasks import count_objects, output_kind
from ._tiles import image_shape

#: File name suffixes taken from folders (case-insensitive).
TIFF_SUFFIXES = (".tif", ".tiff")


@dataclass
class BatchSummary:
    """What a batch run did.

    Attributes
    ----------
    jobs : int
        Jobs planned.
    done, failed, written : lists
        Jobs done, failed (with the reason), files written.
    skipped : list of str
        Jobs whose outputs were complete already (resumable runs).
    not_run : list of str
        Jobs left out because the run was stopped.
    table : Path or None
        The summary CSV written (resumable runs).
    rows : list of dict
        Its rows.
    """

    jobs: int = 0
    done: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)
    table: Path | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def _same_folder(path: Path, folder: Path | None) -> bool:
    if folder is None:
        return False
    try:
        return path.parent.resolve() == folder.resolve()
    except OSError:
        return False


def _tiffs(path: Path, what: str, output: Path | None = None) -> list[Path]:
    """The TIFF files of ``path`` (itself, or those of a folder), less those that
    ``oclip run`` wrote into the output folder ``output``."""
    if path.is_dir():
        # a broken link is taken, to be reported as unreadable rather than left out
        found = sorted(p for p in path.iterdir() if p.suffix.lower() in TIFF_SUFFIXES
                       and (p.is_file() or (p.is_symlink() and not p.exists())))
        if not found:
            raise WorkflowError(f"{what}: no TIFF files (.tif, .tiff) in folder {path}")
    elif not path.exists():
        raise WorkflowError(f"{what}: {path} does not exist")
    else:
        found = [path]
    inputs = [p for p in found if not (_same_folder(p, output) and written_by_oclip(p))]
    if not inputs:
        held = "holds only outputs" if path.is_dir() else "is an output"
        raise WorkflowError(f"{what}: {path} {held} of oclip run in the output folder, "
                            f"which are never taken as inputs")
    return inputs


#: One row per job of a resumable run: status, timings, workers, object counts.
SUMMARY_FILE = "oclip-run-summary.csv"
#: The workflow (and options) the outputs of a folder belong to.
RECORD_FILE = "oclip-run-workflow.yaml"

_RECORD_PREFIX = "# oclip run options: "


# --- what a folder holds (for resumable runs) ----------------------------------------


def output_path(folder: Path, stem: str, name: str, kind: str, time_lapse: bool) -> Path:
    """The file ``write_output`` writes for one output of a job."""
    as_csv = kind == "table" or (kind == "value" and not time_lapse)
    return folder / f"{stem}_{name}.{'csv' if as_csv else 'tif'}"


def is_complete(path: Path, newest: float) -> bool:
    """Whether the output ``path`` exists and is no older than the newest input."""
    try:
        return path.stat().st_mtime >= newest
    except OSError:
        return False


def newest_input(job: Job) -> float:
    """The modification time of the newest input file of ``job``."""
    return max((Path(p).stat().st_mtime for p in job.paths.values()), default=0.0)


def job_complete(workflow: Workflow, job: Job, folder: Path, time_lapse: bool) -> bool:
    """Whether every output of ``job`` in ``folder`` is complete (a re-run skips it)."""
    try:
        newest = newest_input(job)
    except OSError:  # an input that cannot be read fails when the job runs
        return False
    return all(is_complete(output_path(folder, job.stem, o, output_kind(workflow, o),
                                       time_lapse), newest)
               for o in workflow.output_ids)


def check_record(folder: Path, workflow: Workflow, options: dict[str, Any],
                 overwrite: bool) -> None:
    """Refuse (``WorkflowError``) a folder holding the outputs of another workflow or
    of other options, unless ``overwrite``."""
    path = folder / RECORD_FILE
    if not path.exists() or overwrite:
        return
    try:
        text = path.read_text(encoding="utf-8")
        first = text.splitlines()[0] if text else ""
        recorded = json.loads(first.removeprefix(_RECORD_PREFIX))
        same = loads(text, source=str(path)) == workflow and recorded == options
    except (OSError, ValueError, IndexError):
        same = False
    if not same:
        raise WorkflowError(f"{folder} holds the outputs of another workflow or of other "
                            f"options (see {RECORD_FILE} there): write to another folder, or "
                            f"recompute everything (--overwrite, overwrite=True)")


def write_record(folder: Path, workflow: Workflow, options: dict[str, Any]) -> None:
    """Record in ``folder`` the workflow and options its outputs belong to."""
    write_text(folder / RECORD_FILE, _RECORD_PREFIX + json.dumps(options) + "\n"
               + dumps(workflow))


def previous_rows(folder: Path) -> dict[str, dict[str, str]]:
    """The rows of the summary table an earlier run left in ``folder``, by file."""
    try:
        with open(folder / SUMMARY_FILE, newline="", encoding="utf-8") as file:
            return {row["file"]: row for row in csv.DictReader(file) if "file" in row}
    except (OSError, csv.Error, KeyError):
        return {}


def summary_columns(counted: Sequence[str], labels: Collection[str]) -> list[str]:
    """The columns of the summary table, with a count column per output in ``counted``."""
    return ["file", "status", "tasks", "seconds", "read_seconds", "compute_seconds",
            "write_seconds", "workers",
            *(f"{o}_{'objects' if o in labels else 'rows'}" for o in counted), "error"]


def write_summary(folder: Path, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]
                  ) -> Path:
    """Write the summary table (``SUMMARY_FILE``) into ``folder``; returns its path."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return write_text(folder / SUMMARY_FILE, text.getvalue())


def plan_jobs(workflow: Workflow, paths: Sequence[str | os.PathLike] = (),
              named: Mapping[str, str | os.PathLike] | None = None, *,
              output: str | os.PathLike | None = None) -> list[Job]:
    """The jobs of a batch run (see the module for the rules).

    Parameters
    ----------
    workflow : Workflow
    paths : sequence of paths
        Files and folders, for a workflow with one input.
    named : mapping of str to path
        Input name → file or folder.
    output : path, optional
        The output folder of the run: the images ``oclip run`` wrote there
        are not taken as inputs (where it is an input folder too).

    Raises
    ------
    WorkflowError
        For inputs missing or unknown, paths that do not exist, folders
        without TIFFs, two jobs whose outputs would have the same names, or
        an output that would overwrite an input.
    """
    folder = None if output is None else Path(output)
    named_paths = {name: Path(path) for name, path in (named or {}).items()}
    unknown = [n for n in named_paths if n not in workflow.inputs]
    if unknown:
        raise WorkflowError(f"unknown input(s) {', '.join(map(repr, unknown))}; the workflow "
                            f"takes {', '.join(workflow.inputs) or 'no inputs'}")
    if paths:
        if len(workflow.inputs) != 1:
            raise WorkflowError(
                f"this workflow has {len(workflow.inputs)} inputs "
                f"({', '.join(workflow.inputs) or 'none'}): give each as --input NAME=PATH "
                f"(a file for every run, or a folder whose files pair with the other "
                f"folders' by file name)")
        if named_paths:
            raise WorkflowError("give the input either as INPUT arguments or as "
                                "--input NAME=PATH, not both")
        name = workflow.inputs[0]
        # files given one by one (a shell's in/*.tif) may include earlier outputs: left out
        outputs = set() if folder is None else {
            Path(p) for p in paths if Path(p).is_file() and _same_folder(Path(p), folder)
            and written_by_oclip(p)}
        files = [f for p in paths if Path(p) not in outputs or len(outputs) == len(paths)
                 for f in _tiffs(Path(p), f"input '{name}'", folder)]
        jobs = [Job(f.stem, {name: f}) for f in files]
    else:
        missing = [n for n in workflow.inputs if n not in named_paths]
        if missing:
            raise WorkflowError(f"no file given for input(s) {', '.join(missing)}: give "
                                f"INPUT files, or --input NAME=PATH for each input")
        folders = [n for n in workflow.inputs if named_paths[n].is_dir()]
        for n in workflow.inputs:
            _tiffs(named_paths[n], f"input '{n}'", folder)
        if not folders:
            first = named_paths[workflow.inputs[0]] if workflow.inputs else Path("workflow")
            jobs = [Job(first.stem, dict(named_paths))]
        else:
            leader = folders[0]
            jobs = []
            for file in _tiffs(named_paths[leader], f"input '{leader}'", folder):
                job_paths = {n: named_paths[n] / file.name if n in folders else named_paths[n]
                             for n in workflow.inputs}
                jobs.append(Job(job_paths[workflow.inputs[0]].stem, job_paths))
    check_output_names(workflow, jobs, folder)
    return jobs


def output_stems(workflow: Workflow, job: Job) -> dict[str, str]:
    """Output id → the name of its file without the suffix (``<stem>_<output id>``)."""
    return {name: f"{job.stem}_{name}" for name in workflow.output_ids}


def check_output_names(workflow: Workflow, jobs: Sequence[Job],
                       output: str | os.PathLike | None = None) -> None:
    """Refuse jobs whose output files would have the same names (one would be lost),
    and outputs that would overwrite an input in the output folder ``output``.

    Names are compared without their suffix (an output may be a ``.tif`` or a
    ``.csv``) and case-insensitively (as on macOS and Windows file systems).

    Raises
    ------
    WorkflowError
        Naming both inputs and the file name they would share, or the input
        an output would overwrite.
    """
    inputs: dict[str, Path] = {}
    if output is not None:
        folder = Path(output)
        inputs = {p.name.casefold(): p for job in jobs for p in job.paths.values()
                  if _same_folder(p, folder)}
    images = {o for o in workflow.output_ids
              if get_operation(workflow.step(o).op).result_kind is not None}
    writers: dict[str, tuple[Job, str]] = {}
    for job in jobs:
        for name, stem in output_stems(workflow, job).items():
            overwritten = inputs.get(f"{stem}.tif".casefold()) if name in images else None
            if overwritten is not None:
                raise WorkflowError(
                    f"output '{name}' of {job.source} would overwrite the input "
                    f"{overwritten}: write the outputs to another folder (-o)")
            other = writers.setdefault(stem.casefold(), (job, stem))
            if other[0] is not job:
                raise WorkflowError(
                    f"{other[0].source} and {job.source} would both write {stem}.* (outputs "
                    f"'{other[1][len(other[0].stem) + 1:]}' and '{name}'): one result would "
                    f"be lost; rename one of the files or run them into different folders")


def remove_job_leftovers(workflow: Workflow, jobs: Sequence[Job],
                         output: str | os.PathLike) -> list[Path]:
    """Remove the temporary files that killed writers left for any output of ``jobs``.

    Called at the start of a run, before any writer of the run is at work, so
    that a leftover goes even when its job is not written again (skipped as
    complete, or failing now).  Returns the files removed.
    """
    folder = Path(output)
    removed = []
    for job in jobs:
        for stem in output_stems(workflow, job).values():
            for suffix in (".tif", ".csv"):
                removed += remove_leftovers(folder / f"{stem}{suffix}")
    return removed


def run_files(workflow: Workflow, jobs: Sequence[Job], output: str | os.PathLike, *,
              time_lapse: bool = False, static: Sequence[str] = (),
              progress: Callable[[int, int, Job, str | None], Any] | None = None,
              resume: bool = False, overwrite: bool = False,
              stop: Callable[[], bool] | None = None) -> BatchSummary:
    """Run ``workflow`` on each job's files and write its outputs to ``output``.

    Parameters
    ----------
    workflow : Workflow
    jobs : sequence of Job
        From :func:`plan_jobs`.
    output : path
        Folder for the outputs (created if needed).
    time_lapse : bool
        The input files have a leading time axis: run every time point (see
        :meth:`Workflow.run_time_lapse`); ``static`` names inputs without one.
    progress : callable, optional
        Called after each job as ``progress(done, total, job, error)``, where
        ``error`` is None or the message of the job's failure.
    resume : bool
        Run as ``oclip run --scheduler`` does in the folder: skip the jobs whose
        outputs are complete (present and newer than their inputs), record the
        workflow in ``RECORD_FILE`` (a folder holding another workflow's outputs
        is refused unless ``overwrite``) and write the summary table
        ``SUMMARY_FILE``, one row per job.
    overwrite : bool
        With ``resume``: compute every job, whatever the folder holds.
    stop : callable, optional
        Asked before each job; once it returns True the jobs left are not run
        (listed in :attr:`BatchSummary.not_run`): a run is stopped between files.

    A job that may exhaust the memory runs in a process of its own (see the
    module), on this process's device.

    Returns
    -------
    BatchSummary
        Jobs done, failed (with the reason), skipped and not run, files written.

    Raises
    ------
    WorkflowError
        Before anything runs, if two jobs would write files of the same name,
        or (with ``resume``) if the folder holds another workflow's outputs.
    """
    run = BatchRun(workflow, jobs, output, time_lapse=time_lapse, static=static,
                   resume=resume, overwrite=overwrite)
    while not run.finished:
        if stop is not None and stop():
            run.stop()
            break
        job, error = run.run_next()
        if progress is not None:
            progress(run.done, len(jobs), job, error)
    return run.finish()


class BatchRun:
    """A batch run taken one job at a time (:func:`run_files` is its loop): made,
    it has checked the jobs and prepared the output folder; :meth:`run_next`
    runs the next job, :meth:`stop` leaves the others out, :meth:`finish` writes
    the summary table (``resume``) and gives the summary.

    Between jobs, the caller may do other work on the same thread (the plugin
    recomputes its layers there between the files of a folder run).  The
    parameters are :func:`run_files`'s.

    Raises
    ------
    WorkflowError
        When made, if two jobs would write files of the same name, or (with
        ``resume``) if the folder holds another workflow's outputs.
    """

    def __init__(self, workflow: Workflow, jobs: Sequence[Job], output: str | os.PathLike, *,
                 time_lapse: bool = False, static: Sequence[str] = (), resume: bool = False,
                 overwrite: bool = False) -> None:
        self._start = time.perf_counter()
        check_output_names(workflow, jobs, output)
        self.folder = folder = Path(output)
        folder.mkdir(parents=True, exist_ok=True)
        options = {"time_lapse": bool(time_lapse), "static": sorted(static)}
        if resume:
            check_record(folder, workflow, options, overwrite)
        remove_job_leftovers(workflow, jobs, folder)
        self.workflow = workflow
        self.jobs = list(jobs)
        self.time_lapse, self.static = time_lapse, tuple(static)
        self.resume, self.overwrite = resume, overwrite
        self.outputs = workflow.output_ids
        self.labels = {o for o in self.outputs
                       if get_operation(workflow.step(o).op).result_kind is ImageKind.LABELS}
        self._shared = _shared_paths(jobs)
        self._read_once: dict[Path, Any] = {}
        self.summary = BatchSummary(jobs=len(jobs))
        self._rows: list[dict[str, Any]] = []
        self._previous = previous_rows(folder) if resume else {}
        self.done = 0  # jobs run (or skipped) so far
        if resume:
            write_record(folder, workflow, options)

    @property
    def finished(self) -> bool:
        """Whether no job is left to run."""
        return self.done >= len(self.jobs)

    def run_next(self) -> tuple[Job, str | None]:
        """Run the next job; returns it and the message of its failure (or None)."""
        job = self.jobs[self.done]
        self.done += 1
        summary, workflow, folder = self.summary, self.workflow, self.folder
        if self.resume and not self.overwrite and job_complete(workflow, job, folder,
                                                               self.time_lapse):
            summary.skipped.append(job.source)
            self._rows.append({**self._previous.get(job.source, {}), "file": job.source,
                               "status": "skipped"})
            return job, None
        row: dict[str, Any] = {"file": job.source, "tasks": 1}
        need = memory_estimate(workflow, job)
        available = available_memory()
        if available is not None and need > available // 2:
            # a job that may exhaust the memory runs in a process of its own: a driver
            # that aborts there (or the kernel's OOM killer) takes only that job along
            began = time.perf_counter()
            error = _run_alone(workflow, job, folder, self.outputs, self.labels,
                               self.time_lapse, self.static, need, available, summary)
            row["seconds"] = f"{time.perf_counter() - began:.3f}"
        else:
            error = _run_here(workflow, job, folder, self.outputs, self.labels,
                              self.time_lapse, self.static, self._shared, self._read_once,
                              summary, row)
        row["status"] = "done" if error is None else "failed"
        row["error"] = error or ""
        self._rows.append(row)
        return job, error

    def stop(self) -> None:
        """Leave the jobs not run yet out (listed as not run)."""
        left = self.jobs[self.done:]
        self.summary.not_run += [job.source for job in left]
        self._rows += [{"file": job.source, "status": "not run"} for job in left]
        self.done = len(self.jobs)

    def finish(self) -> BatchSummary:
        """The summary of the run, with the summary table written (``resume``)."""
        summary = self.summary
        summary.seconds = time.perf_counter() - self._start
        if self.resume:
            workflow = self.workflow
            counted = [o for o in self.outputs
                       if o in self.labels or output_kind(workflow, o) == "table"]
            columns = summary_columns(counted, self.labels)
            summary.rows = [{c: row.get(c, "") for c in columns} for row in self._rows]
            summary.table = write_summary(self.folder, columns, summary.rows)
        self._read_once.clear()
        return summary


def _run_here(workflow: Workflow, job: Job, folder: Path, outputs: tuple[str, ...],
              labels: set[str], time_lapse: bool, static: Sequence[str], shared: set[Path],
              read_once: dict[Path, Any], summary: BatchSummary, row: dict[str, Any]
              ) -> str | None:
    """Run one job in this process; its error, or None.  Timings and object counts
    go into ``row``."""
    arrays: dict[str, Any] = {}
    values: dict[str, Any] = {}
    began = time.perf_counter()
    times = [began, began, began]
    try:
        for name, path in job.paths.items():
            if path in shared:
                if path not in read_once:
                    read_once[path] = read_image(path)
                arrays[name] = read_once[path]
            else:
                arrays[name] = read_image(path)
        times[0] = time.perf_counter()
        if time_lapse:
            values = workflow.run_time_lapse(arrays, static=static, outputs=outputs)
        else:
            results = workflow.run(arrays, outputs=outputs, keep_intermediates=False)
            values = {name: results[name] for name in outputs}
        times[1] = time.perf_counter()
        for name, value in values.items():
            written = write_output(folder, job.stem, name, value, labels=name in labels)
            summary.written.append(written)
        times[2] = time.perf_counter()
        summary.done.append(job.source)
        for name, count in count_objects(values, frozenset(labels), time_lapse).items():
            row[f"{name}_{'objects' if name in labels else 'rows'}"] = count
    except Exception as failure:  # one failed file must not stop the others
        error = f"{type(failure).__name__}: {failure}"
        summary.failed.append((job.source, error))
        return error
    finally:
        ended = time.perf_counter()
        row.update({"seconds": f"{ended - began:.3f}",
                    "read_seconds": f"{max(times[0] - began, 0.0):.3f}",
                    "compute_seconds": f"{max(times[1] - times[0], 0.0):.3f}",
                    "write_seconds": f"{max(times[2] - times[1], 0.0):.3f}"})
    return None  # this job's images go with this call: not kept while the next one runs


def memory_estimate(workflow: Workflow, job: Job) -> int:
    """About the most memory (bytes) a job needs: its inputs, and an image of the
    largest input's size per step and for the outputs, of 4 bytes a pixel or more.

    0 for a job whose files cannot be read (it fails when it reads them).
    """
    try:
        shapes = [image_shape(path) for path in job.paths.values()]
    except Exception:  # reported when the job reads the file
        return 0
    inputs = sum(math.prod(shape) * dtype.itemsize for shape, dtype in shapes)
    pixels = max((math.prod(shape) for shape, _ in shapes), default=0)
    itemsize = max([4, *(dtype.itemsize for _, dtype in shapes)])
    return inputs + pixels * itemsize * (len(workflow.steps) + 2)


def available_memory() -> int | None:
    """The memory this process can still get (bytes): what the system has available,
    and what its address-space limit (``ulimit -v``) leaves; None where unknown."""
    known = []
    try:
        with open("/proc/meminfo", encoding="ascii") as file:
            for line in file:
                if line.startswith("MemAvailable:"):
                    known.append(int(line.split()[1]) * 1024)
        with open("/proc/self/status", encoding="ascii") as file:
            size = next(int(line.split()[1]) * 1024 for line in file
                        if line.startswith("VmSize:"))
        import resource

        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
        if limit != resource.RLIM_INFINITY:
            known.append(max(limit - size, 0))
    except (OSError, ValueError, StopIteration, ImportError):  # not Linux
        pass
    return min(known) if known else None


def _run_alone(workflow: Workflow, job: Job, folder: Path, outputs: tuple[str, ...],
               labels: set[str], time_lapse: bool, static: Sequence[str], need: int,
               available: int, summary: BatchSummary) -> str | None:
    """Run one job in a fresh process on this process's device; its error, or None."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from .._backend import current_device
    from ._tasks import Task, run_job_alone

    task = Task(workflow, job, str(folder), outputs, frozenset(labels), time_lapse,
                tuple(static))
    try:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            device = current_device()
            report = pool.submit(run_job_alone, task,
                                 (device.index, device.name, device.platform)).result()
        error = report.error
    except BrokenProcessPool:
        error = (f"out of memory: the process it ran in died (it needs about "
                 f"{format_bytes(need)}, {format_bytes(available)} are available); run it "
                 f"on a machine with more memory, or in tiles (--scheduler local:1 --tile)")
    except Exception as failure:  # the process could not start, or its report not come back
        error = f"{type(failure).__name__}: {failure}"
    if error is None:
        summary.done.append(job.source)
        summary.written += [Path(p) for p in report.written]
    else:
        summary.failed.append((job.source, error))
    return error


def _shared_paths(jobs: Sequence[Job]) -> set[Path]:
    """Files every job reads (read once for the whole batch)."""
    if len(jobs) < 2:
        return set()
    common = set(jobs[0].paths.values())
    for job in jobs[1:]:
        common &= set(job.paths.values())
    return common
