"""Workflows: what a person clicked, as data that re-runs anywhere.

A :class:`Workflow` is immutable data: named inputs, steps (an operation of
the registry, its image inputs and its parameter values) and declared
outputs.  From it:

* :meth:`Workflow.run` computes the outputs on the device, pushing each input
  once and pulling only what is read; given an earlier run's results
  (``reuse=``) it recomputes only what a change touched.
  :meth:`Workflow.run_time_lapse` runs every time point of a time-lapse.
* :class:`History` gives undo and redo over workflow states.
* :func:`load` / :func:`save` read and write YAML workflow files (safely:
  loading never runs code); :func:`loads` / :func:`dumps` work on text.
* :func:`to_python` and :func:`to_notebook` export a script (runnable on
  TIFF files, or importable as a function) and a Jupyter notebook.

Running workflows on files (``oclip run``, dask.distributed) is
:mod:`oclip.runs`.  Nothing here imports napari or Qt; PyYAML and nbformat
(the ``workflow`` extra) are imported only by the functions that need them.

Example::

    from oclip.workflow import Workflow

    workflow = (Workflow(inputs=["nuclei"])
                .add_step("gaussian_blur", {"image": "nuclei"}, {"sigma_x": 2, "sigma_y": 2},
                          id="blurred")
                .add_step("threshold_otsu", {"image": "blurred"}, id="binary")
                .add_step("connected_components_labeling", {"binary": "binary"}, id="labels")
                .with_outputs(["labels"]))
    results = workflow.run({"nuclei": image})
    labels = results["labels"]
    tuned = workflow.change_step("blurred", params={"sigma_x": 3})
    again = tuned.run({"nuclei": image}, reuse=results)   # blurred, binary, labels again
"""

from ._export import to_notebook, to_python
from ._files import MAX_BYTES, MAX_DEPTH, MAX_NODES, WorkflowFileError, dumps, load, loads, save
from ._history import History
from ._model import SCHEMA_VERSION, Step, Workflow, WorkflowError
from ._replay import Results, run, run_time_lapse

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "SCHEMA_VERSION",
    "History",
    "Results",
    "Step",
    "Workflow",
    "WorkflowError",
    "WorkflowFileError",
    "dumps",
    "load",
    "loads",
    "run",
    "run_time_lapse",
    "save",
    "to_notebook",
    "to_python",
]
