"""Workflow files: the format, round trips, and hostile or broken files refused by line."""

from __future__ import annotations

import functools
import os
import re
import sys
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from oclip.workflow import (
    MAX_BYTES,
    MAX_DEPTH,
    Step,
    Workflow,
    WorkflowFileError,
    dumps,
    load,
    loads,
    save,
)
from oclip.workflow._files import MAX_NUMBER_CHARS, _loader_class

from ..workflow._support import labeling_workflow

FILES = Path(__file__).parent / "files"


def test_the_file_format():
    text = dumps(labeling_workflow(sigma=2))
    assert text == """\
oclip_workflow: 1
inputs: [nuclei]
steps:
  - id: blurred
    op: gaussian_blur
    inputs: {image: nuclei}
    params: {sigma_x: 2.0, sigma_y: 2.0, sigma_z: 0.0}
  - id: binary
    op: threshold_otsu
    inputs: {image: blurred}
    params: {}
  - id: labels
    op: connected_components_labeling
    inputs: {binary: binary}
    params: {connectivity: box}
outputs: [labels]
"""
    assert dumps(Workflow()) == "oclip_workflow: 1\ninputs: []\nsteps: []\noutputs: []\n"


def test_a_hand_written_file_loads():
    workflow = load(FILES / "valid.yaml")
    assert workflow == labeling_workflow(sigma=2).change_step(
        "labels", params={"connectivity": "diamond"})


def test_save_then_load_gives_an_equal_workflow(tmp_path):
    workflows = [
        labeling_workflow(),
        labeling_workflow().with_outputs([]),
        Workflow(),
        Workflow(("a", "b"), (
            Step("on", "add_images", {"image1": "a", "image2": "b"}),
            Step("null", "multiply_image_and_scalar", {"image": "on"}, {"scalar": 1e-7}),
            Step("yes", "multiply_image_and_scalar", {"image": "null"}, {"scalar": -1e30}),
            Step("no", "multiply_image_and_scalar", {"image": "yes"},
                 {"scalar": float("inf")}),
        ), ("no", "null")),
    ]
    for number, workflow in enumerate(workflows):
        path = save(workflow, tmp_path / f"w{number}.yaml")
        assert load(path) == workflow
        assert loads(dumps(workflow)) == workflow
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"w{n}.yaml" for n in range(4)]


@settings(max_examples=30, deadline=None)
@given(sigma=st.floats(0, 1000), scalar=st.floats(allow_nan=False),
       radius=st.integers(0, 1000), connectivity=st.sampled_from(["box", "diamond"]))
def test_round_trip_keeps_every_value(sigma, scalar, radius, connectivity):
    workflow = (Workflow(("image",))
                .add_step("gaussian_blur", {"image": "image"}, {"sigma_y": sigma})
                .add_step("multiply_image_and_scalar", {"image": "gaussian_blur"},
                          {"scalar": scalar})
                .add_step("top_hat_box", {"image": "gaussian_blur"}, {"radius_z": radius})
                .add_step("threshold_otsu", {"image": "top_hat_box"})
                .add_step("connected_components_labeling", {"binary": "threshold_otsu"},
                          {"connectivity": connectivity}))
    assert loads(dumps(workflow)) == workflow


def test_the_loader_is_a_safe_loader():
    assert issubclass(_loader_class(), yaml.SafeLoader)


#: Events of Python's audit hooks that running code from a file would raise.
RUNNING_CODE = ("exec", "os.system", "subprocess.Popen", "os.exec", "os.posix_spawn",
                "os.spawn", "os.fork", "ctypes.dlopen")
#: While a list is here, the audit hook appends the events it sees to it.
_WATCHING: list[list[str]] = []


def _audit(event: str, arguments: tuple) -> None:
    if _WATCHING and event.startswith(RUNNING_CODE):
        _WATCHING[-1].append(event)


@functools.cache
def _install_audit_hook() -> None:
    sys.addaudithook(_audit)  # cannot be removed; idle unless a test watches


@contextmanager
def code_run() -> Iterator[list[str]]:
    """The audit events of code run by the body (exec, processes, libraries loaded)."""
    _install_audit_hook()
    events: list[str] = []
    _WATCHING.append(events)
    try:
        yield events
    finally:
        _WATCHING.remove(events)


