"""The command line, run as a user runs it."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile

import oclip
from oclip.__main__ import main
from oclip.runs import Job, plan_jobs, run_files
from oclip.runs._images import read_image
from oclip.workflow import Step, Workflow, WorkflowError, save

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



def test_run_reads_stacks_written_page_by_page_and_refuses_colour_images(tmp_path, capsys):
    workflow = Workflow(("stack",), (Step("projected", "maximum_z_projection",
                                          {"image": "stack"}),))
    save(workflow, tmp_path / "w.yaml")
    folder = tmp_path / "in"
    folder.mkdir()
    stack = np.stack([blobs((20, 30), seed=s) for s in range(3)])
    with tifffile.TiffWriter(folder / "pages.tif") as writer:
        for plane in stack:  # a series per page: tifffile.imread alone gives the first
            writer.write(plane)
    tifffile.imwrite(folder / "rgb.tif", np.zeros((20, 30, 3), np.uint8))
    tifffile.imwrite(folder / "planar.tif", np.zeros((3, 20, 30), np.uint8),
                     photometric="rgb", planarconfig="separate")
    assert main(["run", str(tmp_path / "w.yaml"), str(folder), "-o", str(tmp_path / "out")]) == 1
    out, err = capsys.readouterr()
    assert "1 done, 2 failed" in out
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "out" / "pages_projected.tif"),
                                  stack.max(axis=0))
    failures = run_lines(err)
    for name, axes in (("rgb.tif", "YXS"), ("planar.tif", "SYX")):
        assert (f"FAILED: ValueError: a colour image (RGB) of 3 samples per pixel (axes {axes}"
                in failures[name])
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["pages_projected.tif"]

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
    assert (f"{tmp_path / 'in' / 'cells_0.tif'} and {twice / 'cells_0.tif'} would both write "
            f"cells_0_labels.*" in capsys.readouterr().err)
    assert not (tmp_path / "out").exists()


def test_run_refuses_two_files_that_would_write_the_same_output_name(tmp_path, capsys):
    # cells.tif's output a_labels and cells_a.tif's output labels are both cells_a_labels
    workflow = (labeling_workflow().add_step("gaussian_blur", {"image": "labels"}, id="a_labels")
                .with_outputs(["labels", "a_labels"]))
    save(workflow, tmp_path / "w.yaml")
    folder = tmp_path / "in"
    folder.mkdir()
    tifffile.imwrite(folder / "cells.tif", blobs(seed=1))
    tifffile.imwrite(folder / "cells_a.tif", blobs(seed=2))
    assert main(["run", str(tmp_path / "w.yaml"), str(folder), "-o",
                 str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert (f"oclip run: {folder / 'cells.tif'} and {folder / 'cells_a.tif'} would both write "
            f"cells_a_labels.* (outputs 'a_labels' and 'labels')") in err
    assert not (tmp_path / "out").exists()
    # names that differ in case only are one file on macOS and Windows
    (folder / "cells_a.tif").rename(folder / "Cells_A.tif")
    with pytest.raises(WorkflowError,
                       match=r"Cells_A.tif and .*cells.tif would both write cells_a_labels"):
        plan_jobs(workflow, [folder])
    # jobs made by hand are checked by the run itself, before anything is written
    jobs = [Job("cells", {"nuclei": folder / "cells.tif"}),
            Job("cells_a", {"nuclei": folder / "Cells_A.tif"})]
    with pytest.raises(WorkflowError, match="would both write cells_a_labels"):
        run_files(workflow, jobs, tmp_path / "out")
    assert not (tmp_path / "out").exists()



def test_run_into_an_input_folder_never_takes_its_own_outputs_as_inputs(tmp_path, capsys):
    workflow = two_output_workflow(tmp_path)
    folder = tmp_path / "in"
    images = write_images(folder, count=2)
    originals = sorted(f"{stem}.tif" for stem in images)
    outputs = sorted(f"{stem}_{name}.tif" for stem in images for name in ("labels", "blurred"))
    for _ in range(2):  # the second run finds the first one's outputs beside its inputs
        assert main(["run", str(tmp_path / "w.yaml"), str(folder), "-o", str(folder)]) == 0
        assert "2 run(s)" in capsys.readouterr().out
        assert sorted(p.name for p in folder.iterdir()) == sorted(originals + outputs)
    assert_outputs_of(folder, workflow, images)
    # another workflow into that folder: still the two images, not the outputs
    save(labeling_workflow().with_outputs(["binary"]), tmp_path / "binary.yaml")
    assert main(["run", str(tmp_path / "binary.yaml"), str(folder), "-o", str(folder)]) == 0
    assert "2 run(s)" in capsys.readouterr().out
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        originals + outputs + [f"{stem}_binary.tif" for stem in images])
    # files given one by one (a shell's in/*.tif) are sorted out the same way
    assert [job.stem for job in plan_jobs(workflow, sorted(folder.iterdir()),
                                          output=folder)] == ["cells_0", "cells_1"]
    # a folder of outputs only, as the input of a run into itself, is refused clearly
    out = tmp_path / "out"
    write_images(tmp_path / "fresh", count=2)
    assert main(["run", str(tmp_path / "w.yaml"), str(tmp_path / "fresh"), "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["run", str(tmp_path / "binary.yaml"), str(out), "-o", str(out)]) == 2
    assert (f"input 'nuclei': {out} holds only outputs of oclip run in the output folder, "
            f"which are never taken as inputs") in capsys.readouterr().err
    # read into another folder, the outputs of a run are inputs like any others
    assert len(plan_jobs(workflow, [out], output=tmp_path / "elsewhere")) == 4


def test_run_refuses_to_overwrite_an_input_with_an_output(tmp_path, capsys):
    two_output_workflow(tmp_path)
    folder = tmp_path / "in"
    write_images(folder, count=1)
    hand_made = blobs(seed=5).astype(np.uint32)  # not written by oclip: a user's own labels
    tifffile.imwrite(folder / "cells_0_labels.tif", hand_made)
    assert main(["run", str(tmp_path / "w.yaml"), str(folder), "-o", str(folder)]) == 2
    assert (f"oclip run: output 'labels' of {folder / 'cells_0.tif'} would overwrite the input "
            f"{folder / 'cells_0_labels.tif'}") in capsys.readouterr().err
    np.testing.assert_array_equal(tifffile.imread(folder / "cells_0_labels.tif"), hand_made)
    assert sorted(p.name for p in folder.iterdir()) == ["cells_0.tif", "cells_0_labels.tif"]

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


# --- failures of single files, a full disk, a killed run ------------------------------------


def two_output_workflow(folder: Path) -> Workflow:
    workflow = labeling_workflow().with_outputs(["labels", "blurred"])
    save(workflow, folder / "w.yaml")
    return workflow


def assert_outputs_of(out: Path, workflow: Workflow, images: dict[str, np.ndarray]) -> None:
    for stem, image in images.items():
        replayed = workflow.run(image)
        for name in workflow.outputs:
            np.testing.assert_array_equal(tifffile.imread(out / f"{stem}_{name}.tif"),
                                          replayed[name])


def run_lines(err: str) -> dict[str, str]:
    """File name → the progress line of a failure."""
    return {Path(line.split(": FAILED: ")[0].split("] ", 1)[1]).name: line
            for line in err.splitlines() if ": FAILED: " in line and line.startswith("[")}


def test_run_reports_damaged_and_unreadable_files_and_completes_the_others(tmp_path, capsys,
                                                                         monkeypatch):
    workflow = two_output_workflow(tmp_path)
    folder = tmp_path / "in"
    images = write_images(folder, count=3)
    whole = (folder / "cells_0.tif").read_bytes()
    (folder / "cut_in_half.tif").write_bytes(whole[:len(whole) // 2])
    (folder / "cut_after_header.tif").write_bytes(whole[:8])
    (folder / "empty.tif").write_bytes(b"")
    (folder / "noise.tif").write_bytes(
        np.random.default_rng(3).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    (folder / "dangling.tif").symlink_to(tmp_path / "moved_away.tif")
    # root reads files whatever their mode: a file without read permission is simulated
    tifffile.imwrite(folder / "locked.tif", blobs())
    real_imread = tifffile.imread

    def imread(path, *arguments, **options):
        if Path(path).name == "locked.tif":
            raise PermissionError(13, "Permission denied", str(path))
        return real_imread(path, *arguments, **options)

    monkeypatch.setattr(tifffile, "imread", imread)
    (folder / "subfolder.tif").mkdir()  # a folder is not a file of the folder: left out
    status = main(["run", str(tmp_path / "w.yaml"), str(folder), "-o", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    assert status == 1
    assert "9 run(s)" in out and "3 done, 6 failed; 6 file(s) written" in out
    failures = run_lines(err)
    expected = {
        "cut_in_half.tif": "ValueError: not a TIFF file, or a damaged or truncated one",
        "cut_after_header.tif": "ValueError: no image in this TIFF file (shape (0,)): "
                                "damaged or truncated",
        "empty.tif": "ValueError: not a TIFF file, or a damaged or truncated one",
        "noise.tif": "ValueError: not a TIFF file, or a damaged or truncated one",
        "dangling.tif": "FileNotFoundError: [Errno 2] No such file or directory",
        "locked.tif": "PermissionError: [Errno 13] Permission denied",
    }
    assert set(failures) == set(expected)
    for name, reason in expected.items():
        assert reason in failures[name], failures[name]
        assert f"  failed: {folder / name}: {reason}" in err
    assert "Traceback" not in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        f"{stem}_{name}.tif" for stem in images for name in ("labels", "blurred"))
    assert_outputs_of(tmp_path / "out", workflow, images)


def test_run_reports_outputs_that_cannot_be_written(tmp_path, capsys, monkeypatch):
    workflow = two_output_workflow(tmp_path)
    images = write_images(tmp_path / "in", count=3)
    out = tmp_path / "out"
    out.mkdir()
    # an earlier result of cells_1, which a failed rewrite must keep
    old = np.full((37, 53), 7, np.uint32)
    tifffile.imwrite(out / "cells_1_labels.tif", old)
    old_bytes = (out / "cells_1_labels.tif").read_bytes()
    # a folder where cells_2's blurred image goes
    (out / "cells_2_blurred.tif").mkdir()
    real_imwrite = tifffile.imwrite

    def imwrite(file, data, **options):
        if Path(file.name).name.startswith(".cells_1_labels.tif."):
            file.write(b"II*\x00" + bytes(100))  # some of it, then the disk is full
            raise OSError(28, "No space left on device")
        return real_imwrite(file, data, **options)

    monkeypatch.setattr(tifffile, "imwrite", imwrite)
    status = main(["run", str(tmp_path / "w.yaml"), str(tmp_path / "in"), "-o", str(out)])
    output, err = capsys.readouterr()
    assert status == 1
    assert "3 run(s)" in output and "1 done, 2 failed" in output
    failures = run_lines(err)
    assert set(failures) == {"cells_1.tif", "cells_2.tif"}
    assert "OSError: [Errno 28] No space left on device" in failures["cells_1.tif"]
    assert "IsADirectoryError: [Errno 21] Is a directory" in failures["cells_2.tif"]
    assert (out / "cells_1_labels.tif").read_bytes() == old_bytes
    assert (out / "cells_2_blurred.tif").is_dir()
    assert not list((out / "cells_2_blurred.tif").iterdir())
    assert_outputs_of(out, workflow, {"cells_0": images["cells_0"]})
    # outputs are written in order: cells_1 stopped at its first, cells_2 at its second,
    # and what was written before the failure is whole
    assert not (out / "cells_1_blurred.tif").exists()
    np.testing.assert_array_equal(tifffile.imread(out / "cells_2_labels.tif"),
                                  workflow.run(images["cells_2"])["labels"])
    assert sorted(p.name for p in out.iterdir()) == [
        "cells_0_blurred.tif", "cells_0_labels.tif", "cells_1_labels.tif",
        "cells_2_blurred.tif", "cells_2_labels.tif"]


def test_run_refuses_an_output_folder_that_cannot_be_made(tmp_path, capsys):
    two_output_workflow(tmp_path)
    write_images(tmp_path / "in", count=1)
    (tmp_path / "taken").write_text("a file")
    for output, problem in ((tmp_path / "taken", "a file is there, not a folder"),
                            (tmp_path / "taken" / "out", "Not a directory")):
        status = main(["run", str(tmp_path / "w.yaml"), str(tmp_path / "in"), "-o",
                       str(output)])
        assert status == 2
        assert (f"oclip run: cannot use {output} as the output folder: {problem}"
                in capsys.readouterr().err)
    assert (tmp_path / "taken").read_text() == "a file"


#: The command line, killed with SIGKILL while it writes the second output file.
KILLED_WHILE_WRITING = """
import io, os, signal, sys
import tifffile
real_imwrite = tifffile.imwrite
written = []

