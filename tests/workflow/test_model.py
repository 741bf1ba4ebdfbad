"""The Workflow model: immutability, changes, graph queries, validation, equality."""

from __future__ import annotations

import ast
import dataclasses
import pickle
import re
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oclip.workflow import SCHEMA_VERSION, Step, Workflow, WorkflowError

from ._support import labeling_workflow


def two_branch_workflow() -> Workflow:
    """nuclei → blurred → {top, binary → labels}; background → smooth; sum(top, smooth)."""
    return Workflow(
        inputs=("nuclei", "background"),
        steps=(
            Step("total", "add_images", {"image1": "top", "image2": "smooth"}),
            Step("labels", "connected_components_labeling", {"binary": "binary"}),
            Step("binary", "threshold_otsu", {"image": "blurred"}),
            Step("top", "top_hat_box", {"image": "blurred"}, {"radius_x": 3, "radius_y": 3}),
            Step("blurred", "gaussian_blur", {"image": "nuclei"}),
            Step("smooth", "mean_box", {"image": "background"}),
        ),
        outputs=("labels", "total"),
    )


# --- data, equality, immutability -------------------------------------------------------


def test_steps_hold_every_parameter_in_its_canonical_type():
    workflow = labeling_workflow(sigma=2)
    blurred = workflow.step("blurred")
    assert dict(blurred.params) == {"sigma_x": 2.0, "sigma_y": 2.0, "sigma_z": 0.0}
    assert all(type(v) is float for v in blurred.params.values())
    assert dict(workflow.step("labels").params) == {"connectivity": "box"}
    assert dict(workflow.step("binary").params) == {}


def test_equal_structure_gives_equal_workflows_whatever_the_step_order():
    a = two_branch_workflow()
    b = Workflow(a.inputs, tuple(reversed(a.steps)), a.outputs)
    explicit = Workflow(a.inputs, tuple(
        Step(s.id, s.op, s.inputs, {**s.params}) for s in a.steps), a.outputs)
    assert a == b == explicit
    assert hash(a) == hash(b) == hash(explicit)
    assert len({a, b, explicit}) == 1
    # an omitted default equals the default written out; 3 equals 3.0 for a float
    sparse = Workflow(("x",), (Step("s", "gaussian_blur", {"image": "x"}, {"sigma_x": 3}),))
    full = Workflow(("x",), (Step("s", "gaussian_blur", {"image": "x"},
                                  {"sigma_x": 3.0, "sigma_y": 1.0, "sigma_z": 0.0}),))
    assert sparse == full


def test_different_structure_gives_different_workflows():
    a = labeling_workflow()
    assert a != labeling_workflow(sigma=2.5)
    assert a != a.with_outputs(["binary"])
    assert a != a.rename_step("binary", "mask")
    assert a != a.add_input("other")
    assert a != "not a workflow"


def test_workflows_and_steps_are_immutable():
    workflow = labeling_workflow()
    with pytest.raises(dataclasses.FrozenInstanceError):
        workflow.steps = ()
    step = workflow.step("blurred")
    with pytest.raises(dataclasses.FrozenInstanceError):
        step.op = "mean_box"
    with pytest.raises(TypeError):
        step.params["sigma_x"] = 5.0
    changed = workflow.change_step("blurred", params={"sigma_x": 4})
    assert workflow.step("blurred").params["sigma_x"] == 1.5
    assert changed.step("blurred").params["sigma_x"] == 4.0


def test_workflows_pickle_for_worker_processes():
    workflow = two_branch_workflow()
    copy = pickle.loads(pickle.dumps(workflow))
    assert copy == workflow and hash(copy) == hash(workflow)
    assert copy.followers("binary") == ("labels",)


def test_steps_are_kept_in_topological_order():
    workflow = two_branch_workflow()
    order = workflow.topological_order()
    assert order == workflow.step_ids == tuple(s.id for s in workflow.steps)
    for step in workflow.steps:
        for source in step.inputs.values():
            if source in workflow:
                assert order.index(source) < order.index(step.id)
    # ties go in the given order
    assert order == ("blurred", "binary", "labels", "top", "smooth", "total")