#: Each file of files/ but valid.yaml, and what its refusal says.
REFUSED = [
    # code
    ("python_object.yaml",
     "line 7: the tag !!python/object/apply:builtins.exec is not allowed (Python objects are "
     "never created from a workflow file)"),
    ("python_name.yaml", "line 5: the tag !!python/name:os.system is not allowed"),
    ("python_apply.yaml", "line 7: the tag !!python/apply:os.system is not allowed (Python "
                          "objects are never created from a workflow file)"),
    ("python_module.yaml", "line 5: the tag !!python/module:os is not allowed"),
    ("python_new.yaml", "line 7: the tag !!python/object/new:builtins.dict is not allowed"),
    ("tag_directive.yaml",
     "line 9: the tag !!python/object/apply:builtins.exec is not allowed"),
    ("custom_tag.yaml",
     "line 4: the tag !oclip/step is not allowed; a workflow file holds only text, numbers, "
     "true/false, null, lists and mappings"),
    ("binary_tag.yaml", "line 7: the tag !!binary is not allowed"),
    ("bad_bool.yaml", "line 7: 'maybe' is not true or false"),
    # anchors, aliases, merge keys
    ("billion_laughs.yaml",
     "line 3: anchors (&a) are not allowed in a workflow file; write the values out"),
    ("anchor_reuse.yaml", "line 6: anchors (&source) are not allowed in a workflow file"),
    ("merge_alias.yaml", "line 3: anchors (&defaults) are not allowed in a workflow file"),
    ("merge_key.yaml",
     "line 7: the tag !!merge is not allowed (merge keys, <<, are not read: write the keys "
     "out)"),
    # numbers
    ("bad_value.yaml",
     "line 7: step 'blurred': gaussian_blur: parameter 'sigma_x' must be between 0.0 and "
     "1000.0, got -2"),
    ("huge_float.yaml",
     "line 7: step 'blurred': gaussian_blur: parameter 'sigma_x' must be between 0.0 and "
     "1000.0, got inf"),
    ("huge_float_without_point.yaml",
     "line 7: YAML reads 1e999 as text, not as a number: write a number a float can hold"),
    ("huge_integer.yaml",
     "line 7: step 'blurred': gaussian_blur: parameter 'sigma_x' must be a number a float can "
     "hold (up to about 1.8e308), got an integer of 1329 bits"),
    ("long_integer.yaml",
     f"line 7: the number 99999999999999999999... has 5000 characters, more than a workflow "
     f"file's numbers may have ({MAX_NUMBER_CHARS})"),
    ("long_sexagesimal.yaml",
     "line 7: the number 1:1:1:1:1:1:1:1:1:1:... has 4001 characters"),
    ("sexagesimal_overflow.yaml",
     "line 7: YAML reads 1:00:00:00:00:00:00:... as a number in base 60; write the number "
     "itself"),
    # YAML 1.1 readings no writer means: octal, base 60, text for numbers
    ("octal_radius.yaml",
     "line 7: the number 010 has a leading zero: YAML reads it as octal (010 is 8); write 10 "
     "(without the zero)"),
    ("leading_zero_radius.yaml",
     "line 7: the number 08 has a leading zero: YAML reads it as text (it is no octal "
     "number); write 8 (without the zero)"),
    ("sexagesimal_radius.yaml",
     "line 7: YAML reads 1:30 as a number in base 60 (90); write the number itself"),
    ("sexagesimal_float.yaml",
     "line 7: YAML reads 1:30.5 as a number in base 60 (90.5); write the number itself"),
    ("point_without_digit.yaml",
     "line 7: YAML reads -.5 as text, not as a number: write -0.5"),
    ("plain_minus_inf.yaml", "line 7: YAML reads -inf as text, not as a number: write -.inf"),
    ("plain_inf.yaml",
     "line 7: step 'scaled': multiply_image_and_scalar: parameter 'scalar' must be a number, "
     "got 'inf' (text, not a number: write .inf without quotes)"),
    ("quoted_leading_zero.yaml",
     "line 7: step 'background': top_hat_box: parameter 'radius_x' must be an integer, got "
     "'08' (text, not a number: write 8 without quotes)"),
    ("radius_out_of_range.yaml",
     "line 7: step 'background': top_hat_box: parameter 'radius_x' must be between 0 and "
     "1000, got 100000000"),
    ("infinite_sigma.yaml",
     "line 7: step 'blurred': gaussian_blur: parameter 'sigma_x' must be between 0.0 and "
     "1000.0, got inf"),
    ("nan_value.yaml",
     "line 7: step 'scaled': multiply_image_and_scalar: parameter 'scalar' must be a number, "
     "got NaN"),
    # wrong types
    ("list_for_number.yaml",
     "line 7: step 'blurred': parameter 'sigma_x' must be a number, text, true/false or null, "
     "got list [2, 2]"),
    ("mapping_for_number.yaml",
     "line 7: step 'blurred': parameter 'sigma_x' must be a number, text, true/false or null, "
     "got dict {'value': 2}"),
    ("text_for_number.yaml",
     "line 7: step 'blurred': gaussian_blur: parameter 'sigma_x' must be a number, got '2' "
     "(text, not a number: write 2 without quotes)"),
    ("bool_for_float.yaml",
     "line 7: step 'blurred': gaussian_blur: parameter 'sigma_x' must be a number, got True"),
    ("mapping_for_steps.yaml",
     "line 3: steps must be a list of steps, got {'id': 'blurred', 'inputs': {'image': "
     "'nuclei'}, 'op': 'gaussian_blur'}"),
    ("text_for_step.yaml",
     "line 4: steps[0] must be a mapping with id, op, inputs and params, got 'blurred'"),
    ("text_for_params.yaml",
     "line 7: step 'blurred': params must be a mapping (name: value), got 'sigma_x=2'"),
    ("number_for_op.yaml", "line 5: step 'blurred': op must be an operation name, got 42"),
    ("null_op.yaml", "line 5: step 'blurred': op must be an operation name, got None"),
    ("number_for_input_name.yaml", "line 2: input must be a name (text), got 1"),
    ("list_for_input.yaml",
     "line 6: step 'blurred': input 'image' refers to ['nuclei'], which is neither an input "
     "of the workflow nor a step"),
    ("text_version.yaml",
     "line 1: oclip_workflow must be a version number (1, 2, ...), got '1'"),
    ("list_at_top.yaml",
     "a workflow must be a mapping with the keys oclip_workflow, inputs, steps and outputs; "
     "got list"),
    ("not_a_workflow.yaml",
     "this is not an oclip workflow: 'oclip_workflow: 1' (the format version) is missing"),
    # nesting
    ("deep_lists.yaml", f"line 3: lists or mappings nested more than {MAX_DEPTH} deep"),
    ("deep_mappings.yaml", f"line 3: lists or mappings nested more than {MAX_DEPTH} deep"),
    ("deep_block.yaml", f"line 4: lists or mappings nested more than {MAX_DEPTH} deep"),
    # the graph and its names
    ("unknown_op.yaml",
     "line 9: step 'sharpened': unknown operation 'unsharp_mask_of_doom'"),
    ("unknown_param.yaml",
     "line 7: step 'blurred': gaussian_blur has no parameter 'sigma' (its parameters: "
     "sigma_x, sigma_y, sigma_z)"),
    ("missing_input.yaml",
     "line 9: step 'summed': input 'image2' refers to 'membranes', which is neither an input "
     "of the workflow nor a step"),
    ("missing_image.yaml",
     "line 6: step 'summed': add_images needs an image for 'image2' (missing under inputs)"),
    ("value_as_input.yaml",
     "line 6: step 'blurred': 'sigma_x' of gaussian_blur is a value, not an image"),
    ("cycle.yaml", "line 6: cycle: first → second → first (a step cannot read its own result)"),
    ("self_input.yaml",
     "line 6: cycle: blurred → blurred (a step cannot read its own result)"),
    ("newer_version.yaml",
     "line 1: this workflow file has format version 2, newer than this oclip reads "
     "(version 1); update oclip"),
    ("duplicate_id.yaml", "line 7: duplicate id 'blurred': another step has this name"),
    ("ligature_id.yaml",
     "line 8: step id 'ﬁne' is not a valid name: Python reads it as 'fine' (its Unicode NFKC "
     "form), so in an exported script it would be that name"),
    ("duplicate_key.yaml",
     "line 7: key 'sigma_x' appears twice in one mapping (first on line 7)"),
    ("unknown_key.yaml",
     "line 4: step 'blurred': unknown key(s) 'input'; a step has id, op, inputs and params"),
    # broken text
    ("not_yaml.yaml", "line 3: not valid YAML"),
    ("two_documents.yaml",
     "line 3: not valid YAML: expected a single document in the stream but found another "
     "document"),
    ("empty.yaml", "the file is empty, not a workflow"),
    ("comments_only.yaml", "the file is empty, not a workflow"),
    ("truncated_in_flow.yaml",
     "line 7: not valid YAML: while parsing a flow mapping expected ',' or '}', but got "
     "'<stream end>'"),
    ("truncated_in_step.yaml",
     "line 9: step 'binary': unknown operation 'threshold_o'; did you mean threshold_otsu"),
    ("truncated_after_key.yaml",
     "line 12: step 'labels': op must be an operation name, got None"),
    ("binary_garbage.yaml", "not UTF-8 text (byte 0): not a workflow file"),
    ("utf16.yaml", "not UTF-8 text (byte 0): not a workflow file"),
    ("control_characters.yaml",
     "line 9: not valid YAML: the control character #x0000 is not allowed (is this a text "
     "file?)"),
]
#: Files whose loading could blow up memory if the loader expanded or recursed.
EXPANSIVE = ["billion_laughs.yaml", "anchor_reuse.yaml", "merge_alias.yaml", "deep_lists.yaml",
             "deep_mappings.yaml", "deep_block.yaml", "long_integer.yaml",
             "long_sexagesimal.yaml"]