def imwrite(file, data, **options):
    written.append(file.name)
    if len(written) == 2:
        whole = io.BytesIO()
        real_imwrite(whole, data, **options)
        file.write(whole.getvalue()[:len(whole.getvalue()) // 2])
        file.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    return real_imwrite(file, data, **options)

tifffile.imwrite = imwrite
from oclip.__main__ import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_killed_run_leaves_no_half_written_result_and_a_rerun_cleans_up(tmp_path, capsys):
    workflow = two_output_workflow(tmp_path)
    images = write_images(tmp_path / "in", count=2)
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-c", KILLED_WHILE_WRITING, "run",
                           str(tmp_path / "w.yaml"), str(tmp_path / "in"), "-o", str(out)],
                          env=with_source_on_path(), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == -9, done.stderr
    # the first output is whole; the second never got its name: only a hidden temporary
    [first] = [p for p in out.iterdir() if not p.name.startswith(".")]
    assert first.name == "cells_0_labels.tif"
    np.testing.assert_array_equal(tifffile.imread(first), workflow.run(images["cells_0"])["labels"])
    [partial] = [p for p in out.iterdir() if p.name.startswith(".")]
    assert partial.name.startswith(".cells_0_blurred.tif.") and partial.name.endswith(".partial")
    assert partial.stat().st_size > 0
    with pytest.raises(ValueError, match="damaged or truncated"):
        read_image(partial)  # it is indeed half a file
    # read as a folder of inputs, the output folder offers the whole file only
    assert [job.stem for job in plan_jobs(workflow, [out])] == ["cells_0_labels"]
    # a rerun writes everything and removes the leftover
    assert main(["run", str(tmp_path / "w.yaml"), str(tmp_path / "in"), "-o", str(out)]) == 0
    assert "2 done, 0 failed; 4 file(s) written" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{stem}_{name}.tif" for stem in images for name in ("labels", "blurred"))
    assert_outputs_of(out, workflow, images)



def test_a_rerun_removes_leftovers_also_of_jobs_that_are_not_written_again(tmp_path, capsys):
    two_output_workflow(tmp_path)
    write_images(tmp_path / "in", count=2)
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "w.yaml"), str(tmp_path / "in"), "-o", str(out)]) == 0
    leftover = out / ".cells_1_blurred.tif.k1ll3d.partial"  # of a writer killed long ago
    leftover.write_bytes(b"II*\x00half")
    (tmp_path / "in" / "cells_1.tif").write_bytes(b"damaged since")
    assert main(["run", str(tmp_path / "w.yaml"), str(tmp_path / "in"), "-o", str(out)]) == 1
    assert "1 done, 1 failed" in capsys.readouterr().out
    assert not leftover.exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


