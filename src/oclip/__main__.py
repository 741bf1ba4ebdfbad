"""Command line: ``python -m oclip`` (also installed as ``oclip``).

    oclip devices    list OpenCL devices, whether each works, which one is selected
    oclip demo       open napari with sample data and the oclip widgets
    oclip run        run a workflow file on TIFF files or folders of them, in this
                     process or on a dask cluster (--scheduler)
    oclip export     export a workflow file as a Python script or a Jupyter notebook
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any, TextIO

from ._backend import DEVICE_ENVIRONMENT_VARIABLE, check_device, devices, select_device
from ._errors import NoDeviceError, OclipError, format_bytes


def _list_devices(args: argparse.Namespace) -> int:
    found = devices()
    try:
        selected = select_device(args.device)
        selection_error = None
    except NoDeviceError as error:
        selected, selection_error = None, error
    rows = [("", "#", "device", "type", "memory", "OpenCL", "platform", "status")]
    problems = []
    for device in found:
        failure = check_device(device)
        if failure is not None:
            problems.append(f"  #{device.index}: {failure}")
        rows.append((
            "*" if selected is not None and device.index == selected.index else "",
            str(device.index),
            device.name,
            device.type,
            format_bytes(device.global_memory),
            " ".join(device.opencl_version.split()[:2]),
            device.platform,
            "works" if failure is None else "fails (see below)",
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    if problems:
        print("\nDevices that fail:")
        print("\n".join(problems))
    if selection_error is not None:
        print(f"\noclip: {selection_error}", file=sys.stderr)
        return 1
    how = (f"--device {args.device}" if args.device else
           f"{DEVICE_ENVIRONMENT_VARIABLE}={os.environ[DEVICE_ENVIRONMENT_VARIABLE]}"
           if os.environ.get(DEVICE_ENVIRONMENT_VARIABLE) else "best available")
    print(f"\nselected (*): {selected} [{how}]; "
          f"choose another with {DEVICE_ENVIRONMENT_VARIABLE}=NAME")
    return 0


def _demo(args: argparse.Namespace) -> int:
    try:
        from .napari._demo import main as demo
    except ImportError as error:
        print(f"oclip demo needs the napari extra: pip install 'oclip[napari,pyqt6]' ({error})",
              file=sys.stderr)
        return 1
    demo()
    return 0


class _Progress:
    """A progress bar on a terminal, one line per file otherwise (logs, pipes)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.bar = self.stream.isatty()
        self.start = time.perf_counter()
        self.done = 0
        self.failed = 0
        self.total: int | None = None

    def __call__(self, done: int, total: int, job: Any, error: str | None) -> None:
        self.done, self.total = done, total
        self.failed += error is not None
        elapsed = time.perf_counter() - self.start
        if error is not None:
            if self.bar:
                self.stream.write("\r\033[K")
            self.stream.write(f"[{done}/{total}] {job.source}: FAILED: {error}\n")
        elif not self.bar:
            self.stream.write(f"[{done}/{total}] {job.source}: done\n")
        if self.bar:
            filled = round(30 * done / total)
            self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} "
                              f"{elapsed:.1f} s")
            if done == total:
                self.stream.write("\n")
        self.stream.flush()


def _named_inputs(pairs: list[str]) -> dict[str, str]:
    named: dict[str, str] = {}
    for pair in pairs:
        name, equals, path = pair.partition("=")
        if not equals or not name or not path:
            raise ValueError(f"--input {pair!r}: expected NAME=PATH")
        if name in named:
            raise ValueError(f"--input: '{name}' is given twice")
        named[name] = path
    return named


