"""Replay: results equal the operations called one by one; the step cache; time-lapse."""

from __future__ import annotations

import re

import numpy as np
import pytest

import oclip
from oclip import _backend as backend
from oclip.workflow import Results, Step, Workflow, WorkflowError

from ._support import OUT_OF_MEMORY, blobs, by_hand, labeling_workflow, launches


def test_replay_equals_the_operations_called_one_by_one():
    image = blobs()
    results = labeling_workflow().run({"nuclei": image})
    assert isinstance(results, Results) and list(results) == ["labels"]
    labels = results["labels"]
    assert isinstance(labels, np.ndarray) and labels.dtype == np.uint32
    np.testing.assert_array_equal(labels, by_hand(image))
    assert labels.max() > 1
    # a one-input workflow also takes the image itself
    np.testing.assert_array_equal(labeling_workflow().run(image)["labels"], labels)


def test_replay_of_two_inputs_and_several_outputs():
    nuclei, background = blobs(seed=1), blobs(seed=2)
    workflow = Workflow(
        ("nuclei", "background"),
        (Step("top", "top_hat_box", {"image": "nuclei"}, {"radius_x": 4, "radius_y": 4}),
         Step("smooth", "mean_box", {"image": "background"}),
         Step("total", "add_images", {"image1": "top", "image2": "smooth"}),
         Step("scaled", "multiply_image_and_scalar", {"image": "total"}, {"scalar": 0.5})),
        ("scaled", "top"))
    results = workflow.run({"nuclei": nuclei, "background": background})
    top = oclip.top_hat_box(nuclei, radius_x=4, radius_y=4, radius_z=0)
    expected = oclip.multiply_image_and_scalar(oclip.add_images(top, oclip.mean_box(background)),
                                               scalar=0.5)
    np.testing.assert_array_equal(results["scaled"], expected)
    np.testing.assert_array_equal(results["top"], top)
    assert list(results) == ["scaled", "top"]


def test_inputs_are_pushed_once_and_only_read_outputs_are_pulled(monkeypatch):
    pushes, pulls = [], []
    push, pull = backend.push, backend.pull
    monkeypatch.setattr(backend, "push", lambda a: pushes.append(a) or push(a))
    monkeypatch.setattr(backend, "pull", lambda a: pulls.append(a) or pull(a))
    image = blobs()
    results = labeling_workflow().with_outputs(["binary", "labels"]).run({"nuclei": image})
    assert len(pushes) == 1 and pulls == []
    assert all(backend.is_device_array(results.device(s)) for s in ("blurred", "binary"))
    labels = results["labels"]
    assert len(pulls) == 1
    assert results["labels"] is labels and len(pulls) == 1
    with pytest.raises(KeyError, match="'blurred' is not among the outputs"):
        results["blurred"]


def test_device_inputs_are_used_as_they_are(monkeypatch):
    image = blobs()
    on_device = oclip.push(image)
    pushes = []
    push = backend.push
    monkeypatch.setattr(backend, "push", lambda a: pushes.append(a) or push(a))
    results = labeling_workflow().run({"nuclei": on_device})
    assert pushes == []
    np.testing.assert_array_equal(results["labels"], by_hand(image))


def test_only_the_steps_requested_outputs_need_run(step_counter):
    results = labeling_workflow().run(blobs(), outputs=["binary"])
    assert results.computed == ("blurred", "binary")
    assert dict(step_counter.counts) == {"blurred": 1, "binary": 1}


def test_changing_a_late_step_does_not_recompute_early_ones(step_counter):
    image = blobs((9, 21, 33))
    workflow = labeling_workflow()
    first = workflow.run({"nuclei": image})
    assert first.computed == ("blurred", "binary", "labels")
    changed = workflow.change_step("labels", params={"connectivity": "diamond"})
    before = launches()
    second = changed.run({"nuclei": image}, reuse=first)
    late_launches = launches() - before
    assert second.computed == ("labels",) and second.reused == ("blurred", "binary")
    assert step_counter.counts == {"blurred": 1, "binary": 1, "labels": 2}
    np.testing.assert_array_equal(second["labels"], by_hand(image, connectivity="diamond"))
    # a full run from scratch launches more kernels than the late step alone
    before = launches()
    changed.run({"nuclei": image})
    full = launches() - before
    assert 0 < late_launches < full
    # the earlier results are still valid
    np.testing.assert_array_equal(first["labels"], by_hand(image))


def test_changing_an_early_step_recomputes_it_and_its_followers(step_counter):
    image = blobs()
    first = labeling_workflow().run(image)
    second = labeling_workflow(sigma=2.0).run(image, reuse=first)
    assert second.computed == ("blurred", "binary", "labels") and second.reused == ()
    np.testing.assert_array_equal(second["labels"], by_hand(image, sigma=2.0))


