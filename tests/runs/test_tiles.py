"""Tiles of large images (in time, in space with a halo), lazy reading, and the parts of
distributed runs that need no cluster: schedulers, worker devices, tasks in this process."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest
import tifffile
from hypothesis import given, settings
from hypothesis import strategies as st

from oclip import _backend as backend
from oclip._backend import DeviceInfo
from oclip.ops import Image, operation
from oclip.ops._registry import _registry
from oclip.runs import _tasks as tasks
from oclip.runs import plan_jobs, read_lazy
from oclip.runs._cluster import local_cluster_options, local_workers, parse_scheduler
from oclip.runs._tasks import Assembly, Task, assemble, run_task
from oclip.runs._tiles import Tile, parse_tile, plan_tiles, read_tile, workflow_halo
from oclip.workflow import Step, Workflow, WorkflowError

from ..workflow._support import blobs, labeling_workflow


def test_the_halo_of_a_workflow_sums_along_paths_and_takes_the_largest():
    workflow = Workflow(("a", "b"), (
        Step("blurred", "gaussian_blur", {"image": "a"}, {"sigma_x": 2, "sigma_y": 1,
                                                          "sigma_z": 0.4}),
        Step("opened", "top_hat_box", {"image": "blurred"}, {"radius_x": 3, "radius_y": 0,
                                                             "radius_z": 1}),
        Step("spread", "maximum_box", {"image": "b"}, {"radius_x": 20, "radius_y": 1,
                                                       "radius_z": 0}),
        Step("sum", "add_images", {"image1": "opened", "image2": "spread"}),
        Step("scaled", "multiply_image_and_scalar", {"image": "a"})))
    # blurred: (2, 4, 8); opened: + (2, 0, 6) = (4, 4, 14); spread: (0, 1, 20)
    assert workflow_halo(workflow, ["sum"]) == (4, 4, 20)
    assert workflow_halo(workflow, ["opened"]) == (4, 4, 14)
    assert workflow_halo(workflow, ["scaled"]) == (0, 0, 0)
    assert workflow_halo(workflow, ["scaled", "blurred"]) == (2, 4, 8)


def test_a_workflow_with_a_whole_image_step_has_no_halo():
    with pytest.raises(WorkflowError, match=r"step 'binary' \(threshold_otsu\) needs the whole "
                                            r"image") as caught:
        workflow_halo(labeling_workflow(), ["labels"])
    assert caught.value.step == "binary"
    # steps that no requested output needs do not matter
    workflow = labeling_workflow().with_outputs(["blurred"])
    assert workflow_halo(workflow, ["blurred"]) == (0, 6, 6)


@settings(max_examples=60, deadline=None)
@given(shape=st.lists(st.integers(1, 40), min_size=2, max_size=3),
       tile_shape=st.lists(st.integers(1, 16), min_size=1, max_size=3),
       halo=st.tuples(st.integers(0, 9), st.integers(0, 9), st.integers(0, 9)))
def test_tiles_cover_the_image_once_and_read_their_halo(shape, tile_shape, halo):
    tile_shape = tile_shape[:len(shape)]
    tiles = plan_tiles(shape, tile_shape, halo)
    tiled = len(tile_shape)
    covered = np.zeros(shape[-tiled:], np.int32)
    for tile in tiles:
        assert tile.time is None and len(tile.core) == len(tile.read) == tiled
        covered[tuple(slice(a, b) for a, b in tile.core)] += 1
        # one window shape for all tiles, holding the core and its halo within the image
        assert tile.read_shape == tiles[0].read_shape
        for (a, b), (r0, r1), n, h, t in zip(tile.core, tile.read, shape[-tiled:],
                                             halo[-tiled:], tile_shape, strict=True):
            assert 0 <= r0 <= max(0, a - h) and min(n, b + h) <= r1 <= n
            assert 0 < b - a <= t and r1 - r0 == min(n, t + 2 * h)
        image = np.arange(np.prod(shape)).reshape(shape)
        read = image[tile.index(False, len(shape))]
        assert read.shape == (*shape[:-tiled], *tile.read_shape)
        core = read[(Ellipsis, *tile.crop())]
        np.testing.assert_array_equal(
            core, image[(Ellipsis, *(slice(a, b) for a, b in tile.core))])
    assert (covered == 1).all()


def test_tiles_in_time():
    assert [t.time for t in plan_tiles(None, None, (0, 0, 0), time_points=7, per_task=3)] == [
        (0, 3), (3, 6), (6, 7)]
    assert [t.time for t in plan_tiles(None, None, (0, 0, 0), time_points=2)] == [(0, 1),
                                                                                  (1, 2)]
    assert [t.time for t in plan_tiles(None, None, (0, 0, 0), time_points=5, per_task=0)] == [
        (0, 5)]
    tiles = plan_tiles((4, 10), (5,), (0, 0, 2), time_points=3, per_task=2)
    assert [(t.time, t.core) for t in tiles] == [
        ((0, 2), ((0, 5),)), ((0, 2), ((5, 10),)), ((2, 3), ((0, 5),)), ((2, 3), ((5, 10),))]
    assert tiles[1].index(True, 3) == (slice(0, 2), slice(None), slice(1, 10))
    assert tiles[1].describe() == "t 0-1, tile x 5-10"
    assert tiles[2].name == "t2-3.a0_0-5"
    assert len({t.name for t in tiles}) == len(tiles)
    with pytest.raises(WorkflowError, match=r"a tile of 3 axes \(2, 2, 2\) does not fit images "
                                            r"of 2 axes"):
        plan_tiles((10, 10), (2, 2, 2), (0, 0, 0))


def test_tile_sizes_are_read_from_text():
    assert parse_tile("512,256") == (512, 256)
    assert parse_tile("16x64x64") == (16, 64, 64)
    assert parse_tile((8, 8)) == (8, 8)
    assert parse_tile(None) is None
    for bad in ("0,4", "a,b", "1,2,3,4", (2.5, 3), (), True):
        with pytest.raises(ValueError, match="tile: expected"):
            parse_tile(bad)


def test_lazy_reading_reads_what_imread_reads(tmp_path):
    movie = (np.random.default_rng(1).random((4, 3, 17, 23)) * 100).astype(np.uint16)
    tifffile.imwrite(tmp_path / "movie.tif", movie, photometric="minisblack")
    tifffile.imwrite(tmp_path / "tiled.tif", movie[0, 0], tile=(16, 16))
    lazy = read_lazy(tmp_path / "movie.tif")
    assert lazy.shape == movie.shape and lazy.dtype == movie.dtype
    assert lazy.numblocks[:2] == (4, 3)  # a chunk per page: nothing read until computed
    np.testing.assert_array_equal(lazy[2, 1:, 5:9].compute(), movie[2, 1:, 5:9])
    tile = Tile(time=(1, 3), core=((4, 10),), read=((2, 12),))
    np.testing.assert_array_equal(read_tile(tmp_path / "movie.tif", tile, True),
                                  movie[1:3, :, :, 2:12])
    tile = Tile(core=((0, 9), (8, 20)), read=((0, 12), (5, 23)))
    np.testing.assert_array_equal(read_tile(tmp_path / "tiled.tif", tile, False),
                                  movie[0, 0, :12, 5:23])


# --- schedulers and worker devices -----------------------------------------------------------


def test_scheduler_names():
    assert parse_scheduler("local") == ("local", None)
    assert parse_scheduler(" local:3 ") == ("local", 3)
    assert parse_scheduler("tcp://10.0.0.1:8786") == ("address", "tcp://10.0.0.1:8786")
    for bad in ("local:0", "local:x", "local:-1", "", 3):
        with pytest.raises(ValueError, match="scheduler"):
            parse_scheduler(bad)


def fake_device(index: int, kind: str = "GPU", name: str = "Fake GPU",
                memory: int = 16 << 30) -> DeviceInfo:
    return DeviceInfo(name=name, platform="Fake", type=kind, global_memory=memory,
                      max_allocation=memory // 4, opencl_version="OpenCL 3.0",
                      driver_version="1", compute_units=80, unified_memory=kind != "GPU",
                      double_precision=True, exact_divide_sqrt=True, index=index,
                      cl_device=None)


@pytest.fixture
def three_gpus_and_a_cpu(monkeypatch):
    """Device discovery that finds three GPUs (the second one broken) and a CPU; selection
    is recorded instead of opening anything."""
    found = [fake_device(0), fake_device(1), fake_device(2), fake_device(3, "CPU", "Fake CPU")]
    selected = []
    monkeypatch.setattr(tasks, "devices", lambda: list(found))
    monkeypatch.setattr(tasks, "check_device",
                        lambda d: "broken" if d.index == 1 else None)
    monkeypatch.setattr(tasks, "select_device",
                        lambda d=None: selected.append(d) or (d if isinstance(d, DeviceInfo)
                                                              else found[3]))
    monkeypatch.setattr(tasks, "current_device", lambda: selected[-1] if selected else None)
    monkeypatch.setattr(tasks, "_chosen", {})
    monkeypatch.delenv("OCLIP_DEVICE", raising=False)
    return found, selected


def test_workers_share_out_the_gpus_by_index(three_gpus_and_a_cpu, monkeypatch):
    _, selected = three_gpus_and_a_cpu
    chosen = []
    for index in range(5):
        monkeypatch.setattr(tasks, "_chosen", {})
        chosen.append(tasks.worker_device(None, index).index)
    assert chosen == [0, 2, 2, 0, 2]  # GPU 1 fails its check: its workers take the next
    monkeypatch.setattr(tasks, "_chosen", {})
    assert tasks.worker_device(None).index == 0  # no index (not a named worker): the first
    # chosen once per process: later calls return it without choosing again
    monkeypatch.setattr(tasks, "_chosen", {})
    first = tasks.worker_device(None, 2)
    count = len(selected)
    assert tasks.worker_device(None, 0) is first and len(selected) == count
    assert local_workers() == 3
    assert local_workers("cpu") >= 1


def test_a_cpu_device_is_selected_as_oclip_selects_it(three_gpus_and_a_cpu, monkeypatch):
    found, selected = three_gpus_and_a_cpu
    assert tasks.worker_device("cpu", 5) is found[3]
    assert selected == ["cpu"]
    monkeypatch.setenv("OCLIP_DEVICE", "Fake CPU")
    assert [d.index for d in tasks.device_candidates()] == [3]


def test_worker_indices_come_from_worker_names():
    assert tasks.worker_index(0) == 0
    assert tasks.worker_index(3) == 3
    assert tasks.worker_index("5") == 5
    assert tasks.worker_index("gpunode7-2") == 2
    assert tasks.worker_index("tcp://10.0.0.1:40123") is None  # unnamed: its address
    assert tasks.worker_index("worker") is None
    assert tasks.worker_index() is None  # not in a worker


def test_local_workers_split_the_cores_among_them(monkeypatch):
    from oclip.runs import _cluster

    monkeypatch.setattr(_cluster, "cpu_cores", lambda: 8)
    monkeypatch.delenv("POCL_MAX_PTHREAD_COUNT", raising=False)
    monkeypatch.delenv("POCL_CPU_MAX_CU_COUNT", raising=False)
    options = local_cluster_options(3)
    assert options["n_workers"] == 3 and options["threads_per_worker"] == 1
    assert options["processes"] and options["host"] == "127.0.0.1"
    assert options["env"] == {"POCL_MAX_PTHREAD_COUNT": "2", "POCL_CPU_MAX_CU_COUNT": "2"}
    assert local_cluster_options(16)["env"]["POCL_MAX_PTHREAD_COUNT"] == "1"
    monkeypatch.setenv("POCL_MAX_PTHREAD_COUNT", "4")  # the user's own limit is kept
    assert local_cluster_options(3)["env"] == {"POCL_CPU_MAX_CU_COUNT": "2"}


# --- tasks run in this process ----------------------------------------------------------------


def test_tasks_and_assembly_run_in_a_plain_process(tmp_path):
    image = (np.random.default_rng(2).random((33, 47)) * 500).astype(np.float32)
    tifffile.imwrite(tmp_path / "a.tif", image)
    workflow = Workflow(("image",), (
        Step("blurred", "gaussian_blur", {"image": "image"}, {"sigma_x": 2.0, "sigma_y": 1.0}),
        Step("low", "minimum_box", {"image": "blurred"}, {"radius_x": 2, "radius_y": 3})),
        ("low",))
    (job,) = plan_jobs(workflow, [tmp_path / "a.tif"])
    halo = workflow_halo(workflow, ["low"])
    tiles = plan_tiles(image.shape, (10, 20), halo)
    tile_folder = tmp_path / "out" / ".tiles"
    reports = [run_task(Task(workflow, job, str(tmp_path / "out"), ("low",), tile=tile,
                             tile_folder=str(tile_folder))) for tile in tiles]
    assert all(r.error is None and r.compute > 0 for r in reports)
    report = assemble(Assembly(job, str(tmp_path / "out"), ("low",), {"low": "image"},
                               frozenset(), tuple(tiles), str(tile_folder)), *reports)
    assert report.error is None, report.error
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "out" / "a_low.tif"),
                                  workflow.run(image)["low"])
    assert not tile_folder.exists()
    # a failed tile: the assembly writes nothing and names it
    broken = Task(workflow, job, str(tmp_path / "out2"), ("low",),
                  tile=Tile(core=((0, 5),), read=((0, 99),)), tile_folder=str(tile_folder))
    failure = run_task(broken)
    assert failure.error is not None and failure.source == f"{job.source} [tile x 0-5]"
    report = assemble(Assembly(job, str(tmp_path / "out2"), ("low",), {"low": "image"},
                               frozenset(), tuple(tiles), str(tile_folder)), failure)
    assert report.error.startswith(f"1 of {len(tiles)} tile(s) failed, first "
                                   f"{failure.source}")
    assert not (tmp_path / "out2" / "a_low.tif").exists()


def test_an_assembled_output_gets_the_mode_of_an_output_written_whole(tmp_path):
    tifffile.imwrite(tmp_path / "a.tif", blobs((20, 24)))
    workflow = Workflow(("image",), (
        Step("blurred", "gaussian_blur", {"image": "image"}, {"sigma_x": 1.0, "sigma_y": 1.0}),))
    (job,) = plan_jobs(workflow, [tmp_path / "a.tif"])
    (tmp_path / "whole").mkdir()
    whole = run_task(Task(workflow, job, str(tmp_path / "whole"), ("blurred",)))
    assert whole.error is None, whole.error
    tiles = plan_tiles((20, 24), (8, 8), workflow_halo(workflow, ["blurred"]))
    tile_folder = tmp_path / "tiled" / ".tiles"
    reports = [run_task(Task(workflow, job, str(tmp_path / "tiled"), ("blurred",),
                             tile=tile, tile_folder=str(tile_folder))) for tile in tiles]
    report = assemble(Assembly(job, str(tmp_path / "tiled"), ("blurred",),
                               {"blurred": "image"}, frozenset(), tuple(tiles),
                               str(tile_folder)),
                      *reports)
    assert report.error is None, report.error
    umask = os.umask(0o022)
    os.umask(umask)
    modes = {stat.S_IMODE((tmp_path / folder / "a_blurred.tif").stat().st_mode)
             for folder in ("whole", "tiled")}
    assert modes == {0o666 & ~umask}  # not private to the writer (mkstemp's 0600)


def _crop_one(image: Image) -> Image:
    """Drop the last column (a test operation).

    Parameters
    ----------
    image : Image
        Any image.

    Returns
    -------
    Image
        The image without its last column.

    See Also
    --------
    numpy.ndarray.__getitem__ : the reference.
    """
    return backend.push(np.ascontiguousarray(image.get()[..., :-1]))


def test_a_shape_changing_step_is_refused_in_tiles(tmp_path):
    _crop_one.__name__ = "test_crop_one"
    operation(category="Filter", halo=(0, 0, 0))(_crop_one)
    try:
        tifffile.imwrite(tmp_path / "a.tif", blobs((20, 24)))
        workflow = Workflow(("image",), (Step("cropped", "test_crop_one", {"image": "image"}),))
        (job,) = plan_jobs(workflow, [tmp_path / "a.tif"])
        tile = plan_tiles((20, 24), (8, 8), (0, 0, 0))[0]
        report = run_task(Task(workflow, job, str(tmp_path), ("cropped",), tile=tile,
                               tile_folder=str(tmp_path / "tiles")))
    finally:
        _registry.pop("test_crop_one", None)
    assert "the workflow changes the image shape, so it cannot run in tiles" in report.error


@pytest.mark.parametrize(("tile_shape", "expected"), [((4, 4), 25), ((8,), 3), ((30, 30), 1)])
def test_tile_counts(tile_shape, expected):
    assert len(plan_tiles((20, 20), tile_shape, (0, 1, 1))) == expected