# --- graph queries ----------------------------------------------------------------------


def test_roots_leaves_followers_upstream_users():
    workflow = two_branch_workflow()
    assert set(workflow.roots()) == {"blurred", "smooth"}
    assert set(workflow.leaves()) == {"labels", "total"}
    assert workflow.followers("blurred") == tuple(
        s for s in workflow.step_ids if s in {"top", "binary", "labels", "total"})
    assert workflow.followers("binary") == ("labels",)
    assert workflow.followers("labels") == ()
    assert set(workflow.followers("background")) == {"smooth", "total"}
    assert set(workflow.upstream("total")) == {"blurred", "top", "smooth"}
    assert workflow.upstream("blurred") == ()
    assert set(workflow.users("blurred")) == {"top", "binary"}
    with pytest.raises(WorkflowError, match="'nothing' is neither an input nor a step"):
        workflow.followers("nothing")
    with pytest.raises(WorkflowError, match="no step 'nothing'"):
        workflow.upstream("nothing")


def test_output_ids_are_the_declared_outputs_or_else_the_leaves():
    workflow = two_branch_workflow()
    assert workflow.output_ids == ("labels", "total")
    assert set(workflow.with_outputs([]).output_ids) == {"labels", "total"}
    assert workflow.with_outputs(["binary"]).output_ids == ("binary",)


# --- changes ----------------------------------------------------------------------------


def test_add_step_names_steps_after_their_operation():
    workflow = Workflow(inputs=["image"])
    workflow = workflow.add_step("gaussian_blur", {"image": "image"})
    workflow = workflow.add_step("gaussian_blur", {"image": "gaussian_blur"})
    workflow = workflow.add_step("gaussian_blur", {"image": "gaussian_blur_2"})
    assert workflow.step_ids == ("gaussian_blur", "gaussian_blur_2", "gaussian_blur_3")


def test_change_step_updates_parameters_and_inputs():
    workflow = two_branch_workflow()
    changed = workflow.change_step("top", params={"radius_x": 5})
    assert changed.step("top").params["radius_x"] == 5
    assert changed.step("top").params["radius_y"] == 3
    rewired = workflow.change_step("top", inputs={"image": "nuclei"})
    assert rewired.step("top").inputs["image"] == "nuclei"
    assert "top" not in rewired.followers("blurred")


def test_change_step_to_another_operation_keeps_what_fits():
    workflow = two_branch_workflow()
    mean = workflow.change_step("top", op="mean_box")
    assert mean.step("top").op == "mean_box"
    assert dict(mean.step("top").params) == {"radius_x": 3, "radius_y": 3, "radius_z": 0}
    blur = workflow.change_step("top", op="gaussian_blur", params={"sigma_x": 2})
    assert dict(blur.step("top").params) == {"sigma_x": 2.0, "sigma_y": 1.0, "sigma_z": 0.0}
    assert blur.step("top").inputs == {"image": "blurred"}
    # the one image input moves to the new operation's one image parameter
    labeled = workflow.change_step("top", op="connected_components_labeling")
    assert labeled.step("top").inputs == {"binary": "blurred"}
    with pytest.raises(WorkflowError, match="unknown operation 'no_such_op'"):
        workflow.change_step("top", op="no_such_op")
    with pytest.raises(WorkflowError, match="step 'top': gaussian_blur has no parameter"):
        workflow.change_step("top", op="gaussian_blur", params={"radius_q": 1})


def test_remove_step_refuses_while_others_read_it_and_names_them():
    workflow = two_branch_workflow()
    with pytest.raises(WorkflowError,
                       match=r"'blurred' cannot be removed: 'binary', 'top' read it"):
        workflow.remove_step("blurred")
    with pytest.raises(WorkflowError, match="no step 'ghost'"):
        workflow.remove_step("ghost")
    smaller = workflow.remove_step("labels")
    assert "labels" not in smaller and smaller.outputs == ("total",)
    assert smaller.remove_step("binary").step_ids == ("blurred", "top", "smooth", "total")


