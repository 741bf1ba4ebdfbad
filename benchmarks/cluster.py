"""A folder of images: serial ``oclip run`` against dask.distributed local clusters.

    python benchmarks/cluster.py
    python benchmarks/cluster.py --images 20 --size 32x256x256 --workers 2 --repeat 3 \\
        --output results.jsonl

The workflow: gaussian_blur → top_hat_box → threshold_otsu →
connected_components_labeling (output: labels), on ``--images`` synthetic
blob images of ``--size`` (uint16 TIFF files in a temporary folder).

Cases, each a JSON line:

* ``serial``: ``run_files`` in this process (what ``oclip run`` does without
  ``--scheduler``);
* ``local:W``: ``run_distributed`` on a LocalCluster of W worker processes
  (``--workers``, default one per GPU or per 2 CPU cores), and ``local:1``;
  each cluster is started once (``startup_s``) and warmed up by a first run
  (``first_run_s``: kernel builds in the workers), then timed with
  ``overwrite=True``.  ``busy_s`` is the workers' summed task time (read,
  compute, write) and ``overhead_per_task_s`` = (wall × workers − busy) /
  tasks: the time a worker slot spends per task outside the task itself
  (scheduling, messages, waiting for the last task); ``read_s``,
  ``compute_s``, ``write_s`` split ``busy_s``; ``worker_devices`` names the
  device each worker selected;
* ``tiny``: the same three on ``--tiny`` 16×16 images through one pixel-wise
  operation, where almost all of a task is overhead: ``per_task_s`` of
  ``local:1`` minus that of ``serial`` is the cost dask adds per task.

Runs of the cases alternate, so that other load on the machine weighs on all
alike; the medians of ``--repeat`` runs are reported.  The last line gives
the speed-up of ``local:W`` over ``serial``.  Not part of the test run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import oclip
from _common import parse_shape
from oclip import _backend as backend
from oclip.runs import plan_jobs, run_distributed, run_files
from oclip.runs._cluster import connect, cpu_cores, local_workers
from oclip.workflow import Step, Workflow

SEGMENT = Workflow(("image",), (
    Step("blurred", "gaussian_blur", {"image": "image"},
         {"sigma_x": 2, "sigma_y": 2, "sigma_z": 1}),
    Step("background_removed", "top_hat_box", {"image": "blurred"},
         {"radius_x": 10, "radius_y": 10, "radius_z": 2}),
    Step("binary", "threshold_otsu", {"image": "background_removed"}),
    Step("labels", "connected_components_labeling", {"binary": "binary"})), ("labels",))

TINY = Workflow(("image",), (Step("scaled", "multiply_image_and_scalar", {"image": "image"},
                                  {"scalar": 2.0}),), ("scaled",))


def write_images(folder: Path, count: int, shape: tuple[int, ...]) -> None:
    import tifffile

    folder.mkdir(parents=True)
    for number in range(count):
        image = oclip.data.blobs(shape, count=max(3, int(np.prod(shape)) // 9000), seed=number)
        scaled = (image / max(float(image.max()), 1e-6) * 4000).astype(np.uint16)
        tifffile.imwrite(folder / f"image_{number:03d}.tif", scaled, photometric="minisblack")


def _device_of(dask_worker: Any) -> str:
    """The device a worker's oclip plugin selected (run inside the worker)."""
    return f"{dask_worker.name}: {getattr(dask_worker, 'oclip_device', '?')}"


