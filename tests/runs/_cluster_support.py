"""Local dask clusters, test operations inside workers, and process checks for the
distributed-run tests."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import psutil
from distributed import Client, Event, LocalCluster, Queue, get_worker
from distributed.diagnostics.plugin import WorkerPlugin

from oclip.ops import Image, operation
from oclip.ops._registry import _registry
from oclip.runs._cluster import local_cluster_options

from ..workflow._support import register_table_operation

#: The operation that waits, inside a worker, until the test lets it go.
HOLD_OP = "test_hold"
#: Names of the dask Queue a held task announces its process id on, and of the Event
#: that releases the held tasks.
STARTED = "oclip-test-started"
RELEASE = "oclip-test-release"
#: How long a held task waits for the release before it fails (the test's bound).
HOLD_SECONDS = 120


def _hold(image: Image) -> Image:
    """Give the image back unchanged, inside a dask worker only after the test says so.

    Parameters
    ----------
    image : Image
        Any image.

    Returns
    -------
    Image
        A copy of the image.

    See Also
    --------
    numpy.copy : the reference.
    """
    try:
        get_worker()
    except ValueError:  # not in a worker: the serial reference run
        return image.copy()
    Queue(STARTED).put(os.getpid())
    if not Event(RELEASE).wait(timeout=HOLD_SECONDS):
        raise TimeoutError(f"{HOLD_OP}: not released within {HOLD_SECONDS} s")
    return image.copy()


#: The operation that kills its worker process on images of more than 1000 pixels: a file
#: too large for a worker's memory.
DIE_OP = "test_die_if_large"


def _die_if_large(image: Image) -> Image:
    """Give the image back, or kill this dask worker's process for a large one.

    Parameters
    ----------
    image : Image
        Any image.

    Returns
    -------
    Image
        A copy of the image.

    See Also
    --------
    numpy.copy : the reference.
    """
    try:
        get_worker()
    except ValueError:  # not in a worker: the serial reference run
        return image.copy()
    if image.size > 1000:
        os.kill(os.getpid(), signal.SIGKILL)
    return image.copy()


def register_die_operation() -> None:
    _die_if_large.__name__ = DIE_OP
    operation(category="Filter", halo=(0, 0, 0))(_die_if_large)


def register_hold_operation() -> None:
    _hold.__name__ = HOLD_OP
    operation(category="Filter", halo=(0, 0, 0))(_hold)


@contextmanager
def extra_operations() -> Iterator[None]:
    """The table and hold operations, registered in this process for a while."""
    import oclip

    from ..workflow._support import TABLE_OP, unregister_table_operation

    register_table_operation()
    register_hold_operation()
    register_die_operation()
    try:
        yield
    finally:
        unregister_table_operation()
        _registry.pop(HOLD_OP, None)
        _registry.pop(DIE_OP, None)
        assert not hasattr(oclip, HOLD_OP)
        assert TABLE_OP not in _registry


class ExtraOperations(WorkerPlugin):
    """Registers the test operations in each worker process (restarted ones too)."""

    name = "oclip-test-operations"

    def setup(self, worker: Any) -> None:
        if HOLD_OP not in _registry:
            register_table_operation()
            register_hold_operation()
            register_die_operation()


def worker_pids(client: Client) -> set[int]:
    return set(client.run(os.getpid).values())


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


#: Threads kept for the whole process once used, not for one cluster: distributed's
#: idle executor for offloading (de)serialisation, zarr's event loop for its I/O (zarr
#: reads tiles of TIFF files when this process runs a task itself).
PROCESS_WIDE_THREADS = ("Dask-Offload", "zarr_io")


def _threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if not t.name.startswith(PROCESS_WIDE_THREADS)}


@contextmanager
def local_cluster(workers: int = 2) -> Iterator[tuple[LocalCluster, Client]]:
    """A LocalCluster of ``workers`` processes on loopback, as ``local:N`` starts it, and
    a client; on leaving, checks that every worker process (the replacements of killed
    ones too) ended and that no thread is left behind."""
    threads = _threads()
    pids: set[int] = set()
    with LocalCluster(**local_cluster_options(workers)) as cluster, Client(cluster) as client:
        client.wait_for_workers(workers, timeout=60)
        try:
            yield cluster, client
        finally:
            pids = worker_pids(client)
    assert not [child for child in multiprocessing.active_children() if child.pid in pids]
    assert all(_gone(pid) for pid in pids), pids
    deadline = time.monotonic() + 10
    while _threads() - threads and time.monotonic() < deadline:
        time.sleep(0.05)  # threads of the closed client end right after it
    assert not _threads() - threads, _threads() - threads


def same_files(folder_a, folder_b, names) -> None:
    """The files ``names`` hold the same data in both folders (TIFF arrays and dtypes,
    CSV text)."""
    import tifffile

    for name in names:
        a, b = folder_a / name, folder_b / name
        if name.endswith(".csv"):
            assert a.read_text() == b.read_text(), name
        else:
            expected, got = tifffile.imread(a), tifffile.imread(b)
            assert got.dtype == expected.dtype and got.shape == expected.shape, name
            np.testing.assert_array_equal(got, expected, err_msg=name)
