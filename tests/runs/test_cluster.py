"""Distributed runs on a LocalCluster of worker processes on loopback: outputs equal a
serial run, per file, per time point and per tile; failures, re-runs, a killed worker."""

from __future__ import annotations

import csv
import os
import signal
import sys
import threading

import numpy as np
import pytest
import tifffile
from distributed import Client, Event, LocalCluster, Queue

import oclip
from oclip.__main__ import main
from oclip.runs import plan_jobs, run_distributed, run_files
from oclip.runs._cluster import (
    RECORD_FILE,
    SUMMARY_FILE,
    TILES_FOLDER,
    local_cluster_options,
)
from oclip.runs._tasks import Task, run_task, tile_path
from oclip.runs._tiles import plan_tiles
from oclip.workflow import Step, Workflow, WorkflowError
from oclip.workflow import save as save_workflow

from ..workflow._support import TABLE_OP, blobs, labeling_workflow
from ._cluster_support import (
    HOLD_OP,
    RELEASE,
    STARTED,
    ExtraOperations,
    extra_operations,
    local_cluster,
    same_files,
    worker_pids,
)


@pytest.fixture(scope="module")
def client():
    """A client of a LocalCluster of 2 worker processes, shared by this module's tests,
    with the test operations registered in the workers."""
    with local_cluster(2) as (_, client):
        client.register_plugin(ExtraOperations())
        yield client


@pytest.fixture
def extra_ops():
    with extra_operations():
        yield