#: The command line, sent SIGINT (Ctrl-C) as it starts writing the third output file.
INTERRUPTED_WHILE_WRITING = """
import os, signal, sys
import tifffile
real_imwrite = tifffile.imwrite
written = []

def imwrite(file, data, **options):
    written.append(file.name)
    if len(written) == 3:
        os.kill(os.getpid(), signal.SIGINT)
    return real_imwrite(file, data, **options)

tifffile.imwrite = imwrite
from oclip.__main__ import main
sys.exit(main(sys.argv[1:]))
"""


def test_ctrl_c_during_a_run_says_what_was_done_in_one_line(tmp_path):
    workflow = two_output_workflow(tmp_path)
    images = write_images(tmp_path / "in", count=3)
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-c", INTERRUPTED_WHILE_WRITING, "run",
                           str(tmp_path / "w.yaml"), str(tmp_path / "in"), "-o", str(out)],
                          env=with_source_on_path(), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    progress, last = done.stderr.splitlines()
    assert progress == f"[1/3] {tmp_path / 'in' / 'cells_0.tif'}: done"
    assert last == (f"oclip run: interrupted after 1 of 3 file(s); the outputs in {out} are "
                    f"complete files, no half-written one is left; run the same command again "
                    f"to run every file again (with --scheduler local:1 a re-run skips the "
                    f"outputs that are complete)")
    assert sorted(p.name for p in out.iterdir()) == ["cells_0_blurred.tif", "cells_0_labels.tif"]
    assert_outputs_of(out, workflow, {"cells_0": images["cells_0"]})