def test_rename_step_follows_references():
    workflow = two_branch_workflow().rename_step("binary", "mask")
    assert "binary" not in workflow and workflow.step("labels").inputs == {"binary": "mask"}
    with pytest.raises(WorkflowError, match="duplicate id 'top'"):
        workflow.rename_step("mask", "top")


def test_inputs_can_be_added_and_removed_when_unused():
    workflow = labeling_workflow().add_input("extra")
    assert workflow.inputs == ("nuclei", "extra")
    assert workflow.remove_input("extra") == labeling_workflow()
    with pytest.raises(WorkflowError, match="input 'nuclei' cannot be removed: 'blurred'"):
        workflow.remove_input("nuclei")
    with pytest.raises(WorkflowError, match="no input 'ghost'"):
        workflow.remove_input("ghost")


# --- validation -------------------------------------------------------------------------


def one_step(op="gaussian_blur", inputs=None, params=None, step_id="s", names=("x",)):
    return Workflow(names, (Step(step_id, op, {"image": "x"} if inputs is None else inputs,
                                 params or {}),))


@pytest.mark.parametrize(("build", "message"), [
    (lambda: one_step(op="gausian_blur"),
     r"step 's': unknown operation 'gausian_blur'; did you mean gaussian_blur"),
    (lambda: one_step(params={"sigma": 2}),
     r"step 's': gaussian_blur has no parameter 'sigma' \(its parameters: sigma_x"),
    (lambda: one_step(inputs={"image": "x", "mask": "x"}),
     r"step 's': gaussian_blur has no parameter 'mask'"),
    (lambda: one_step(inputs={"image": "x", "sigma_x": "x"}),
     r"'sigma_x' of gaussian_blur is a value, not an image: put it under params"),
    (lambda: one_step(params={"image": 1.0}),
     r"'image' of gaussian_blur is an image: put it under inputs"),
    (lambda: one_step(inputs={}), r"step 's': gaussian_blur needs an image for 'image'"),
    (lambda: one_step(op="add_images", inputs={"image1": "x"}),
     r"add_images needs an image for 'image2'"),
    (lambda: one_step(inputs={"image": "nowhere"}),
     r"input 'image' refers to 'nowhere', which is neither an input of the workflow nor"),
    (lambda: one_step(params={"sigma_x": -1}),
     r"step 's': gaussian_blur: parameter 'sigma_x' must be between 0.0 and 1000.0, got -1"),
    (lambda: one_step(params={"sigma_x": "wide"}),
     r"gaussian_blur: parameter 'sigma_x' must be a number, got 'wide'"),
    (lambda: one_step(params={"sigma_x": [1, 2]}),
     r"parameter 'sigma_x' must be a number, text, true/false or null, got list"),
    (lambda: one_step(op="connected_components_labeling", inputs={"binary": "x"},
                      params={"connectivity": "star"}),
     r"parameter 'connectivity' must be one of 'box', 'diamond', got 'star'"),
    (lambda: one_step(op="top_hat_box", params={"radius_x": 1.5}),
     r"top_hat_box: parameter 'radius_x' must be a whole number"),
    (lambda: one_step(step_id="class"), r"step id 'class' is not a valid name"),
    (lambda: one_step(step_id="2nd"), r"step id '2nd' is not a valid name"),
    (lambda: one_step(step_id="oclip"), r"step id 'oclip' is reserved"),
    (lambda: one_step(names=("my image",)), r"input 'my image' is not a valid name"),
    (lambda: one_step(step_id="x"), r"duplicate id 'x': an input has this name"),
    (lambda: Workflow(("x", "x")), r"input 'x' is declared twice"),
    (lambda: Workflow("x"), r"inputs must be a list of names, got 'x'"),
    (lambda: Workflow(("x",), (Step("a", "gaussian_blur", {"image": "x"}),
                               Step("a", "mean_box", {"image": "x"}))),
     r"duplicate id 'a': another step has this name"),
    (lambda: Workflow(("x",), (Step("a", "gaussian_blur", {"image": "b"}),
                               Step("b", "gaussian_blur", {"image": "a"}))),
     r"cycle: (a → b → a|b → a → b)"),
    (lambda: Workflow(("x",), (Step("a", "gaussian_blur", {"image": "a"}),)),
     r"cycle: a → a"),
    (lambda: Workflow(("x",), (Step("a", "gaussian_blur", {"image": "x"}),), ("b",)),
     r"output 'b' is not a step of the workflow"),
    (lambda: Workflow(("x",), (Step("a", "gaussian_blur", {"image": "x"}),), ("a", "a")),
     r"output 'a' is declared twice"),
    (lambda: Workflow(("x",), (Step("a", "gaussian_blur", {"image": "x"}),), ("x",)),
     r"output 'x' is not a step"),
])
def test_invalid_workflows_are_refused_with_a_message_naming_the_problem(build, message):
    with pytest.raises(WorkflowError, match=message):
        build()


