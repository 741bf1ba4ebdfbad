"""Export: a script that gives exactly the replay's arrays (run as a command, without napari
or Qt, and imported as a module), and a notebook of one cell per step."""

from __future__ import annotations

import ast
import csv
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile

import oclip
from oclip.workflow import Step, Workflow, to_notebook, to_python

from ._support import TABLE_OP, blobs, labeling_workflow

ROOT = Path(__file__).resolve().parents[2]
SOURCE = Path(oclip.__file__).resolve().parents[1]
#: Importing any of these in a subprocess fails: exports must not need them.
NO_GUI = ("napari", "qtpy", "PyQt5", "PyQt6", "PySide2", "PySide6", "magicgui", "vispy")


def with_source_on_path() -> dict[str, str]:
    """The environment with this checkout's src first on PYTHONPATH (kept, not replaced)."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(SOURCE), os.environ.get("PYTHONPATH", "")]))


def python(code: str, *arguments: str, cwd: Path | None = None
           ) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter that finds this oclip and cannot import napari/Qt."""
    blocker = f"import sys; sys.modules.update(dict.fromkeys({NO_GUI!r}));\n"
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(SOURCE), str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-c", blocker + code, *arguments], cwd=cwd,
                          env=environment, capture_output=True, text=True, timeout=300)


def run_script(script: Path, *arguments: str, register_table: bool = False
               ) -> subprocess.CompletedProcess:
    prelude = ("from tests.workflow._support import register_table_operation\n"
               "register_table_operation()\n" if register_table else "")
    done = python(f"{prelude}import runpy; sys.argv[0] = {str(script)!r}\n"
                  f"runpy.run_path({str(script)!r}, run_name='__main__')", *arguments)
    assert done.returncode == 0, done.stderr
    return done


def branching_workflow() -> Workflow:
    return Workflow(
        ("nuclei", "background"),
        (Step("blurred", "gaussian_blur", {"image": "nuclei"}, {"sigma_x": 1.5, "sigma_y": 1}),
         Step("flat", "mean_box", {"image": "background"}, {"radius_x": 3, "radius_y": 3}),
         Step("combined", "add_images", {"image1": "blurred", "image2": "flat"}),
         Step("binary", "threshold_otsu", {"image": "combined"}),
         Step("labels", "connected_components_labeling", {"binary": "binary"},
              {"connectivity": "diamond"})),
        ("labels", "combined"))


def test_the_script_is_readable_python():
    script = to_python(labeling_workflow(sigma=2))
    tree = ast.parse(script)
    assert "import oclip" in script
    assert "    nuclei = oclip.push(nuclei)\n" in script
    assert ("    blurred = oclip.gaussian_blur(image=nuclei, sigma_x=2.0, sigma_y=2.0, "
            "sigma_z=0.0)\n") in script
    assert "    binary = oclip.threshold_otsu(image=blurred)\n" in script
    assert ('    labels = oclip.connected_components_labeling(binary=binary, '
            'connectivity="box")\n') in script
    assert '        "labels": oclip.pull(labels),\n' in script
    assert "    # Blur an image with a Gaussian kernel.\n" in script
    functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert {"run_workflow", "main"} <= functions
    assert all(len(line) <= 99 for line in script.splitlines())
    assert not any(name in script for name in ("napari", "Qt", "yaml"))


def test_long_calls_are_wrapped_and_special_values_are_python():
    workflow = (Workflow(("image",))
                .add_step("multiply_image_and_scalar", {"image": "image"},
                          {"scalar": float("-inf")},
                          id="a_rather_long_and_descriptive_name_for_a_scaled_image_step")
                .add_step("gaussian_blur",
                          {"image": "a_rather_long_and_descriptive_name_for_a_scaled_image_step"},
                          {"sigma_x": 1e-7}, id="smoothed_image_with_a_long_name"))
    script = to_python(workflow)
    assert all(len(line) <= 99 for line in script.splitlines())
    assert 'scalar=float("-inf"),' in script and "sigma_x=1e-07," in script
    namespace: dict = {}
    exec(compile(script, "exported.py", "exec"), namespace)
    image = blobs()
    exported = namespace["run_workflow"](image=image)
    expected = workflow.run(image)
    np.testing.assert_array_equal(exported["smoothed_image_with_a_long_name"],
                                  expected["smoothed_image_with_a_long_name"])