def test_renaming_or_other_outputs_recompute_nothing():
    image = blobs()
    workflow = labeling_workflow().with_outputs(["binary", "labels"])
    first = workflow.run(image)
    before = launches()
    renamed = workflow.rename_step("labels", "objects").run(image, reuse=first)
    assert launches() == before and renamed.computed == ()
    np.testing.assert_array_equal(renamed["objects"], first["labels"])
    # a new branch computes only itself
    branched = workflow.add_step("maximum_box", {"image": "blurred"}, id="peaks")
    assert branched.run(image, reuse=first).computed == ()  # peaks is no output
    rerun = branched.run(image, reuse=first, outputs=["peaks", "labels"])
    assert rerun.computed == ("peaks",) and rerun.reused == ("blurred", "binary", "labels")


def test_a_new_input_object_recomputes_everything():
    image = blobs()
    first = labeling_workflow().run(image)
    again = labeling_workflow().run(image.copy(), reuse=first)
    assert again.computed == ("blurred", "binary", "labels")
    same = labeling_workflow().run(image, reuse=first)
    assert same.computed == ()


def test_identical_steps_are_computed_once(step_counter):
    workflow = Workflow(("x",), (Step("a", "gaussian_blur", {"image": "x"}),
                                 Step("b", "gaussian_blur", {"image": "x"})))
    results = workflow.run(blobs())
    assert results.computed == ("a",) and results.reused == ("b",)
    np.testing.assert_array_equal(results["a"], results["b"])


def test_without_intermediates_only_outputs_are_kept():
    results = labeling_workflow().run(blobs(), keep_intermediates=False)
    with pytest.raises(KeyError, match="no result of that step is kept"):
        results.device("blurred")
    assert results["labels"].max() > 1


def test_replay_refuses_missing_or_unknown_inputs_and_outputs():
    workflow = labeling_workflow().add_input("other")
    with pytest.raises(WorkflowError, match="input\\(s\\) 'nuclei' missing"):
        workflow.run({"other": blobs()})
    with pytest.raises(WorkflowError, match="unknown input\\(s\\) 'nucleus'"):
        workflow.run({"nucleus": blobs()})
    with pytest.raises(WorkflowError, match="takes 2 inputs"):
        workflow.run(blobs())
    with pytest.raises(WorkflowError, match="no step 'ghost'"):
        labeling_workflow().run(blobs(), outputs=["ghost"])


def test_an_operation_error_names_the_step():
    workflow = Workflow(("x",), (Step("projected", "maximum_z_projection", {"image": "x"}),))
    with pytest.raises(ValueError, match="step 'projected': maximum_z_projection: parameter "
                                         "'image' must be a 3D image"):
        workflow.run(blobs())
    with pytest.raises(TypeError, match=r"input 'x': .*complex"):
        workflow.run(np.zeros((3, 4, 5), np.complex64))


def test_a_device_memory_error_names_the_step_and_its_parameters(out_of_memory_op):
    workflow = labeling_workflow().add_step(out_of_memory_op, {"image": "blurred"},
                                            {"radius_x": 5}, id="huge")
    with pytest.raises(oclip.DeviceMemoryError) as caught:
        workflow.with_outputs(["huge"]).run(blobs())
    assert str(caught.value) == (
        f"step 'huge' ({out_of_memory_op}, radius_x=5, sigma_x=1.0): {out_of_memory_op}: "
        f"{OUT_OF_MEMORY}")
    assert type(caught.value) is oclip.DeviceMemoryError
    assert caught.value.__traceback__ is not None
    # over time points too
    with pytest.raises(oclip.DeviceMemoryError, match=r"^step 'huge' \(test_out_of_memory, "
                                                      r"radius_x=5, sigma_x=1.0\): "):
        workflow.with_outputs(["huge"]).run_time_lapse(np.stack([blobs(), blobs()]))


class WordedDeviceError(oclip.DeviceError):
    """An error that words its message from a field, not from its arguments."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size

    def __str__(self) -> str:
        return f"{self.size} bytes do not fit"


def raising(error: BaseException):
    """A stand-in for the registry's get_operation: every operation raises ``error``."""
    def function(**_):
        raise error
    return lambda name: type("FailingOperation", (), {"function": staticmethod(function)})