def write_folder(folder, count=20):
    """``count`` images, 2D and (every fifth) 3D, of different sizes."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        shape = (7, 31, 41) if number % 5 == 4 else (37 + 2 * (number % 3), 53)
        tifffile.imwrite(folder / f"cells_{number:02d}.tif", blobs(shape, seed=number))


def measuring_workflow():
    """nuclei → blurred → binary → labels → areas (a table); outputs labels, blurred, areas."""
    return (labeling_workflow().add_step(TABLE_OP, {"labels": "labels"}, id="areas")
            .with_outputs(["labels", "blurred", "areas"]))


def outputs_of(folder):
    return sorted(p.name for p in folder.iterdir()
                  if p.name not in (SUMMARY_FILE, RECORD_FILE) and p.name != TILES_FOLDER)


def read_summary(folder):
    with open(folder / SUMMARY_FILE, newline="") as file:
        return list(csv.DictReader(file))


def test_a_folder_of_20_images_gives_what_a_serial_run_gives(client, extra_ops, tmp_path):
    write_folder(tmp_path / "in")
    workflow = measuring_workflow()
    jobs = plan_jobs(workflow, [tmp_path / "in"])
    calls = []
    summary = run_distributed(workflow, jobs, tmp_path / "out", scheduler=client,
                              progress=lambda *call: calls.append(call))
    assert summary.ok and len(summary.done) == 20 and summary.tasks == 20, summary.failed
    assert summary.workers == 2
    assert [c[:2] for c in calls] == [(n, 20) for n in range(1, 21)]
    assert {c[2].source for c in calls} == {job.source for job in jobs}
    serial = run_files(workflow, jobs, tmp_path / "serial")
    assert serial.ok
    names = outputs_of(tmp_path / "serial")
    assert len(names) == 60 and outputs_of(tmp_path / "out") == names
    same_files(tmp_path / "serial", tmp_path / "out", names)
    # the summary: a row per file, the object counts of the label and table outputs
    rows = read_summary(tmp_path / "out")
    assert [row["file"] for row in rows] == [job.source for job in jobs]
    for row, job in zip(rows, jobs, strict=True):
        labels = tifffile.imread(tmp_path / "serial" / f"{job.stem}_labels.tif")
        assert row["status"] == "done" and row["error"] == "" and row["tasks"] == "1"
        assert int(row["labels_objects"]) == labels.max() == int(row["areas_rows"])
        assert float(row["seconds"]) >= float(row["compute_seconds"]) > 0
        assert row["workers"]
    assert summary.rows[0]["labels_objects"] == int(rows[0]["labels_objects"])
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("per_task", [1, 3, 0])
def test_a_4d_time_lapse_per_time_point_gives_what_a_serial_run_gives(client, extra_ops,
                                                                      tmp_path, per_task):
    movie = np.stack([blobs((5, 30, 40), seed=s) for s in range(4)])
    tifffile.imwrite(tmp_path / "movie.tif", movie, photometric="minisblack")
    flat = blobs((5, 30, 40), seed=9)
    tifffile.imwrite(tmp_path / "flat.tif", flat)
    workflow = Workflow(("nuclei", "flat"), (
        Step("corrected", "add_images", {"image1": "nuclei", "image2": "flat"}),
        Step("blurred", "gaussian_blur", {"image": "corrected"}, {"sigma_x": 1.5,
                                                                  "sigma_y": 1.5}),
        Step("binary", "threshold_otsu", {"image": "blurred"}),
        Step("labels", "connected_components_labeling", {"binary": "binary"}),
        Step("areas", TABLE_OP, {"labels": "labels"})), ("labels", "blurred", "areas"))
    named = {"nuclei": tmp_path / "movie.tif", "flat": tmp_path / "flat.tif"}
    jobs = plan_jobs(workflow, named=named)
    summary = run_distributed(workflow, jobs, tmp_path / "out", scheduler=client,
                              time_lapse=True, static=["flat"], time_points_per_task=per_task)
    tiles = {1: 4, 3: 2, 0: 0}[per_task]
    assert summary.ok, summary.failed
    assert summary.tasks == (tiles + 1 if tiles else 1)
    run_files(workflow, jobs, tmp_path / "serial", time_lapse=True, static=["flat"])
    names = outputs_of(tmp_path / "serial")
    assert names == ["movie_areas.csv", "movie_blurred.tif", "movie_labels.tif"]
    assert outputs_of(tmp_path / "out") == names
    same_files(tmp_path / "serial", tmp_path / "out", names)
    labels = tifffile.imread(tmp_path / "out" / "movie_labels.tif")
    assert labels.shape == movie.shape and labels.dtype == np.uint32
    (row,) = read_summary(tmp_path / "out")
    assert int(row["labels_objects"]) == sum(frame.max() for frame in labels)
    assert int(row["tasks"]) == summary.tasks
    assert not (tmp_path / "out" / TILES_FOLDER).exists()


def local_workflow():
    """Filters and arithmetic only: every step declares a halo."""
    return Workflow(("image",), (
        Step("blurred", "gaussian_blur", {"image": "image"},
             {"sigma_x": 1.5, "sigma_y": 2.0, "sigma_z": 1.0}),
        Step("background_removed", "top_hat_box", {"image": "blurred"},
             {"radius_x": 3, "radius_y": 2, "radius_z": 1}),
        Step("minimum", "minimum_sphere", {"image": "image"},
             {"radius_x": 2, "radius_y": 1, "radius_z": 1}),
        Step("total", "add_images", {"image1": "background_removed", "image2": "minimum"})),
        ("total", "blurred"))


@pytest.mark.parametrize(("shape", "tile", "time_lapse"), [
    ((61, 67), (16, 20), False),
    ((13, 40, 45), (5, 16, 16), False),
    ((13, 40, 45), (16, 16), False),
    ((3, 6, 30, 35), (4, 9, 12), True),
])
def test_tiles_with_a_halo_give_what_the_whole_image_gives(client, tmp_path, shape, tile,
                                                           time_lapse):
    image = (np.random.default_rng(5).random(shape) * 1000).astype(np.uint16)
    tifffile.imwrite(tmp_path / "big.tif", image, photometric="minisblack")
    workflow = local_workflow()
    jobs = plan_jobs(workflow, [tmp_path / "big.tif"])
    summary = run_distributed(workflow, jobs, tmp_path / "out", scheduler=client, tile=tile,
                              time_lapse=time_lapse)
    assert summary.ok, summary.failed
    frame = shape[1:] if time_lapse else shape
    tiles = np.prod([-(-n // t) for n, t in zip(frame[-len(tile):], tile, strict=True)])
    assert summary.tasks == tiles * (shape[0] if time_lapse else 1) + 1
    run_files(workflow, jobs, tmp_path / "serial", time_lapse=time_lapse)
    same_files(tmp_path / "serial", tmp_path / "out", ["big_total.tif", "big_blurred.tif"])


def test_workflows_with_whole_image_steps_are_not_tiled(tmp_path):
    tifffile.imwrite(tmp_path / "a.tif", blobs())
    jobs = plan_jobs(labeling_workflow(), [tmp_path / "a.tif"])
    with pytest.raises(WorkflowError, match=r"step 'binary' \(threshold_otsu\) needs the whole "
                                            r"image, so this workflow cannot run in tiles"):
        run_distributed(labeling_workflow(), jobs, tmp_path / "out", tile=(16, 16))
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_failures_are_reported_with_the_file_and_the_rest_go_on(client, tmp_path):
    workflow = Workflow(("stack",), (Step("projected", "maximum_z_projection",
                                          {"image": "stack"}),))
    folder = tmp_path / "in"
    folder.mkdir()
    for number in range(3):
        tifffile.imwrite(folder / f"s{number}.tif", blobs((5, 20, 30), seed=number))
    tifffile.imwrite(folder / "s1b_flat.tif", blobs((20, 30)))  # 2D: cannot project
    (folder / "s1c_broken.tif").write_bytes(b"this is no TIFF")
    jobs = plan_jobs(workflow, [folder])
    errors = {}
    summary = run_distributed(workflow, jobs, tmp_path / "out", scheduler=client,
                              progress=lambda d, n, task, error: errors.update({task.source:
                                                                                error}))
    assert not summary.ok and len(summary.done) == 3
    failed = dict(summary.failed)
    assert set(failed) == {str(folder / "s1b_flat.tif"), str(folder / "s1c_broken.tif")}
    assert failed[str(folder / "s1b_flat.tif")].startswith(
        "ValueError: step 'projected': maximum_z_projection")
    assert errors[str(folder / "s1c_broken.tif")] == failed[str(folder / "s1c_broken.tif")]
    assert outputs_of(tmp_path / "out") == [f"s{n}_projected.tif" for n in range(3)]
    rows = {row["file"]: row for row in read_summary(tmp_path / "out")}
    assert rows[str(folder / "s1b_flat.tif")]["status"] == "failed"
    assert "maximum_z_projection" in rows[str(folder / "s1b_flat.tif")]["error"]
    # a time-lapse whose time points fail: each is reported, the file fails, nothing written
    tifffile.imwrite(tmp_path / "flat_movie.tif", blobs((3, 20, 30)), photometric="minisblack")
    jobs = plan_jobs(workflow, [tmp_path / "flat_movie.tif"])
    summary = run_distributed(workflow, jobs, tmp_path / "out2", scheduler=client,
                              time_lapse=True)
    ((_, error),) = summary.failed
    assert "3 of 3 tile(s) failed, first" in error and "maximum_z_projection" in error
    assert outputs_of(tmp_path / "out2") == []


def test_a_rerun_skips_complete_outputs_and_resumes_tiles(client, tmp_path):
    write_folder(tmp_path / "in", count=4)
    workflow = labeling_workflow()
    jobs = plan_jobs(workflow, [tmp_path / "in"])
    out = tmp_path / "out"
    assert run_distributed(workflow, jobs, out, scheduler=client).ok
    times = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    (out / "cells_02_labels.tif").unlink()
    earlier = os.stat(tmp_path / "in" / "cells_03.tif").st_mtime - 100
    os.utime(out / "cells_03_labels.tif", (earlier, earlier))  # older than its input
    summary = run_distributed(workflow, jobs, out, scheduler=client)
    assert summary.ok and summary.tasks == 2
    assert summary.done == [jobs[2].source, jobs[3].source]
    assert summary.skipped == [jobs[0].source, jobs[1].source]
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()
            if p.name in ("cells_00_labels.tif", "cells_01_labels.tif")} == {
        n: t for n, t in times.items() if n in ("cells_00_labels.tif", "cells_01_labels.tif")}
    rows = read_summary(out)
    assert [r["status"] for r in rows] == ["skipped", "skipped", "done", "done"]
    assert rows[0]["labels_objects"] and rows[0]["labels_objects"] == str(
        tifffile.imread(out / "cells_00_labels.tif").max())
    # nothing left to do: no task, no scheduler needed
    summary = run_distributed(workflow, jobs, out, scheduler="tcp://127.0.0.1:1")
    assert summary.ok and summary.tasks == 0 and len(summary.skipped) == 4
    # another workflow into the same folder is refused; overwrite recomputes everything
    other = labeling_workflow(sigma=2.5)
    with pytest.raises(WorkflowError, match="holds the outputs of another workflow"):
        run_distributed(other, jobs, out, scheduler=client)
    summary = run_distributed(other, jobs, out, scheduler=client, overwrite=True)
    assert summary.ok and summary.tasks == 4 and not summary.skipped
    np.testing.assert_array_equal(tifffile.imread(out / "cells_00_labels.tif"),
                                  other.run(tifffile.imread(jobs[0].paths["nuclei"]))["labels"])



def test_a_rerun_removes_what_killed_writers_left_also_for_skipped_jobs(tmp_path):
    write_folder(tmp_path / "in", count=2)
    workflow = labeling_workflow()
    jobs = plan_jobs(workflow, [tmp_path / "in"])
    out = tmp_path / "out"
    assert run_files(workflow, jobs, out).ok  # complete outputs: a distributed re-run skips
    left = [out / ".cells_00_labels.tif.k1ll3d.partial",
            out / TILES_FOLDER / "cells_01" / ".labels.t0-1.npy.k1ll3d.partial"]
    kept = [out / ".cells_00_labels.tif.k1ll3d",  # not a temporary of ours
            out / ".other.tif.k1ll3d.partial"]  # not a file of this run's jobs
    for path in left + kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"II*\x00half")
    # nothing to compute: no scheduler is reached
    summary = run_distributed(workflow, jobs, out, scheduler="tcp://127.0.0.1:1")
    assert summary.ok and len(summary.skipped) == 2 and summary.tasks == 0
    assert [p.exists() for p in left + kept] == [False, False, True, True]

def test_a_time_lapse_resumes_from_the_tiles_done(client, tmp_path):
    movie = np.stack([blobs((30, 40), seed=s) for s in range(5)])
    tifffile.imwrite(tmp_path / "movie.tif", movie, photometric="minisblack")
    workflow = labeling_workflow()
    (job,) = plan_jobs(workflow, [tmp_path / "movie.tif"])
    out = tmp_path / "out"
    tiles = plan_tiles(None, None, (0, 0, 0), time_points=5)
    tile_folder = out / TILES_FOLDER / job.stem
    for tile in tiles[:3]:  # an earlier run did three time points, then stopped
        report = run_task(Task(workflow, job, str(out), ("labels",), frozenset({"labels"}),
                               time_lapse=True, tile=tile, tile_folder=str(tile_folder)))
        assert report.error is None
        assert tile_path(tile_folder, "labels", tile, "image").exists()
    # a cluster object: the run makes (and closes) a client of its own
    summary = run_distributed(workflow, [job], out, scheduler=client.cluster, time_lapse=True)
    assert summary.ok and summary.tasks == 3  # two time points and the assembly
    np.testing.assert_array_equal(tifffile.imread(out / "movie_labels.tif"),
                                  workflow.run_time_lapse(movie)["labels"])
    assert not (out / TILES_FOLDER).exists()


def test_a_killed_worker_loses_no_task(tmp_path):
    """Kill a worker process while it runs a task: the scheduler runs the task again and
    every output exists and equals the serial run's."""
    write_folder(tmp_path / "in")
    killed, failures = [], []
    with extra_operations(), local_cluster(2) as (_, client):
        workflow = Workflow(("nuclei",), (
            Step("held", HOLD_OP, {"image": "nuclei"}),
            Step("blurred", "gaussian_blur", {"image": "held"}, {"sigma_x": 1.5,
                                                                 "sigma_y": 1.5}),
            Step("binary", "threshold_otsu", {"image": "blurred"}),
            Step("labels", "connected_components_labeling", {"binary": "binary"})), ("labels",))
        jobs = plan_jobs(workflow, [tmp_path / "in"])
        client.register_plugin(ExtraOperations())
        started = Queue(STARTED, client=client)
        release = Event(RELEASE, client=client)
        before = worker_pids(client)

        def kill_one_running_task():
            try:
                pid = started.get(timeout=60)  # a task holds inside this worker process
                assert pid in before
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            except BaseException as error:  # reported by the test below
                failures.append(error)
            finally:
                release.set()

        killer = threading.Thread(target=kill_one_running_task)
        killer.start()
        summary = run_distributed(workflow, jobs, tmp_path / "out", scheduler=client)
        killer.join(timeout=60)
        assert not killer.is_alive() and not failures, failures
        assert killed and killed[0] not in worker_pids(client)
        serial = run_files(workflow, jobs, tmp_path / "serial")
    assert summary.ok and len(summary.done) == 20, summary.failed
    # the killed process finished nothing: its held task ran again in another process
    assert not [worker for row in summary.rows for worker in row["workers"].split()
                if worker.endswith(f":{killed[0]}")]
    assert serial.ok
    names = outputs_of(tmp_path / "serial")
    assert len(names) == 20 and outputs_of(tmp_path / "out") == names
    same_files(tmp_path / "serial", tmp_path / "out", names)
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]