#: Most memory loading one of them may take (Python allocations, traced).
EXPANSIVE_PEAK = 4 << 20


def refused(path: Path) -> WorkflowFileError:
    """The refusal of loading ``path``, checked to run no code and to name the file."""
    with code_run() as events, pytest.raises(WorkflowFileError) as caught:
        load(path)
    assert events == []
    assert type(caught.value) is WorkflowFileError
    assert str(caught.value).startswith(f"{path}")
    return caught.value


def refusal(name: str) -> str:
    return str(refused(FILES / name))


@pytest.mark.parametrize(("name", "expected"), REFUSED)
def test_hostile_and_broken_files_are_refused_naming_line_and_problem(name, expected,
                                                                      tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where the payloads of python_object.yaml would write
    message = refusal(name)
    assert expected in message
    assert len(message) < 400 + len(str(FILES / name))
    assert list(tmp_path.iterdir()) == []


def test_every_file_of_the_files_folder_is_tested():
    tested = {"valid.yaml"} | {name for name, _ in REFUSED}
    assert {p.name for p in FILES.iterdir()} == tested
    assert len(REFUSED) == len({name for name, _ in REFUSED})


@pytest.mark.parametrize("name", ["python_object.yaml", "tag_directive.yaml"])
def test_the_code_payloads_are_live_and_never_run(name, tmp_path, monkeypatch):
    # an unsafe loader runs them: the sentinel file appears and exec is audited ...
    monkeypatch.chdir(tmp_path)
    with code_run() as events:
        yaml.load((FILES / name).read_text(), Loader=yaml.UnsafeLoader)
    assert "exec" in events and (tmp_path / "HOSTILE_FILE_RAN").exists()
    (tmp_path / "HOSTILE_FILE_RAN").unlink()
    # ... the workflow loader does not
    refused(FILES / name)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", EXPANSIVE)
def test_hostile_files_are_refused_in_bounded_memory(name):
    text = (FILES / name).read_text()
    loads(dumps(labeling_workflow()))  # imports and caches outside the measurement
    tracemalloc.start()
    try:
        with pytest.raises(WorkflowFileError):
            loads(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < EXPANSIVE_PEAK


def test_the_largest_file_nested_deepest_is_refused_in_bounded_memory():
    head = "oclip_workflow: 1\ninputs: "
    half = (MAX_BYTES - len(head)) // 2
    text = head + "[" * half + "]" * half
    assert len(text) <= MAX_BYTES
    tracemalloc.start()
    try:
        with pytest.raises(WorkflowFileError, match="nested more than"):
            loads(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < EXPANSIVE_PEAK


def test_a_file_longer_than_its_size_is_read_only_up_to_the_limit(tmp_path, monkeypatch):
    # special files (/dev/zero, /proc/...) and files still being written are longer than
    # stat says; here stat says 0 bytes for a file of 3 MiB
    path = tmp_path / "growing.yaml"
    path.write_text("oclip_workflow: 1\n#" + "x" * (3 * MAX_BYTES) + "\n")
    real_stat = Path.stat

    def stat(self, **options):
        result = real_stat(self, **options)
        if self == path:
            result = os.stat_result((*result[:6], 0, *result[7:]))
        return result

    monkeypatch.setattr(Path, "stat", stat)
    assert path.stat().st_size == 0
    tracemalloc.start()
    try:
        error = refused(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert f"the file has more than {MAX_BYTES} bytes" in str(error)
    assert peak < 1.5 * MAX_BYTES


def test_every_cut_of_a_file_is_refused():
    text = (FILES / "valid.yaml").read_text()
    assert text.endswith("outputs: [labels]\n")
    whole = load(FILES / "valid.yaml")
    for end in range(len(text) - 1):  # all but the last newline
        with pytest.raises(WorkflowFileError):
            loads(text[:end])
    assert loads(text[:-1]) == whole
    # cut at the end of a line, the steps before make a valid workflow: the missing
    # outputs tell
    cut = text[:text.index("outputs:")]
    with pytest.raises(WorkflowFileError, match=f"line {cut.count(chr(10)) + 1}: 'outputs' is "
                                                f"missing or empty: was the file cut short"):
        loads(cut)  # the line after the last
    line = cut.count("\n") + 1
    with pytest.raises(WorkflowFileError, match=f"line {line}: 'outputs' is missing or empty"):
        loads(cut + "outputs:\n")


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_damaged_files_load_or_are_refused_never_another_error(data):
    text = (FILES / "valid.yaml").read_text()
    position = data.draw(st.integers(0, len(text)))
    damage = data.draw(st.sampled_from(["insert", "replace", "delete"]))
    piece = data.draw(st.text(max_size=8))
    end = position + (0 if damage == "insert" else data.draw(st.integers(1, 8)))
    damaged = text[:position] + ("" if damage == "delete" else piece) + text[end:]
    message = ""
    with code_run() as events:
        try:
            loads(damaged)
        except WorkflowFileError as error:
            message = str(error)
    assert events == [] and len(message) < 400


def test_huge_values_give_short_messages():
    many = "[" + ", ".join(["1"] * 20_000) + "]"
    texts = {
        "steps as a mapping": f"oclip_workflow: 1\ninputs: [n]\nsteps: {{a: {many}}}\n",
        "a list parameter": ("oclip_workflow: 1\ninputs: [n]\nsteps:\n  - id: a\n"
                             f"    op: gaussian_blur\n    inputs: {{image: n}}\n"
                             f"    params: {{sigma_x: {many}}}\noutputs: [a]\n"),
        "a long operation name": ("oclip_workflow: 1\ninputs: [n]\nsteps:\n  - id: a\n"
                                  f"    op: {'x' * 100_000}\n    inputs: {{image: n}}\n"),
        "a long invalid name": f"oclip_workflow: 1\ninputs: [{'a-' * 50_000}]\n",
        "a long version": f"oclip_workflow: {'v' * 100_000}\n",
    }
    for what, text in texts.items():
        with pytest.raises(WorkflowFileError) as caught:
            loads(text)
        assert len(str(caught.value)) < 300, what


def test_a_long_cycle_is_named_by_its_ends():
    count = 2000
    steps = "".join(f"  - id: s{i}\n    op: gaussian_blur\n"
                    f"    inputs: {{image: s{(i + 1) % count}}}\n" for i in range(count))
    with pytest.raises(WorkflowFileError) as caught:
        loads(f"oclip_workflow: 1\ninputs: [n]\nsteps:\n{steps}outputs: []\n")
    assert ("line 6: cycle: s0 → s1999 → s1998 → s1997 → ... → s2 → s1 → s0 (2000 steps; a "
            "step cannot read its own result)") in str(caught.value)


@pytest.mark.parametrize(("text", "expected"), [
    ("oclip_workflow: !!int abc\n", "line 1: 'abc' is not an integer"),
    ("oclip_workflow: !!int 0x\n", "line 1: '0x' is not an integer"),
    ("oclip_workflow: !!int\n", "line 1: '' is not an integer"),
    ("oclip_workflow: !!float ''\n", "line 1: '' is not a number"),
    ("oclip_workflow: !!map [1]\n", "line 1: not valid YAML: expected a mapping node"),
    ("oclip_workflow: !!map x\n", "line 1: not valid YAML: expected a mapping node"),
    ("oclip_workflow: 1\ninputs: [a]\n\x07\n", "line 3: not valid YAML: the control character "
                                               "#x0007 is not allowed"),
    (f"oclip_workflow: {'1' * (MAX_NUMBER_CHARS + 1)}\n",
     f"has {MAX_NUMBER_CHARS + 1} characters"),
    (f"oclip_workflow: 0x{'f' * MAX_NUMBER_CHARS}\n",
     f"has {MAX_NUMBER_CHARS + 2} characters"),
])
def test_malformed_scalars_are_refused(text, expected):
    with pytest.raises(WorkflowFileError) as caught:
        loads(text, source="w.yaml")
    assert type(caught.value) is WorkflowFileError and expected in str(caught.value)


def one_parameter(op: str, name: str, value: str) -> str:
    return (f"oclip_workflow: 1\ninputs: [n]\nsteps:\n  - id: a\n    op: {op}\n"
            f"    inputs: {{image: n}}\n    params: {{{name}: {value}}}\noutputs: [a]\n")


@pytest.mark.parametrize(("value", "expected"), [
    ("-007", "line 7: the number -007 has a leading zero: YAML reads it as octal (-007 is "
             "-7); write -7"),
    ("0_10", "the number 0_10 has a leading zero: YAML reads it as octal (0_10 is 8); "
             "write 10"),
    ("019", "the number 019 has a leading zero: YAML reads it as text"),
    ("!!int 010", "the number 010 has a leading zero: YAML reads it as octal"),
    ("!!int 08", "the number 08 has a leading zero"),
    ("-1:30", "YAML reads -1:30 as a number in base 60 (-90); write the number itself"),
    ("1:00:00", "YAML reads 1:00:00 as a number in base 60 (3600)"),
])
def test_yaml_1_1_integers_no_writer_means_are_refused(value, expected):
    with pytest.raises(WorkflowFileError, match=re.escape(expected)):
        loads(one_parameter("mean_box", "radius_x", value))


@pytest.mark.parametrize(("value", "expected"), [
    ("1e5", "100000"), ("15e-8", "1.5e-07"), ("1.5e7", "15000000"), ("1E-7", "1.0e-07"),
    ("+.5", "0.5"), ("-Infinity", "-.inf"), ("+nan", ".nan"),
])
def test_unquoted_text_python_reads_as_a_number_is_refused(value, expected):
    says = f"line 7: YAML reads {value} as text, not as a number: write {expected}"
    with pytest.raises(WorkflowFileError, match=re.escape(says) + "$"):
        loads(one_parameter("multiply_image_and_scalar", "scalar", value))


@pytest.mark.parametrize(("value", "read"), [
    ("0", 0), ("0x10", 16), ("0b11", 3), ("1_000", 1000), ("010.5", 10.5), ("0.5", 0.5),
    ("1.0e+5", 1e5), ("-.inf", float("-inf")), ("+12", 12),
])
def test_numbers_yaml_1_1_and_1_2_read_alike_load(value, read):
    workflow = loads(one_parameter("multiply_image_and_scalar", "scalar", value))
    assert workflow.step("a").params["scalar"] == read


def test_names_python_reads_as_numbers_stay_names():
    workflow = Workflow(("inf", "nan", "Infinity"), (
        Step("a", "add_images", {"image1": "inf", "image2": "nan"}),
        Step("b", "add_images", {"image1": "a", "image2": "Infinity"})))
    assert "inputs: [inf, nan, Infinity]" in dumps(workflow)
    assert loads(dumps(workflow)) == workflow


def test_numbers_up_to_the_limit_are_read():
    number = "1" + "0" * (MAX_NUMBER_CHARS - 3) + ".5"  # 10**997 + 0.5: a float's inf
    with pytest.raises(WorkflowFileError, match="got inf"):
        loads(f"oclip_workflow: 1\ninputs: [n]\nsteps:\n  - id: a\n    op: gaussian_blur\n"
              f"    inputs: {{image: n}}\n    params: {{sigma_x: {number}}}\noutputs: []\n")
    workflow = loads("oclip_workflow: 1\ninputs: [n]\nsteps:\n  - id: a\n"
                     "    op: multiply_image_and_scalar\n    inputs: {image: n}\n"
                     f"    params: {{scalar: 0.{'0' * (MAX_NUMBER_CHARS - 3)}1}}\noutputs: []\n")
    assert workflow.step("a").params["scalar"] == 1e-998 == 0.0


def test_a_refusal_carries_the_line_and_the_step():
    with pytest.raises(WorkflowFileError) as caught:
        load(FILES / "unknown_op.yaml")
    assert caught.value.line == 9 and caught.value.step == "sharpened"
    assert isinstance(caught.value, ValueError)


def test_aliases_without_anchors_and_merge_keys_are_refused():
    # an alias to an anchor is refused at the alias when anchors are fine elsewhere;
    # here the alias comes first in the stream
    with pytest.raises(WorkflowFileError, match=r"line 2: aliases \(\*x\) are not allowed"):
        loads("oclip_workflow: 1\ninputs: *x\n")
    with pytest.raises(WorkflowFileError, match="line 2: the tag !!merge is not allowed"):
        loads("oclip_workflow: 1\n<<: {inputs: [a]}\n")


def test_deep_nesting_is_refused_before_it_is_read():
    deep = "oclip_workflow: 1\ninputs: " + "[" * 100_000 + "]" * 100_000 + "\n"
    with pytest.raises(WorkflowFileError,
                       match=f"line 2: lists or mappings nested more than {MAX_DEPTH} deep"):
        loads(deep)


def test_huge_files_are_refused_before_they_are_read(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text("oclip_workflow: 1\n# " + "x" * MAX_BYTES + "\n")
    with pytest.raises(WorkflowFileError, match=f"more than a workflow file may hold "
                                                f"\\({MAX_BYTES}\\)"):
        load(path)
    with pytest.raises(WorkflowFileError, match="more than a workflow file may hold"):
        loads("#" * (MAX_BYTES + 1))


def test_many_values_are_refused():
    many = "oclip_workflow: 1\ninputs: [" + ", ".join(["a"] * 100_001) + "]\n"
    with pytest.raises(WorkflowFileError, match="more than 100000 values"):
        loads(many)


@pytest.mark.parametrize(("text", "expected"), [
    ("", "the file is empty"),
    ("- 1\n- 2\n", "a workflow must be a mapping"),
    ("oclip_workflow: 1\n---\noclip_workflow: 1\n", "not valid YAML"),
    ("oclip_workflow: 1\ninputs: [2024-01-01]\n", "line 2: the tag !!timestamp is not allowed"),
    ("oclip_workflow: 1\ninputs: !!binary aGVsbG8=\n", "line 2: the tag !!binary is not allowed"),
    ("oclip_workflow: 1\ninputs: [a]\n? [x]\n: 1\n", "line 3: a mapping key must be a name"),
    ("oclip_workflow: 1\ninputs: [a]\noutputs: [b]\n",
     "line 3: output 'b' is not a step of the workflow"),
    ("oclip_workflow: 1\ninputs: [a]\nsteps:\n  - id: yes\n    op: gaussian_blur\n",
     "line 4: step id must be a name (text), got True; in a file, write it in quotes"),
])
def test_other_malformed_texts_are_refused(text, expected):
    with pytest.raises(WorkflowFileError) as caught:
        loads(text, source="w.yaml")
    assert str(caught.value).startswith("w.yaml") and expected in str(caught.value)


def test_unreadable_files_are_refused(tmp_path):
    with pytest.raises(WorkflowFileError, match="cannot read it"):
        load(tmp_path / "missing.yaml")
    binary = tmp_path / "image.yaml"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(WorkflowFileError, match="not UTF-8 text"):
        load(binary)


def test_save_is_atomic_and_keeps_the_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "w.yaml"
    save(labeling_workflow(), path)
    from oclip.workflow import _files

    def broken(workflow):
        raise RuntimeError("disk full")

    monkeypatch.setattr(_files, "dumps", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        save(labeling_workflow(sigma=3), path)
    assert load(path) == labeling_workflow()
    assert [p.name for p in tmp_path.iterdir()] == ["w.yaml"]


def test_atomic_writes_get_the_mode_a_plain_open_gives(tmp_path):
    import os
    import stat

    from oclip._io import write_atomically

    written = write_atomically(tmp_path / "out.bin", lambda file: file.write(b"data"))
    plain = tmp_path / "plain.bin"
    plain.write_bytes(b"data")
    assert written.read_bytes() == b"data"
    assert stat.S_IMODE(os.stat(written).st_mode) == stat.S_IMODE(os.stat(plain).st_mode)
