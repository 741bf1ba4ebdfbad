"""Workflow files: the format, round trips, and hostile or broken files refused by line."""

from __future__ import annotations

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
from oclip.workflow._files import _loader_class

from ._support import labeling_workflow

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


def refusal(name: str) -> str:
    with pytest.raises(WorkflowFileError) as caught:
        load(FILES / name)
    message = str(caught.value)
    assert message.startswith(str(FILES / name))
    return message


#: Each file of files/ but valid.yaml, and what its refusal says.
REFUSED = [
    ("python_object.yaml",
     "line 7: the tag !!python/object/apply:builtins.exec is not allowed (Python objects are "
     "never created from a workflow file)"),
    ("python_name.yaml", "line 5: the tag !!python/name:os.system is not allowed"),
    ("unknown_op.yaml",
     "line 9: step 'sharpened': unknown operation 'unsharp_mask_of_doom'"),
    ("unknown_param.yaml",
     "line 7: step 'blurred': gaussian_blur has no parameter 'sigma' (its parameters: "
     "sigma_x, sigma_y, sigma_z)"),
    ("bad_value.yaml",
     "line 7: step 'blurred': gaussian_blur: parameter 'sigma_x' must be between 0.0 and "
     "1000.0, got -2"),
    ("missing_input.yaml",
     "line 9: step 'summed': input 'image2' refers to 'membranes', which is neither an input "
     "of the workflow nor a step"),
    ("missing_image.yaml",
     "line 6: step 'summed': add_images needs an image for 'image2' (missing under inputs)"),
    ("value_as_input.yaml",
     "line 6: step 'blurred': 'sigma_x' of gaussian_blur is a value, not an image"),
    ("cycle.yaml", "line 6: cycle: first → second → first (a step cannot read its own result)"),
    ("newer_version.yaml",
     "line 1: this workflow file has format version 2, newer than this oclip reads "
     "(version 1); update oclip"),
    ("duplicate_id.yaml", "line 7: duplicate id 'blurred': another step has this name"),
    ("duplicate_key.yaml",
     "line 7: key 'sigma_x' appears twice in one mapping (first on line 7)"),
    ("billion_laughs.yaml",
     "line 3: anchors (&a) are not allowed in a workflow file; write the values out"),
    ("not_yaml.yaml", "line 3: not valid YAML"),
    ("unknown_key.yaml",
     "line 4: step 'blurred': unknown key(s) 'input'; a step has id, op, inputs and params"),
]


@pytest.mark.parametrize(("name", "expected"), REFUSED)
def test_hostile_and_broken_files_are_refused_naming_line_and_problem(name, expected):
    assert expected in refusal(name)


def test_every_file_of_the_files_folder_is_tested():
    tested = {"valid.yaml"} | {name for name, _ in REFUSED}
    assert {p.name for p in FILES.iterdir()} == tested


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

    from oclip.workflow._io import write_atomically

    written = write_atomically(tmp_path / "out.bin", lambda file: file.write(b"data"))
    plain = tmp_path / "plain.bin"
    plain.write_bytes(b"data")
    assert written.read_bytes() == b"data"
    assert stat.S_IMODE(os.stat(written).st_mode) == stat.S_IMODE(os.stat(plain).st_mode)