#: A run on a cluster of one worker whose test operation kills it on a large image; in
#: a process of its own, so that the test has a hard time limit.
RUN_WITH_A_KILLING_FILE = """
import json, sys
from pathlib import Path
from oclip.runs import plan_jobs, run_distributed
from oclip.workflow import Step, Workflow
from tests.runs._cluster_support import (DIE_OP, ExtraOperations, extra_operations,
                                         local_cluster)
with extra_operations(), local_cluster(1) as (_, client):
    client.register_plugin(ExtraOperations())
    workflow = Workflow(("image",), (Step("copied", DIE_OP, {"image": "image"}),))
    folder = Path(sys.argv[1])
    summary = run_distributed(workflow, plan_jobs(workflow, [folder / "in"]), folder / "out",
                              scheduler=client)
    client.wait_for_workers(1, timeout=60)  # the one restarted after the last death
print(json.dumps({"done": summary.done, "failed": summary.failed}))
"""


def test_a_file_that_kills_its_worker_fails_alone(tmp_path):
    """The tasks after one that kills its worker each time it runs (a file too large
    for the memory) complete: they wait on the client, not on that worker."""
    import json
    import subprocess

    from ..test_cli import SOURCE

    folder = tmp_path / "in"
    folder.mkdir()
    tifffile.imwrite(folder / "a_huge.tif", blobs((40, 50), seed=1))
    smalls = {name: blobs((20, 30), seed=n) for n, name in enumerate("bcd")}
    for name, image in smalls.items():
        tifffile.imwrite(folder / f"{name}_small.tif", image)
    path = os.pathsep.join([str(SOURCE), str(SOURCE.parent), os.environ.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, "-c", RUN_WITH_A_KILLING_FILE, str(tmp_path)],
                          env=dict(os.environ, PYTHONPATH=path), capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.splitlines()[-1])
    assert summary["done"] == [str(folder / f"{name}_small.tif") for name in smalls]
    [(source, reason)] = summary["failed"]
    assert source == str(folder / "a_huge.tif")
    assert reason.startswith("the worker process running it died each time (out of memory, "
                             "or killed; see the workers' logs): KilledWorker")
    for name, image in smalls.items():
        written = tifffile.imread(tmp_path / "out" / f"{name}_small_copied.tif")
        np.testing.assert_array_equal(written, image)