def _run(args: argparse.Namespace) -> int:
    try:
        from .runs import plan_jobs, run_files
        from .workflow import load

        workflow = load(args.workflow)
        jobs = plan_jobs(workflow, args.inputs, _named_inputs(args.input), output=args.output)
        if args.device and args.scheduler is None:  # workers select their own device
            select_device(args.device)
    except (ValueError, ImportError, OclipError, OSError) as error:
        print(f"oclip run: {error}", file=sys.stderr)
        return 2
    try:
        os.makedirs(args.output, exist_ok=True)
    except OSError as error:
        problem = ("a file is there, not a folder" if os.path.lexists(args.output) else
                   error.strerror or str(error))
        print(f"oclip run: cannot use {args.output} as the output folder: {problem}",
              file=sys.stderr)
        return 2
    unknown = [n for n in args.static if n not in workflow.inputs]
    if unknown or (args.static and not args.time_lapse):
        problem = (f"unknown input(s) {', '.join(unknown)}" if unknown else
                   "--static only applies with --time-lapse")
        print(f"oclip run: --static: {problem}", file=sys.stderr)
        return 2
    if args.scheduler is not None:
        return _run_distributed(args, workflow, jobs)
    cluster_only = [option for option, value in (
        ("--tile", args.tile), ("--time-points-per-task", args.time_points_per_task),
        ("--overwrite", args.overwrite or None)) if value is not None]
    if cluster_only:
        verb = "apply" if len(cluster_only) > 1 else "applies"
        print(f"oclip run: {', '.join(cluster_only)} only {verb} with --scheduler (e.g. "
              f"--scheduler local:1 for one worker process)", file=sys.stderr)
        return 2
    progress = _Progress()
    try:
        summary = run_files(workflow, jobs, args.output, time_lapse=args.time_lapse,
                            static=args.static, progress=progress)
    except KeyboardInterrupt:
        return _interrupted(progress, len(jobs), "file(s)", args.output,
                            "run the same command again to run every file again (with "
                            "--scheduler local:1 a re-run skips the outputs that are complete)")
    print(f"oclip run: {summary.jobs} run(s) in {summary.seconds:.1f} s: "
          f"{len(summary.done)} done, {len(summary.failed)} failed; "
          f"{len(summary.written)} file(s) written to {args.output}")
    for source, reason in summary.failed:
        print(f"  failed: {source}: {reason}", file=sys.stderr)
    return 0 if summary.ok else 1


def _interrupted(progress: _Progress, total: int, what: str, output: str, resume: str) -> int:
    """Say in one line what an interrupted run did and how to resume it; exit status 130."""
    if progress.bar and progress.done:
        progress.stream.write("\n")
    failed = f" ({progress.failed} failed)" if progress.failed else ""
    print(f"oclip run: interrupted after {progress.done} of {progress.total or total} "
          f"{what}{failed}; the outputs in {output} are complete files, no half-written "
          f"one is left; {resume}", file=sys.stderr)
    return 130


def _run_distributed(args: argparse.Namespace, workflow: Any, jobs: list) -> int:
    from .runs import run_distributed
    from .workflow import WorkflowError

    per_task = 1 if args.time_points_per_task is None else args.time_points_per_task
    if args.time_points_per_task is not None and not args.time_lapse:
        print("oclip run: --time-points-per-task only applies with --time-lapse",
              file=sys.stderr)
        return 2
    progress = _Progress()
    try:
        summary = run_distributed(workflow, jobs, args.output, scheduler=args.scheduler,
                                  time_lapse=args.time_lapse, static=args.static,
                                  time_points_per_task=per_task, tile=args.tile,
                                  overwrite=args.overwrite, device=args.device,
                                  progress=progress)
    except KeyboardInterrupt:
        return _interrupted(progress, len(jobs), "task(s)", args.output,
                            "run the same command again to resume: it skips the outputs "
                            "that are complete")
    except (WorkflowError, ValueError, ImportError, OclipError, OSError) as error:
        print(f"oclip run: {error}", file=sys.stderr)
        return 2
    skipped = f", {len(summary.skipped)} skipped (outputs complete)" if summary.skipped else ""
    where = (f"{summary.tasks} task(s) on {summary.workers} worker(s)" if summary.tasks else
             "nothing to compute")
    print(f"oclip run: {summary.jobs} run(s), {where} in {summary.seconds:.1f} s: "
          f"{len(summary.done)} done, "
          f"{len(summary.failed)} failed{skipped}; {len(summary.written)} file(s) written to "
          f"{args.output}; summary: {summary.table}")
    for source, reason in summary.failed:
        print(f"  failed: {source}: {reason}", file=sys.stderr)
    return 0 if summary.ok else 1