def test_a_longer_cycle_is_named_in_reading_order():
    steps = (Step("a", "gaussian_blur", {"image": "c"}), Step("b", "gaussian_blur", {"image": "a"}),
             Step("c", "gaussian_blur", {"image": "b"}), Step("d", "gaussian_blur", {"image": "x"}))
    with pytest.raises(WorkflowError) as caught:
        Workflow(("x",), steps)
    text = str(caught.value).split(" (")[0].removeprefix("cycle: ")
    names = text.split(" → ")
    assert len(names) == 4 and names[0] == names[-1] and set(names) == {"a", "b", "c"}
    for reader, source in zip(names[1:], names[:-1], strict=True):
        assert next(s for s in steps if s.id == reader).inputs["image"] == source
    assert caught.value.step == "a"


def test_errors_name_the_step_position_and_field():
    with pytest.raises(WorkflowError) as caught:
        Workflow(("x",), (Step("a", "gaussian_blur", {"image": "x"}),
                          Step("b", "gaussian_blur", {"image": "x"}, {"sigma_q": 1})))
    assert (caught.value.step, caught.value.index, caught.value.field) == ("b", 1, "params")


def test_a_table_fed_where_an_image_is_expected_is_refused(table_op):
    base = labeling_workflow().add_step(table_op, {"labels": "labels"}, id="areas")
    assert base.step("areas").op == table_op
    with pytest.raises(WorkflowError,
                       match=f"'image' takes an image, but step 'areas' \\({table_op}\\) "
                             f"gives a table"):
        base.add_step("gaussian_blur", {"image": "areas"})


def test_steps_may_be_given_as_mappings():
    workflow = Workflow(("x",), ({"id": "s", "op": "gaussian_blur", "inputs": {"image": "x"}},))
    assert workflow == one_step()


def test_numpy_scalars_from_widgets_are_plain_values():
    workflow = one_step(params={"sigma_x": np.float64(2.5), "sigma_y": np.int64(1)})
    params = workflow.step("s").params
    assert params["sigma_x"] == 2.5 and type(params["sigma_x"]) is float
    assert type(params["sigma_y"]) is float


def test_text_subclasses_and_decimals_are_stored_as_plain_values():
    """What the API takes, a step takes, stored in the type a file writes."""
    labels = Workflow(("x",), (Step("b", "threshold_otsu", {"image": "x"}),
                               Step("l", "connected_components_labeling", {"binary": "b"},
                                    {"connectivity": np.str_("diamond")})))
    connectivity = labels.step("l").params["connectivity"]
    assert connectivity == "diamond" and type(connectivity) is str
    workflow = one_step(params={"sigma_x": Decimal("2.5")})
    assert workflow == one_step(params={"sigma_x": 2.5})
    assert type(workflow.step("s").params["sigma_x"]) is float
    with pytest.raises(WorkflowError, match="parameter 'sigma_y' must be a number, got NaN"):
        one_step(params={"sigma_y": Decimal("NaN")})