def test_a_worker_of_two_threads_overlaps_files_but_not_device_work(tmp_path):
    """Tasks of one worker process share its device (one computes at a time); reading and
    writing files may overlap with another task's computation."""
    write_folder(tmp_path / "in", count=6)
    workflow = local_workflow().with_outputs(["total"])
    jobs = plan_jobs(workflow, [tmp_path / "in"])
    options = local_cluster_options(1)
    with LocalCluster(**dict(options, threads_per_worker=2)) as cluster, \
            Client(cluster) as client:
        assert sum(client.nthreads().values()) == 2
        summary = run_distributed(workflow, jobs, tmp_path / "out", scheduler=client)
    assert summary.ok, summary.failed
    run_files(workflow, jobs, tmp_path / "serial")
    same_files(tmp_path / "serial", tmp_path / "out", outputs_of(tmp_path / "serial"))


# --- the command line ------------------------------------------------------------------------


def test_oclip_run_with_a_scheduler_address(client, tmp_path, capsys):
    write_folder(tmp_path / "in", count=3)
    save_workflow(labeling_workflow(), tmp_path / "w.yaml")
    arguments = ["run", str(tmp_path / "w.yaml"), str(tmp_path / "in"), "-o",
                 str(tmp_path / "out"), "--scheduler", client.scheduler_info()["address"]]
    assert main(arguments) == 0, capsys.readouterr().err
    out, err = capsys.readouterr()
    assert "3 run(s), 3 task(s) on 2 worker(s)" in out and "3 done, 0 failed" in out
    assert f"summary: {tmp_path / 'out' / SUMMARY_FILE}" in out
    assert "[3/3]" in err
    for number in range(3):
        image = tifffile.imread(tmp_path / "in" / f"cells_{number:02d}.tif")
        np.testing.assert_array_equal(
            tifffile.imread(tmp_path / "out" / f"cells_{number:02d}_labels.tif"),
            labeling_workflow().run(image)["labels"])
    assert main(arguments) == 0
    out = capsys.readouterr().out
    assert "nothing to compute" in out and "3 skipped (outputs complete)" in out