def _tile(text: str) -> tuple[int, ...]:
    from .runs._tiles import parse_tile

    try:
        return parse_tile(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix("tile: ")) from None


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return int(text)


def _export(args: argparse.Namespace) -> int:
    try:
        from ._io import write_text
        from .workflow import load, to_notebook, to_python

        workflow = load(args.workflow)
        text = to_python(workflow) if args.to == "script" else to_notebook(workflow)
        write_text(args.output, text)
    except (ValueError, ImportError, OSError) as error:
        print(f"oclip export: {error}", file=sys.stderr)
        return 2
    print(f"oclip export: wrote {args.output}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="oclip", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    listing = commands.add_parser("devices", help="list OpenCL devices and the selected one")
    listing.add_argument("--device", help="select this device (gpu, cpu or part of a name)")
    listing.set_defaults(handler=_list_devices)
    demo = commands.add_parser("demo", help="open napari with sample data and oclip widgets")
    demo.set_defaults(handler=_demo)
    run = commands.add_parser(
        "run", help="run a workflow file on TIFF files",
        description="Run a workflow on TIFF files. Each output is written to OUTDIR as "
                    "<file stem>_<output id>.tif (label images as uint32), tables as .csv. "
                    "Exit status: 0 all done, 1 some files failed, 2 nothing run.")
    run.add_argument("workflow", metavar="WORKFLOW.yaml", help="the workflow file")
    run.add_argument("inputs", nargs="*", metavar="INPUT",
                     help="TIFF files or folders of TIFFs (one run per file) for a workflow "
                          "with one input")
    run.add_argument("-o", "--output", required=True, metavar="OUTDIR",
                     help="folder for the outputs (created if needed)")
    run.add_argument("--input", action="append", default=[], metavar="NAME=PATH",
                     help="the file or folder of input NAME (repeat for each input); a file "
                          "serves every run, folders pair their files by file name")
    run.add_argument("--device", help="OpenCL device: gpu, cpu or part of a name")
    run.add_argument("--time-lapse", action="store_true",
                     help="input files have a leading time axis (t, y, x) or (t, z, y, x): "
                          "run every time point and stack the outputs")
    run.add_argument("--static", action="append", default=[], metavar="NAME",
                     help="with --time-lapse: input NAME has no time axis")
    cluster = run.add_argument_group(
        "distributed runs (dask.distributed: pip install 'oclip[cluster]')",
        "Without --scheduler the run is serial, in this process. With it, each file (or "
        "time point, or tile) is a task; workers read and write the files themselves, so "
        "OUTDIR and the inputs must be at the same paths on every worker. A re-run skips "
        "outputs that are complete; OUTDIR/oclip-run-summary.csv lists each file's status, "
        "timings and object counts.")
    cluster.add_argument("--scheduler", metavar="ADDRESS",
                         help="local (a worker process per GPU, or per 2 CPU cores), local:N "
                              "(N worker processes), or a dask scheduler's address, e.g. "
                              "tcp://host:8786")
    cluster.add_argument("--time-points-per-task", type=_count, metavar="N",
                         help="with --time-lapse: time points per task (default 1; 0: a "
                              "whole file per task)")
    cluster.add_argument("--tile", type=_tile, metavar="[Z,]Y,X",
                         help="process each image in tiles of this size, read with the "
                              "workflow's halo around them; only for workflows of local "
                              "operations (filters, arithmetic), exact")
    cluster.add_argument("--overwrite", action="store_true",
                         help="recompute outputs that are complete already")
    run.set_defaults(handler=_run)
    export = commands.add_parser("export", help="export a workflow file as a script or notebook")
    export.add_argument("workflow", metavar="WORKFLOW.yaml", help="the workflow file")
    export.add_argument("--to", choices=("script", "notebook"), required=True,
                        help="a Python script (runs on TIFF files) or a Jupyter notebook")
    export.add_argument("-o", "--output", required=True, metavar="PATH",
                        help="file to write (.py or .ipynb)")
    export.set_defaults(handler=_export)
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except OclipError as error:
        print(f"oclip: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # before or after a run's own handling: nothing to resume
        print(f"oclip {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