def test_a_job_that_may_exhaust_the_memory_runs_alone_with_the_same_result(tmp_path, capsys,
                                                                         monkeypatch):
    from oclip.runs import _batch

    workflow = two_output_workflow(tmp_path)
    images = write_images(tmp_path / "in", count=2)
    (tmp_path / "in" / "cells_1.tif").write_bytes(b"damaged")
    monkeypatch.setattr(_batch, "available_memory", lambda: 1000)  # every job: alone
    status = main(["run", str(tmp_path / "w.yaml"), str(tmp_path / "in"), "-o",
                   str(tmp_path / "out")])
    out, err = capsys.readouterr()
    assert status == 1, err
    assert "1 done, 1 failed; 2 file(s) written" in out
    assert "cells_1.tif: FAILED: ValueError: not a TIFF file" in run_lines(err)["cells_1.tif"]
    assert_outputs_of(tmp_path / "out", workflow, {"cells_0": images["cells_0"]})


#: VmPeak of a process that ran the workflow on a small image: what the limit adds to.
PEAK_OF_A_SMALL_RUN = """
import sys
import numpy as np
from oclip.workflow import load
load(sys.argv[1]).run(np.zeros((40, 50), np.uint8))
print(next(int(line.split()[1]) * 1024 for line in open("/proc/self/status")
           if line.startswith("VmPeak")))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS, /proc as on Linux")
def test_one_file_too_large_for_the_memory_fails_alone_and_the_others_complete(tmp_path):
    import resource

    workflow = two_output_workflow(tmp_path)
    folder = tmp_path / "in"
    images = write_images(folder, count=2)
    # 81 MB of pixels: a run needs some GiB (float32 images), more than the limit leaves
    tifffile.imwrite(folder / "cells_0b_huge.tif", np.full((9000, 9000), 7, np.uint8))
    environment = dict(with_source_on_path(), OCLIP_DEVICE="cpu")  # no GPU driver's reserve
    probe = subprocess.run([sys.executable, "-c", PEAK_OF_A_SMALL_RUN, str(tmp_path / "w.yaml")],
                           env=environment, capture_output=True, text=True, timeout=300)
    assert probe.returncode == 0, probe.stderr
    limit = int(probe.stdout) + (700 << 20)

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "oclip", "run", str(tmp_path / "w.yaml"),
                           str(folder), "-o", str(out)], env=environment,
                          preexec_fn=limit_memory, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 1, done.stderr
    assert "3 run(s)" in done.stdout and "2 done, 1 failed" in done.stdout
    failure = run_lines(done.stderr)
    assert set(failure) == {"cells_0b_huge.tif"}
    assert re.search(r"FAILED: (out of memory: the process it ran in died \(it needs about "
                     r"[\d.]+ GiB, [\d.]+ [GM]iB are available\)|\w*MemoryError)",
                     failure["cells_0b_huge.tif"]), failure
    assert_outputs_of(out, workflow, images)

# --- hostile workflow files ------------------------------------------------------------------

HOSTILE = Path(__file__).parent / "workflow" / "files"


@pytest.mark.parametrize(("name", "message"), [
    ("control_characters.yaml", "line 9: not valid YAML: the control character #x0000"),
    ("long_integer.yaml", "line 7: the number 99999999999999999999... has 5000 characters"),
    ("python_object.yaml", "line 7: the tag !!python/object/apply:builtins.exec is not "
                           "allowed"),
    ("billion_laughs.yaml", "line 3: anchors (&a) are not allowed"),
])
def test_run_refuses_a_hostile_workflow_file_cleanly(tmp_path, name, message):
    write_images(tmp_path / "in", count=1)
    done = subprocess.run([sys.executable, "-m", "oclip", "run", str(HOSTILE / name),
                           str(tmp_path / "in"), "-o", str(tmp_path / "out")], cwd=tmp_path,
                          env=with_source_on_path(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert done.stderr == f"oclip run: {HOSTILE / name}, {message}" + done.stderr.split(
        message, 1)[1]
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]  # no output, no payload file