def test_oclip_run_refuses_cluster_options_it_cannot_use(tmp_path, capsys):
    write_folder(tmp_path / "in", count=1)
    save_workflow(labeling_workflow(), tmp_path / "w.yaml")
    base = ["run", str(tmp_path / "w.yaml"), str(tmp_path / "in"), "-o", str(tmp_path / "o")]
    assert main([*base, "--tile", "64,64"]) == 2
    assert "--tile only applies with --scheduler" in capsys.readouterr().err
    assert main([*base, "--overwrite", "--time-points-per-task", "2"]) == 2
    assert "--time-points-per-task, --overwrite only apply with --scheduler" in \
        capsys.readouterr().err
    assert main([*base, "--scheduler", "local:2", "--time-points-per-task", "2"]) == 2
    assert "--time-points-per-task only applies with --time-lapse" in capsys.readouterr().err
    assert main([*base, "--scheduler", "local:2", "--tile", "64,64"]) == 2
    assert "step 'binary' (threshold_otsu) needs the whole image" in capsys.readouterr().err
    assert main([*base, "--scheduler", "local:0"]) == 2
    assert "local:N needs a number of workers N >= 1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*base, "--scheduler", "local", "--tile", "0,4"])
    assert "expected one to three sizes >= 1" in capsys.readouterr().err


