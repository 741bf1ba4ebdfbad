"""Running workflows on files: in this process or on a dask.distributed cluster.

* :func:`plan_jobs` pairs a workflow's inputs with files and folders of TIFF
  files; :func:`run_files` runs the jobs in this process (``oclip run``).
* :func:`run_distributed` runs them on a dask.distributed cluster
  (``oclip run --scheduler``): a task per file, per time point or per tile,
  resumable, with a summary table.
* :func:`read_image` reads a TIFF file whole (a stack written page by page as
  the stack; colour images refused), as ``oclip run`` and exported scripts do;
  :func:`read_lazy` opens one as a lazy dask array.

tifffile (the ``workflow`` extra) and dask.distributed and zarr (the
``cluster`` extra) are imported only by the functions that need them.
"""

from ._batch import BatchSummary, Job, plan_jobs, run_files
from ._cluster import ClusterSummary, run_distributed
from ._images import read_image
from ._tiles import read_lazy

__all__ = [
    "BatchSummary",
    "ClusterSummary",
    "Job",
    "plan_jobs",
    "read_image",
    "read_lazy",
    "run_distributed",
    "run_files",
]
