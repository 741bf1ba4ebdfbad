"""The command line, run as a user runs it."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile

import oclip
from oclip.__main__ import main
from oclip.workflow import Step, Workflow, save

from .workflow._support import blobs, labeling_workflow, table_operation

SOURCE = Path(oclip.__file__).resolve().parents[1]


def with_source_on_path() -> dict[str, str]:
    """The environment with this checkout's src first on PYTHONPATH (kept, not replaced)."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(SOURCE), os.environ.get("PYTHONPATH", "")]))


def oclip_command(*arguments: str, **environment: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "oclip", *arguments],
                          env=dict(os.environ, **environment), capture_output=True, text=True,
                          timeout=300)


def test_devices_lists_and_marks_the_selected_device():
    done = oclip_command("devices")
    assert done.returncode == 0, done.stderr
    selected = oclip.current_device()
    marked = [line for line in done.stdout.splitlines() if line.startswith("*")]
    assert len(marked) == 1 and selected.name in marked[0]
    assert "OpenCL" in marked[0]
    assert "GiB" in marked[0] or "MiB" in marked[0]
    assert f"selected (*): {selected}" in done.stdout


def test_devices_with_an_unknown_name_fails_cleanly():
    done = oclip_command("devices", "--device", "no-such-device")
    assert done.returncode == 1
    assert "no OpenCL device matches 'no-such-device'" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="OCL_ICD_VENDORS steers the ocl-icd loader of pyopencl's Linux wheels")
def test_devices_without_any_platform_says_how_to_get_one():
    done = oclip_command("devices", OCL_ICD_VENDORS="/nonexistent")
    assert done.returncode == 1
    assert "No OpenCL platform is installed" in done.stderr
    assert "Traceback" not in done.stderr


def test_help_lists_the_commands():
    done = oclip_command("--help")
    assert done.returncode == 0
    for command in ("devices", "demo", "run", "export"):
        assert command in done.stdout


# --- oclip run / oclip export -----------------------------------------------------------


def oclip_without_gui(*arguments: str) -> subprocess.CompletedProcess:
    """The command line in an interpreter where napari and Qt cannot be imported."""
    code = ("import sys; sys.modules.update(dict.fromkeys(['napari', 'qtpy', 'PyQt5', 'PyQt6', "
            "'PySide6', 'magicgui', 'vispy']))\n"
            "from oclip.__main__ import main; sys.exit(main(sys.argv[1:]))")
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(SOURCE), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-c", code, *arguments], env=environment,
                          capture_output=True, text=True, timeout=300)


def write_images(folder: Path, count: int = 3, shape=(37, 53)) -> dict[str, np.ndarray]:
    folder.mkdir(parents=True, exist_ok=True)
    images = {}
    for number in range(count):
        images[f"cells_{number}"] = blobs(shape, seed=number)
        tifffile.imwrite(folder / f"cells_{number}.tif", images[f"cells_{number}"])
    return images


def test_run_writes_each_output_of_each_file(tmp_path):
    workflow = labeling_workflow().with_outputs(["labels", "blurred"])
    save(workflow, tmp_path / "w.yaml")
    images = write_images(tmp_path / "in")
    tifffile.imwrite(tmp_path / "extra.tiff", blobs((9, 21, 33), seed=7))
    images["extra"] = blobs((9, 21, 33), seed=7)
    (tmp_path / "in" / "notes.txt").write_text("not an image")
    done = oclip_without_gui("run", str(tmp_path / "w.yaml"), str(tmp_path / "in"),
                             str(tmp_path / "extra.tiff"), "-o", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "[4/4]" in done.stderr and "4 run(s)" in done.stdout and "0 failed" in done.stdout
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        f"{stem}_{name}.tif" for stem in images for name in ("labels", "blurred"))
    for stem, image in images.items():
        replayed = workflow.run(image)
        labels = tifffile.imread(tmp_path / "out" / f"{stem}_labels.tif")
        assert labels.dtype == np.uint32
        np.testing.assert_array_equal(labels, replayed["labels"])
        np.testing.assert_array_equal(tifffile.imread(tmp_path / "out" / f"{stem}_blurred.tif"),
                                      replayed["blurred"])