def timed(function: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def measure(workflow: Workflow, folder: Path, work: Path, clients: dict[str, Any],
            repeat: int, device: str | None) -> dict[str, dict[str, Any]]:
    jobs = plan_jobs(workflow, [folder])
    records: dict[str, dict[str, Any]] = {"serial": {"runs": []}}
    run_files(workflow, jobs[:1], work / "warm-serial")  # kernel builds in this process
    for name, client in clients.items():
        seconds, summary = timed(lambda c=client, n=name: run_distributed(
            workflow, jobs, work / f"first-{n}", scheduler=c, device=device))
        assert summary.ok, summary.failed
        records[name] = {"runs": [], "busy": [], "read": [], "compute": [], "write": [],
                         "first_run_s": seconds, "workers": summary.workers,
                         "worker_devices": sorted(client.run(_device_of).values())}
    for round_number in range(repeat):
        seconds, summary = timed(lambda r=round_number: run_files(
            workflow, jobs, work / f"serial-{r}"))
        assert summary.ok, summary.failed
        records["serial"]["runs"].append(seconds)
        for name, client in clients.items():
            seconds, summary = timed(lambda c=client, n=name: run_distributed(
                workflow, jobs, work / f"out-{n}", scheduler=c, overwrite=True, device=device))
            assert summary.ok and summary.tasks == len(jobs), summary.failed
            records[name]["runs"].append(seconds)
            for key, column in (("busy", "seconds"), ("read", "read_seconds"),
                                ("compute", "compute_seconds"), ("write", "write_seconds")):
                records[name][key].append(sum(float(row[column]) for row in summary.rows))
    for record in records.values():
        record["seconds"] = statistics.median(record["runs"])
        record["per_task_s"] = record["seconds"] / len(jobs)
        if "busy" in record:
            for key in ("busy", "read", "compute", "write"):
                record[f"{key}_s"] = statistics.median(record.pop(key))
            slots = record["workers"] * record["seconds"]
            record["overhead_per_task_s"] = (slots - record["busy_s"]) / len(jobs)
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20, help="images in the folder")
    parser.add_argument("--size", default="32x256x256", help="image shape (default: %(default)s)")
    parser.add_argument("--workers", type=int, help="workers of the larger local cluster "
                        "(default: one per GPU, or per 2 CPU cores, at least 2)")
    parser.add_argument("--tiny", type=int, default=100, help="tiny images for the overhead")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per case")
    parser.add_argument("--device", help="OpenCL device (gpu, cpu or part of a name)")
    parser.add_argument("--output", help="also append the JSON lines to this file")
    args = parser.parse_args(argv)

    device = oclip.select_device(args.device)
    print(f"device: {backend.describe(device)}; {cpu_cores()} CPU cores", file=sys.stderr)
    workers = args.workers or max(2, local_workers(args.device))
    shape = parse_shape(args.size)
    work = Path(tempfile.mkdtemp(prefix="oclip-cluster-benchmark-"))
    rows: list[dict[str, Any]] = []
    try:
        write_images(work / "images", args.images, shape)
        write_images(work / "tiny", args.tiny, (16, 16))
        clients: dict[str, Any] = {}
        startups: dict[str, float] = {}
        with contextlib.ExitStack() as clusters:
            for name in (f"local:{workers}", "local:1"):
                start = time.perf_counter()  # the worker processes start, oclip imported
                clients[name] = clusters.enter_context(connect(name, args.device))
                clients[name].wait_for_workers(int(name.split(":")[1]), timeout=120)
                startups[name] = time.perf_counter() - start
            for label, workflow, folder, size in (
                    ("folder", SEGMENT, work / "images", args.size),
                    ("tiny", TINY, work / "tiny", "16x16")):
                records = measure(workflow, folder, work / f"out-{label}", clients, args.repeat,
                                  args.device)
                for case, record in records.items():
                    rows.append({"benchmark": "cluster", "set": label, "case": case,
                                 "load_average": os.getloadavg()[0],
                                 "images": len(list(folder.iterdir())), "shape": size,
                                 "device": device.name, "cores": cpu_cores(),
                                 "startup_s": startups.get(case), **record,
                                 "host": platform.processor() or platform.machine()})
    finally:
        shutil.rmtree(work, ignore_errors=True)
    by_case = {(row["set"], row["case"]): row for row in rows}
    serial = by_case[("folder", "serial")]["seconds"]
    many = by_case[("folder", f"local:{workers}")]["seconds"]
    tiny_overhead = (by_case[("tiny", "local:1")]["per_task_s"]
                     - by_case[("tiny", "serial")]["per_task_s"])
    rows.append({"benchmark": "cluster", "set": "summary", "workers": workers,
                 "speedup": serial / many, "tiny_overhead_per_task_s": tiny_overhead,
                 "device": device.name, "cores": cpu_cores()})
    for row in rows:
        print(json.dumps(row), flush=True)
    if args.output:
        with open(args.output, "a") as output:
            output.writelines(json.dumps(row) + "\n" for row in rows)
    print(f"\n{'set':8s} {'case':9s} {'wall s':>8s} {'per task s':>11s} {'first run s':>12s} "
          f"{'startup s':>10s} {'overhead/task s':>16s}", file=sys.stderr)
    for row in rows[:-1]:
        def cell(key: str, width: int, row: dict = row) -> str:
            value = row.get(key)
            return f"{value:{width}.3f}" if isinstance(value, float) else " " * width
        print(f"{row['set']:8s} {row['case']:9s} {cell('seconds', 8)} {cell('per_task_s', 11)} "
              f"{cell('first_run_s', 12)} {cell('startup_s', 10)} "
              f"{cell('overhead_per_task_s', 16)}", file=sys.stderr)
    print(f"\nspeed-up local:{workers} over serial: {serial / many:.2f}; dask's cost per task "
          f"(tiny tasks, local:1 minus serial): {tiny_overhead * 1e3:.1f} ms", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