def test_other_errors_of_a_step_name_it_in_the_message_or_in_a_note(monkeypatch):
    from oclip.workflow import _replay

    workflow = Workflow(("x",), (Step("m", "mean_box", {"image": "x"}, {"radius_x": 2}),))
    words = "step 'm' (mean_box, radius_x=2, radius_y=1, radius_z=0)"
    for raised, message, in_a_note in [
        (oclip.DeviceError("the driver failed"), f"{words}: the driver failed", False),
        (oclip.KernelBuildError(), words, False),
        (MemoryError("no memory"), f"{words}: no memory", False),
        (RuntimeError("CL_OUT_OF_RESOURCES"), "CL_OUT_OF_RESOURCES", True),
        (WordedDeviceError(12), "12 bytes do not fit", True),
    ]:
        monkeypatch.setattr(_replay, "get_operation", raising(raised))
        with pytest.raises(type(raised)) as caught:
            workflow.run(blobs())
        assert caught.value is raised and str(raised) == message
        assert getattr(raised, "__notes__", []) == ([f"in workflow {words}"] if in_a_note
                                                    else [])
    with pytest.raises(MemoryError) as numpy_error:  # numpy's words itself from its fields
        np.empty(1 << 62, np.uint8)
    monkeypatch.setattr(_replay, "get_operation", raising(numpy_error.value))
    with pytest.raises(MemoryError, match=re.escape(f"{words}: Unable to allocate")):
        workflow.run(blobs())


def test_table_outputs_come_back_as_dicts_of_numpy_columns(table_op):
    image = blobs()
    workflow = labeling_workflow().add_step(table_op, {"labels": "labels"}, id="areas")
    results = workflow.with_outputs(["labels", "areas"]).run(image)
    table = results["areas"]
    labels = results["labels"]
    assert set(table) == {"label", "area"}
    assert all(isinstance(c, np.ndarray) for c in table.values())
    np.testing.assert_array_equal(table["area"], np.bincount(labels.ravel())[1:])
    assert isinstance(results.device("areas")["area"], backend.DeviceArray)


# --- time-lapse -------------------------------------------------------------------------


def test_time_lapse_runs_every_time_point_and_stacks(step_counter):
    movie = np.stack([blobs((9, 21, 33), seed=s) for s in range(3)])  # (t, z, y, x)
    progress = []
    stacked = labeling_workflow().run_time_lapse(
        {"nuclei": movie}, progress=lambda done, total: progress.append((done, total)))
    assert stacked["labels"].shape == movie.shape and stacked["labels"].dtype == np.uint32
    for t in range(3):
        np.testing.assert_array_equal(stacked["labels"][t], by_hand(movie[t]))
    assert progress == [(1, 3), (2, 3), (3, 3)]
    assert step_counter.counts["blurred"] == 3
    # (t, y, x): 2D images over time
    flat = np.stack([blobs(seed=s) for s in range(2)])
    labels = labeling_workflow().run_time_lapse(flat)["labels"]
    np.testing.assert_array_equal(labels[1], by_hand(flat[1]))


def test_static_inputs_serve_every_time_point_and_their_steps_run_once(step_counter):
    movie = np.stack([blobs(seed=s) for s in range(4)])
    background = blobs(seed=9)
    workflow = Workflow(
        ("movie", "background"),
        (Step("smooth", "mean_box", {"image": "background"}, {"radius_x": 2, "radius_y": 2}),
         Step("sum", "add_images", {"image1": "movie", "image2": "smooth"})))
    result = workflow.run_time_lapse({"movie": movie, "background": background},
                                     static=["background"])["sum"]
    smooth = oclip.mean_box(background, radius_x=2, radius_y=2)
    for t in range(4):
        np.testing.assert_array_equal(result[t], oclip.add_images(movie[t], smooth))
    assert step_counter.counts == {"smooth": 1, "sum": 4}


def test_time_lapse_tables_get_a_frame_column(table_op):
    movie = np.stack([blobs(seed=s) for s in range(3)])
    workflow = labeling_workflow().add_step(table_op, {"labels": "labels"}, id="areas")
    table = workflow.run_time_lapse(movie, outputs=["areas"])["areas"]
    assert list(table) == ["frame", "label", "area"]
    for t in range(3):
        expected = np.bincount(by_hand(movie[t]).ravel())[1:]
        np.testing.assert_array_equal(table["area"][table["frame"] == t], expected)


def test_time_lapse_refuses_inputs_without_a_time_axis_or_of_different_lengths():
    workflow = Workflow(("a", "b"), (Step("sum", "add_images", {"image1": "a", "image2": "b"}),))
    with pytest.raises(WorkflowError, match=r"input 'a' must be a time-lapse .* got shape"):
        workflow.run_time_lapse({"a": blobs(), "b": blobs()})
    with pytest.raises(WorkflowError, match="different numbers of time points: a: 2, b: 3"):
        workflow.run_time_lapse({"a": np.zeros((2, 5, 6)), "b": np.zeros((3, 5, 6))})
    with pytest.raises(WorkflowError, match="static input 'c' is not an input"):
        workflow.run_time_lapse({"a": np.zeros((2, 5, 6))}, static=["c"])
    with pytest.raises(WorkflowError, match="every input is static"):
        workflow.run_time_lapse({"a": blobs(), "b": blobs()}, static=["a", "b"])
    with pytest.raises(WorkflowError, match="no time points"):
        workflow.run_time_lapse({"a": np.zeros((0, 5, 6)), "b": np.zeros((0, 5, 6))})