def test_run_reports_a_failing_file_and_goes_on(tmp_path, capsys):
    workflow = Workflow(("stack",), (Step("projected", "maximum_z_projection",
                                          {"image": "stack"}),))
    save(workflow, tmp_path / "w.yaml")
    folder = tmp_path / "in"
    write_images(folder, count=2, shape=(5, 20, 30))
    tifffile.imwrite(folder / "cells_1b_flat.tif", blobs((20, 30)))  # 2D: cannot project
    (folder / "cells_1c_broken.tif").write_bytes(b"this is no TIFF")
    status = main(["run", str(tmp_path / "w.yaml"), str(folder), "-o", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    assert status == 1
    assert "4 run(s)" in out and "2 done, 2 failed" in out
    assert "cells_1b_flat.tif: FAILED: ValueError: step 'projected': maximum_z_projection" in err
    assert "cells_1c_broken.tif: FAILED:" in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "cells_0_projected.tif", "cells_1_projected.tif"]


def test_run_pairs_the_files_of_several_inputs_by_name(tmp_path, capsys):
    workflow = Workflow(
        ("nuclei", "membranes", "flat"),
        (Step("sum", "add_images", {"image1": "nuclei", "image2": "membranes"}),
         Step("corrected", "add_images", {"image1": "sum", "image2": "flat"})),
        ("corrected",))
    save(workflow, tmp_path / "w.yaml")
    nuclei = write_images(tmp_path / "n", count=2)
    membranes = {stem: image * 2 for stem, image in nuclei.items()}
    (tmp_path / "m").mkdir()
    for stem, image in membranes.items():
        tifffile.imwrite(tmp_path / "m" / f"{stem}.tif", image)
    flat = blobs(seed=11)
    tifffile.imwrite(tmp_path / "flat.tif", flat)
    status = main(["run", str(tmp_path / "w.yaml"), "--input", f"nuclei={tmp_path / 'n'}",
                   "--input", f"membranes={tmp_path / 'm'}", "--input",
                   f"flat={tmp_path / 'flat.tif'}", "-o", str(tmp_path / "out")])
    assert status == 0, capsys.readouterr().err
    for stem in nuclei:
        expected = workflow.run({"nuclei": nuclei[stem], "membranes": membranes[stem],
                                 "flat": flat})["corrected"]
        np.testing.assert_array_equal(
            tifffile.imread(tmp_path / "out" / f"{stem}_corrected.tif"), expected)
    # positional inputs are for one-input workflows only
    assert main(["run", str(tmp_path / "w.yaml"), str(tmp_path / "n"), "-o",
                 str(tmp_path / "o2")]) == 2
    assert "give each as --input NAME=PATH" in capsys.readouterr().err


def test_run_writes_tables_as_csv(tmp_path, capsys):
    with table_operation() as table_op:
        workflow = labeling_workflow().add_step(table_op, {"labels": "labels"}, id="areas")
        save(workflow.with_outputs(["labels", "areas"]), tmp_path / "w.yaml")
        images = write_images(tmp_path / "in", count=2)
        assert main(["run", str(tmp_path / "w.yaml"), str(tmp_path / "in"), "-o",
                     str(tmp_path / "out")]) == 0, capsys.readouterr().err
        for stem, image in images.items():
            expected = workflow.run(image, outputs=["areas"])["areas"]
            with open(tmp_path / "out" / f"{stem}_areas.csv", newline="") as file:
                rows = list(csv.reader(file))
            assert rows[0] == ["label", "area"]
            np.testing.assert_array_equal(np.array(rows[1:], dtype=np.int64),
                                          np.column_stack([expected["label"], expected["area"]]))
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]


def test_run_over_time_points(tmp_path, capsys):
    save(labeling_workflow(), tmp_path / "w.yaml")
    movie = np.stack([blobs(seed=s) for s in range(3)])
    tifffile.imwrite(tmp_path / "movie.tif", movie, photometric="minisblack")
    assert main(["run", str(tmp_path / "w.yaml"), str(tmp_path / "movie.tif"), "--time-lapse",
                 "-o", str(tmp_path / "out")]) == 0, capsys.readouterr().err
    labels = tifffile.imread(tmp_path / "out" / "movie_labels.tif")
    assert labels.shape == movie.shape and labels.dtype == np.uint32
    np.testing.assert_array_equal(labels, labeling_workflow().run_time_lapse(movie)["labels"])
    assert main(["run", str(tmp_path / "w.yaml"), str(tmp_path / "movie.tif"), "--static",
                 "nuclei", "-o", str(tmp_path / "out")]) == 2
    assert "--static only applies with --time-lapse" in capsys.readouterr().err


def test_run_refuses_a_bad_workflow_file_or_missing_inputs(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("oclip_workflow: 1\ninputs: [x]\nsteps:\n  - id: a\n    op: blur\n"
                   "    inputs: {image: x}\n")
    write_images(tmp_path / "in", count=1)
    assert main(["run", str(bad), str(tmp_path / "in"), "-o", str(tmp_path / "out")]) == 2
    assert "bad.yaml, line 5: step 'a': unknown operation 'blur'" in capsys.readouterr().err
    save(labeling_workflow(), tmp_path / "w.yaml")
    assert main(["run", str(tmp_path / "w.yaml"), str(tmp_path / "nothing"), "-o",
                 str(tmp_path / "out")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "w.yaml"), "-o", str(tmp_path / "out")]) == 2
    assert "no file given for input(s) nuclei" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "w.yaml"), "--input", "nuclei", "-o", "x"]) == 2
    assert "expected NAME=PATH" in capsys.readouterr().err
    twice = tmp_path / "twice"
    write_images(twice, count=1)
    assert main(["run", str(tmp_path / "w.yaml"), str(tmp_path / "in"), str(twice), "-o",
                 str(tmp_path / "out")]) == 2
    assert "would write outputs of the same names (cells_0_...)" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_export_writes_a_script_and_a_notebook(tmp_path, capsys):
    save(labeling_workflow(), tmp_path / "w.yaml")
    assert main(["export", str(tmp_path / "w.yaml"), "--to", "script", "-o",
                 str(tmp_path / "w.py")]) == 0
    assert main(["export", str(tmp_path / "w.yaml"), "--to", "notebook", "-o",
                 str(tmp_path / "w.ipynb")]) == 0
    assert "wrote" in capsys.readouterr().out
    assert "def run_workflow(nuclei):" in (tmp_path / "w.py").read_text()
    assert '"cell_type": "code"' in (tmp_path / "w.ipynb").read_text()
    image = blobs()
    tifffile.imwrite(tmp_path / "a.tif", image)
    done = subprocess.run([sys.executable, str(tmp_path / "w.py"), str(tmp_path / "a.tif"),
                           "-o", str(tmp_path / "out")], capture_output=True, text=True,
                          env=with_source_on_path(), timeout=300)
    assert done.returncode == 0, done.stderr
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "out" / "a_labels.tif"),
                                  labeling_workflow().run(image)["labels"])
    assert main(["export", str(tmp_path / "missing.yaml"), "--to", "script", "-o",
                 str(tmp_path / "x.py")]) == 2
    assert "cannot read it" in capsys.readouterr().err