def test_the_script_imported_as_a_module_gives_the_replay_arrays(tmp_path):
    workflow = branching_workflow()
    path = tmp_path / "segment.py"
    path.write_text(to_python(workflow))
    spec = importlib.util.spec_from_file_location("segment", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    nuclei, background = blobs(seed=1), blobs(seed=2)
    exported = module.run_workflow(nuclei=nuclei, background=background)
    replayed = workflow.run({"nuclei": nuclei, "background": background})
    assert list(exported) == ["labels", "combined"]
    for name in replayed:
        assert isinstance(exported[name], np.ndarray)
        assert exported[name].dtype == replayed[name].dtype
        np.testing.assert_array_equal(exported[name], replayed[name])


def test_names_beyond_ascii_are_variables_of_their_own(tmp_path):
    """Ids are in the form Python reads names in (NFKC), so no two are one variable
    of the script (a ligature 'ﬁne' beside 'fine' is refused: test_model)."""
    workflow = Workflow(("bild",), (
        Step("größe", "gaussian_blur", {"image": "bild"}, {"sigma_x": 2.0}),
        Step("grösse", "mean_box", {"image": "bild"}, {"radius_x": 2}),
        Step("μm", "add_images", {"image1": "größe", "image2": "grösse"})),
        ("größe", "grösse", "μm"))
    path = tmp_path / "names.py"
    path.write_text(to_python(workflow), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("names", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    image = blobs(seed=3)
    exported = module.run_workflow(bild=image)
    replayed = workflow.run(image)
    assert list(exported) == ["größe", "grösse", "μm"]
    for name in replayed:
        np.testing.assert_array_equal(exported[name], replayed[name])
    assert not np.array_equal(exported["größe"], exported["grösse"])


def test_the_script_run_on_files_gives_the_replay_arrays(tmp_path):
    """As a command, in a fresh interpreter where napari and Qt cannot be imported."""
    workflow = labeling_workflow()
    script = tmp_path / "count_nuclei.py"
    script.write_text(to_python(workflow))
    folder = tmp_path / "images"
    folder.mkdir()
    images = {"a": blobs((9, 21, 33), seed=1), "b": blobs((37, 53), seed=2)}
    for name, image in images.items():
        tifffile.imwrite(folder / f"{name}.tif", image)
    single = tmp_path / "c.tiff"
    images["c"] = blobs((20, 30), seed=3).astype(np.float32) * 1000
    tifffile.imwrite(single, images["c"].astype(np.uint16))
    images["c"] = images["c"].astype(np.uint16)
    done = run_script(script, str(folder), str(single), "-o", str(tmp_path / "out"))
    assert "[3/3]" in done.stdout
    for name, image in images.items():
        written = tifffile.imread(tmp_path / "out" / f"{name}_labels.tif")
        replayed = workflow.run(image)["labels"]
        assert written.dtype == np.uint32
        np.testing.assert_array_equal(written, replayed)


def test_the_script_of_a_workflow_with_several_inputs(tmp_path):
    workflow = branching_workflow()
    script = tmp_path / "w.py"
    script.write_text(to_python(workflow))
    nuclei, background = blobs(seed=4), blobs(seed=5)
    tifffile.imwrite(tmp_path / "n.tif", nuclei)
    tifffile.imwrite(tmp_path / "bg.tif", background)
    # run as an ordinary command, the way a user runs it
    done = subprocess.run([sys.executable, str(script), str(tmp_path / "n.tif"),
                           str(tmp_path / "bg.tif"), "-o", str(tmp_path / "out")],
                          env=with_source_on_path(), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    replayed = workflow.run({"nuclei": nuclei, "background": background})
    for name in ("labels", "combined"):
        np.testing.assert_array_equal(tifffile.imread(tmp_path / "out" / f"n_{name}.tif"),
                                      replayed[name])


def test_the_script_writes_tables_as_csv(tmp_path, table_op):
    workflow = labeling_workflow().add_step(table_op, {"labels": "labels"}, id="areas")
    workflow = workflow.with_outputs(["areas"])
    script = tmp_path / "measure.py"
    script.write_text(to_python(workflow))
    assert ("        \"areas\": {column: oclip.pull(values) for column, values in "
            "areas.items()},") in script.read_text()
    image = blobs()
    tifffile.imwrite(tmp_path / "cells.tif", image)
    run_script(script, str(tmp_path / "cells.tif"), "-o", str(tmp_path / "out"),
               register_table=True)
    with open(tmp_path / "out" / "cells_areas.csv", newline="") as file:
        rows = list(csv.reader(file))
    table = workflow.run(image)["areas"]
    assert rows[0] == ["label", "area"]
    assert [[int(v) for v in row] for row in rows[1:]] == \
        np.column_stack([table["label"], table["area"]]).tolist()
    assert TABLE_OP in script.read_text()


def test_the_script_reads_files_as_oclip_run_does(tmp_path):
    workflow = labeling_workflow()
    script = tmp_path / "segment.py"
    script.write_text(to_python(workflow))
    stack = blobs((5, 21, 33))
    with tifffile.TiffWriter(tmp_path / "pages.tif") as writer:
        for plane in stack:  # a series per page: tifffile.imread alone gives the first
            writer.write(plane)
    run_script(script, str(tmp_path / "pages.tif"), "-o", str(tmp_path / "out"))
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "out" / "pages_labels.tif"),
                                  workflow.run(stack)["labels"])
    tifffile.imwrite(tmp_path / "rgb.tif", np.zeros((20, 30, 3), np.uint8))
    done = python(f"import runpy; sys.argv[0] = {str(script)!r}\n"
                  f"runpy.run_path({str(script)!r}, run_name='__main__')",
                  str(tmp_path / "rgb.tif"), "-o", str(tmp_path / "out"))
    assert done.returncode != 0
    assert "colour" in done.stderr
    assert not (tmp_path / "out" / "rgb_labels.tif").exists()


def test_the_notebook_has_a_named_cell_per_step_and_gives_the_replay_arrays(tmp_path):
    import nbformat  # the workflow extra; imported here so the other tests run without it

    workflow = labeling_workflow(sigma=2.5)
    image = blobs((9, 21, 33))
    path = tmp_path / "nuclei image.tif"
    tifffile.imwrite(path, image)
    text = to_notebook(workflow, paths={"nuclei": str(path)})
    notebook = nbformat.reads(text, as_version=4)
    nbformat.validate(notebook)
    cells = notebook.cells
    for step in workflow.steps:
        summary = oclip.get_operation(step.op).summary
        heading = next(i for i, c in enumerate(cells)
                       if c.cell_type == "markdown" and c.source.startswith(f"## `{step.id}`"))
        assert summary in cells[heading].source and step.op in cells[heading].source
        assert cells[heading + 1].cell_type == "code"
        assert cells[heading + 1].source.startswith(f"{step.id} = oclip.{step.op}(")
    namespace: dict = {}
    for cell in cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, "notebook", "exec"), namespace)
    np.testing.assert_array_equal(namespace["labels"], workflow.run(image)["labels"])
    assert isinstance(namespace["labels"], np.ndarray)
    assert to_notebook(workflow, paths={"nuclei": str(path)}) == text  # deterministic


