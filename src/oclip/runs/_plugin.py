"""The dask worker plugin of oclip (imported only where dask.distributed is installed)."""

from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from ._tasks import worker_device, worker_index


class OclipWorker(WorkerPlugin):
    """Selects each worker's OpenCL device when the worker starts.

    The worker process opens the device (context, queue, memory pool) once,
    before its first task, and keeps it: every task of the process uses it,
    and built programs stay cached.  With several GPUs, worker ``i`` takes
    GPU ``i % n`` (see :func:`oclip.runs._tasks.worker_device`).  Workers
    that join later (a replacement for a worker that died, an adaptive
    cluster growing) run the plugin too.

    Parameters
    ----------
    device : str, optional
        ``gpu``, ``cpu`` or part of a device name (default: the worker's
        ``OCLIP_DEVICE``, else the best kind of device present).
    """

    name = "oclip"

    def __init__(self, device: str | None = None) -> None:
        self.device = device

    def setup(self, worker: Any) -> None:
        chosen = worker_device(self.device, worker_index(worker.name))
        worker.oclip_device = str(chosen)  # for diagnostics: client.run(...) reads it