@pytest.mark.parametrize(("name", "message"), [
    ("\ufb01ne", "step id 'ﬁne' is not a valid name: Python reads it as 'fine' (its Unicode "
                 "NFKC form), so in an exported script it would be that name; write 'fine'"),
    ("e\u0301", "step id 'e\u0301' is not a valid name: Python reads it as '\u00e9'"),
    ("\uff4f\uff43\uff4c\uff49\uff50", "Python reads it as 'oclip' (its Unicode NFKC form), "
                                       "so in an exported script it would be that name; use "
                                       "another name"),
    ("\uff49\uff46", "Python reads it as 'if' (its Unicode NFKC form), so in an exported "
                     "script it would be that name; use another name"),
    ("\u00b5m", "Python reads it as '\u03bcm'"),  # the micro sign: a Greek mu
])
def test_names_python_reads_as_another_name_are_refused(name, message):
    with pytest.raises(WorkflowError, match=re.escape(message)):
        Workflow(("x",), (Step(name, "gaussian_blur", {"image": "x"}),))
    with pytest.raises(WorkflowError, match=re.escape(message.replace("step id", "input"))):
        Workflow((name,))
    with pytest.raises(WorkflowError, match="Python reads it as"):
        one_step().rename_step("s", name)


def test_a_ligature_and_its_letters_are_never_two_ids():
    """The two would be one variable in an exported script, which then returned one
    step's array for both."""
    with pytest.raises(WorkflowError, match="step id 'ﬁne' is not a valid name"):
        Workflow(("x",), (Step("fine", "gaussian_blur", {"image": "x"}),
                          Step("\ufb01ne", "mean_box", {"image": "x"})), ("fine", "\ufb01ne"))
    with pytest.raises(WorkflowError, match="input 'ﬁne' is not a valid name"):
        Workflow(("\ufb01ne",), (Step("fine", "gaussian_blur", {"image": "\ufb01ne"}),))


#: Characters whose NFKC form differs (ligatures, full-width, super- and subscripts,
#: decomposed accents, compatibility letters) and ordinary ones.
TRICKY = "\ufb01\ufb02\uff41\uff3a\u00b2\u2082\u0301\u0308\u212b\u2160\u00b5\u017f" \
         "\u1e9b\u00e9\u00df\u0131_aZ9"


@settings(derandomize=True, max_examples=300, deadline=None)
@given(name=st.text(alphabet=TRICKY, min_size=1, max_size=4))
def test_every_accepted_name_is_the_name_python_reads(name):
    try:
        Workflow((name,))
    except WorkflowError:
        return
    (assignment,) = ast.parse(f"{name} = 1").body
    assert assignment.targets[0].id == name


# --- plain data -------------------------------------------------------------------------


def test_to_dict_and_from_dict_round_trip():
    workflow = two_branch_workflow()
    data = workflow.to_dict()
    assert data["oclip_workflow"] == SCHEMA_VERSION
    assert [s["id"] for s in data["steps"]] == list(workflow.step_ids)
    assert Workflow.from_dict(data) == workflow


@pytest.mark.parametrize(("data", "message"), [
    ({"inputs": []}, "this is not an oclip workflow: 'oclip_workflow: 1'"),
    ({"oclip_workflow": 2}, "format version 2, newer than this oclip reads"),
    ({"oclip_workflow": "one"}, "oclip_workflow must be a version number"),
    ({"oclip_workflow": 1, "name": "x"}, "unknown key\\(s\\) 'name'"),
    ({"oclip_workflow": 1, "steps": {"id": "a"}}, "steps must be a list of steps"),
    ({"oclip_workflow": 1, "steps": ["a"]}, "steps\\[0\\] must be a mapping"),
    ({"oclip_workflow": 1, "steps": [{"id": "a"}]}, "step 'a': 'op' is missing"),
    ({"oclip_workflow": 1, "steps": [{"id": "a", "op": "gaussian_blur", "param": {}}]},
     "step 'a': unknown key\\(s\\) 'param'"),
    ({"oclip_workflow": 1, "steps": [{"id": "a", "op": "gaussian_blur", "inputs": ["x"]}]},
     "step 'a': inputs must be a mapping"),
    ({"oclip_workflow": 1, "inputs": "x"}, "inputs must be a list of names"),
    ([1, 2], "a workflow must be a mapping"),
])
def test_from_dict_refuses_malformed_data(data, message):
    with pytest.raises(WorkflowError, match=message):
        Workflow.from_dict(data)