def test_exports_refuse_what_is_not_a_workflow():
    with pytest.raises(TypeError, match="to_python: expected a Workflow"):
        to_python({"steps": []})
    with pytest.raises(TypeError, match="to_notebook: expected a Workflow"):
        to_notebook(None)
    with pytest.raises(ValueError, match="paths: unknown input\\(s\\) cells"):
        to_notebook(labeling_workflow(), paths={"cells": "x.tif"})


def test_the_workflow_package_imports_no_gui():
    done = python("import oclip.workflow, oclip.__main__\n"
                  "from oclip.workflow import loads, dumps, to_python\n"
                  "gui = [m for m in sys.modules if m.split('.')[0] in ('napari', 'qtpy', "
                  "'PyQt6', 'PyQt5', 'PySide6', 'magicgui') and sys.modules[m] is not None]\n"
                  "assert not gui, gui")
    assert done.returncode == 0, done.stderr


def test_the_script_writes_scalars_and_one_row_tables_as_csv(tmp_path):
    workflow = Workflow(("image",), (
        Step("mean", "mean_of_all_pixels", {"image": "image"}),
        Step("maximum", "position_of_maximum", {"image": "image"}),
    ), ("mean", "maximum"))
    script = tmp_path / "statistics.py"
    script.write_text(to_python(workflow))
    image = np.array([[1, 3], [7, 5]], np.uint16)
    tifffile.imwrite(tmp_path / "cells.tif", image)
    run_script(script, str(tmp_path / "cells.tif"), "-o", str(tmp_path / "out"))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "cells_maximum.csv", "cells_mean.csv"]
    with open(tmp_path / "out" / "cells_mean.csv", newline="") as file:
        assert list(csv.reader(file)) == [["mean"], ["4.0"]]
    with open(tmp_path / "out" / "cells_maximum.csv", newline="") as file:
        assert list(csv.reader(file)) == [["position_of_maximum-0", "position_of_maximum-1"],
                                          ["1", "0"]]