def test_oclip_run_on_a_local_cluster_it_starts(tmp_path):
    from ..test_cli import oclip_without_gui

    write_folder(tmp_path / "in", count=4)
    save_workflow(labeling_workflow(), tmp_path / "w.yaml")
    done = oclip_without_gui("run", str(tmp_path / "w.yaml"), str(tmp_path / "in"), "-o",
                             str(tmp_path / "out"), "--scheduler", "local:2")
    assert done.returncode == 0, done.stderr
    assert "4 run(s), 4 task(s) on 2 worker(s)" in done.stdout
    assert "Traceback" not in done.stderr
    serial = run_files(labeling_workflow(), plan_jobs(labeling_workflow(), [tmp_path / "in"]),
                       tmp_path / "serial")
    assert serial.ok
    same_files(tmp_path / "serial", tmp_path / "out", outputs_of(tmp_path / "serial"))


def test_without_dask_the_error_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "distributed", None)
    tifffile.imwrite(tmp_path / "a.tif", blobs())
    jobs = plan_jobs(labeling_workflow(), [tmp_path / "a.tif"])
    with pytest.raises(ImportError, match=r'needs dask.distributed, which is not installed: '
                                          r'pip install "oclip\[cluster\]"'):
        run_distributed(labeling_workflow(), jobs, tmp_path / "out")
    assert oclip.runs.run_files(labeling_workflow(), jobs, tmp_path / "serial").ok
