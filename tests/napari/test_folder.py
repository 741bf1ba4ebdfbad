"""Apply to folder, as a user does it (issue 14, friction 10): the recorded
workflow runs on every TIFF of a chosen folder through what ``oclip run`` runs,
with a moving progress bar, cancel between files, a failed file listed while
the others go on, a summary table, and a resumed run skipping complete files."""

from __future__ import annotations

import csv
import threading
from typing import Any

import numpy as np
import pytest
from qtpy.QtCore import Qt

import oclip
from oclip.napari import _folder
from oclip.runs import _batch

tifffile = pytest.importorskip("tifffile")


def click(qtbot: Any, button: Any) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def record_chain(qtbot, viewer, assistant, settled) -> None:
    """blur → threshold → label, by clicking, each on the previous result."""
    for category, layer in [("Remove noise", "image"), ("Binarize", "gaussian_blur"),
                            ("Label", "threshold_otsu")]:
        viewer.layers.selection.active = viewer.layers[layer]
        click(qtbot, assistant.category_buttons[category])
        settled(assistant)


def expected_labels(image: np.ndarray) -> np.ndarray:
    return oclip.connected_components_labeling(oclip.threshold_otsu(oclip.gaussian_blur(image)))


@pytest.fixture
def images(tmp_path) -> dict[str, np.ndarray]:
    """Four small images in tmp_path/in, and a damaged TIFF between them."""
    folder = tmp_path / "in"
    folder.mkdir()
    found = {f"cells{i}": oclip.data.blobs2d((48, 56), seed=i) for i in range(4)}
    for name, image in found.items():
        tifffile.imwrite(folder / f"{name}.tif", image)
    (folder / "cells1b.tif").write_bytes(b"not a TIFF at all")
    return found


@pytest.fixture
def chosen(monkeypatch, tmp_path) -> list[str]:
    """The folder chooser answers tmp_path/in; the titles it was asked with."""
    asked: list[str] = []

    def ask(parent: Any, title: str) -> str:
        asked.append(title)
        return str(tmp_path / "in")

    monkeypatch.setattr(_folder, "ask_folder", ask)
    return asked


def summary_rows(tmp_path) -> dict[str, str]:
    with open(tmp_path / "in" / "oclip-results" / "oclip-run-summary.csv", newline="") as file:
        return {row["file"].rsplit("/", 1)[-1]: row["status"] for row in csv.DictReader(file)}


def test_apply_to_folder_runs_every_file_and_lists_the_failed_one(
        qtbot, assistant_in, settled, blobs, images, chosen, tmp_path, notified):
    viewer, assistant = assistant_in(blobs)
    record_chain(qtbot, viewer, assistant, settled)
    run = assistant.folder_run
    values: list[int] = []
    run.bar.valueChanged.connect(values.append)

    click(qtbot, assistant.action_buttons["Apply to folder"])
    assert chosen and run.isVisibleTo(assistant) and run.running
    settled(assistant)
    assert not run.running
    assert values[-1] == 5 and values == sorted(values) and len(set(values)) >= 2
    assert run.bar.maximum() == 5

    out = tmp_path / "in" / "oclip-results"
    for name, image in images.items():
        np.testing.assert_array_equal(
            tifffile.imread(out / f"{name}_connected_components_labeling.tif"),
            expected_labels(image))
        # every result shown is an output, as oclip run writes the saved workflow
        assert (out / f"{name}_gaussian_blur.tif").exists()
    summary = run.summary
    assert len(summary.done) == 4
    assert [source.rsplit("/", 1)[-1] for source, _ in summary.failed] == ["cells1b.tif"]
    assert "failed: cells1b.tif" in run.status.text()
    assert any("cells1b.tif" in message for message in notified["warning"])
    assert summary_rows(tmp_path) == {"cells0.tif": "done", "cells1.tif": "done",
                                      "cells1b.tif": "failed", "cells2.tif": "done",
                                      "cells3.tif": "done"}


def test_cancel_stops_between_files_and_applying_again_resumes(
        qtbot, assistant_in, settled, blobs, images, chosen, tmp_path, monkeypatch):
    viewer, assistant = assistant_in(blobs)
    record_chain(qtbot, viewer, assistant, settled)
    # the second file's read waits until the user has clicked Cancel
    reading, clicked = threading.Event(), threading.Event()
    real_read = _batch.read_image

    def read(path: Any) -> np.ndarray:
        if path.name == "cells1.tif" and not clicked.is_set():
            reading.set()
            clicked.wait(30)
        return real_read(path)

    monkeypatch.setattr(_batch, "read_image", read)
    run = assistant.folder_run
    click(qtbot, assistant.action_buttons["Apply to folder"])
    qtbot.waitUntil(reading.is_set, timeout=60000)
    # the run shows in napari's activity dock, counting files; the busy row's Cancel
    # (of one computation) is off: the run's own Cancel stops it
    assert run.activity is not None and run.activity.total == 5 and run.activity.n == 1
    assert not assistant.busy_bar.cancel_button.isEnabled()
    # napari is not blocked meanwhile: the button answers the click at once
    click(qtbot, run.cancel_button)
    assert not run.cancel_button.isEnabled()
    clicked.set()
    settled(assistant)
    summary = run.summary
    assert [s.rsplit("/", 1)[-1] for s in summary.done] == ["cells0.tif", "cells1.tif"]
    assert len(summary.not_run) == 3
    assert "not run (cancelled" in run.status.text()
    assert run.activity is None  # closed with the run
    assert summary_rows(tmp_path)["cells2.tif"] == "not run"

    click(qtbot, assistant.action_buttons["Apply to folder"])
    settled(assistant)
    summary = run.summary
    assert [s.rsplit("/", 1)[-1] for s in summary.skipped] == ["cells0.tif", "cells1.tif"]
    assert [s.rsplit("/", 1)[-1] for s in summary.done] == ["cells2.tif", "cells3.tif"]
    assert summary_rows(tmp_path) == {"cells0.tif": "skipped", "cells1.tif": "skipped",
                                      "cells1b.tif": "failed", "cells2.tif": "done",
                                      "cells3.tif": "done"}
    np.testing.assert_array_equal(
        tifffile.imread(tmp_path / "in" / "oclip-results"
                        / "cells3_connected_components_labeling.tif"),
        expected_labels(images["cells3"]))


def test_another_workflow_into_the_same_folder_asks_first(
        qtbot, assistant_in, settled, blobs, images, chosen, tmp_path, answers):
    viewer, assistant = assistant_in(blobs)
    record_chain(qtbot, viewer, assistant, settled)
    click(qtbot, assistant.action_buttons["Apply to folder"])
    settled(assistant)
    assistant.step_widgets["gaussian_blur"].form["sigma_x"].value = 2.0
    settled(assistant)
    click(qtbot, assistant.action_buttons["Apply to folder"])  # answered "no"
    assert len(answers.asked) == 1 and "another workflow" in answers.asked[0]
    assert not assistant.folder_run.running
    answers.replies.append(True)
    click(qtbot, assistant.action_buttons["Apply to folder"])
    settled(assistant)
    assert len(assistant.folder_run.summary.done) == 4  # every file computed again
    np.testing.assert_array_equal(
        tifffile.imread(tmp_path / "in" / "oclip-results" / "cells2_gaussian_blur.tif"),
        oclip.gaussian_blur(images["cells2"], sigma_x=2.0))


def test_what_it_cannot_do_is_refused_with_a_message(
        qtbot, assistant_in, settled, blobs, chosen, tmp_path, notified):
    viewer, assistant = assistant_in(blobs)
    click(qtbot, assistant.action_buttons["Apply to folder"])  # nothing recorded
    assert notified["info"] and "record a workflow first" in notified["info"][-1]
    viewer.add_image(blobs[::-1].copy(), name="other")
    assistant.viewer_workflow.editor.add_step(
        "add_images", {"image1": viewer.layers["image"], "image2": viewer.layers["other"]})
    settled(assistant)
    click(qtbot, assistant.action_buttons["Apply to folder"])
    assert "one input" in notified["warning"][-1] and "oclip run" in notified["warning"][-1]
    assert not chosen  # the folder is not even asked for
    assistant.viewer_workflow.editor.undo()
    settled(assistant)
    viewer.layers.selection.active = viewer.layers["image"]
    click(qtbot, assistant.category_buttons["Remove noise"])
    settled(assistant)
    (tmp_path / "in").mkdir()  # a folder without TIFF files
    click(qtbot, assistant.action_buttons["Apply to folder"])
    assert "no TIFF files" in notified["warning"][-1]
    assert not assistant.folder_run.running


def test_layers_recompute_between_two_files_of_a_run(
        qtbot, assistant_in, settled, blobs, images, chosen, monkeypatch):
    viewer, assistant = assistant_in(blobs)
    record_chain(qtbot, viewer, assistant, settled)
    reading, changed = threading.Event(), threading.Event()
    real_read = _batch.read_image

    def read(path: Any) -> np.ndarray:
        if path.name == "cells1.tif" and not changed.is_set():
            reading.set()
            changed.wait(30)
        return real_read(path)

    monkeypatch.setattr(_batch, "read_image", read)
    run = assistant.folder_run
    shown_while_running: list[tuple[bool, int]] = []
    assistant.viewer_workflow.computed.connect(
        lambda step_ids: shown_while_running.append((run.running, run.bar.value())))
    click(qtbot, assistant.action_buttons["Apply to folder"])
    qtbot.waitUntil(reading.is_set, timeout=60000)
    # the user tunes a step while the second file computes
    assistant.step_widgets["gaussian_blur"].form["sigma_x"].value = 2.0
    changed.set()
    settled(assistant)
    np.testing.assert_array_equal(viewer.layers["gaussian_blur"].data,
                                  oclip.gaussian_blur(blobs, sigma_x=2.0))
    # the layers were updated after the second file, before the run went on
    assert shown_while_running and shown_while_running[0][0]
    assert shown_while_running[0][1] < 5
    # the run computes with the workflow as it was when it started
    np.testing.assert_array_equal(
        tifffile.imread(run.summary.table.parent / "cells3_gaussian_blur.tif"),
        oclip.gaussian_blur(images["cells3"]))


def test_an_output_folder_that_cannot_be_made_is_told_and_the_dock_goes_on(
        qtbot, assistant_in, settled, blobs, images, chosen, tmp_path, notified):
    viewer, assistant = assistant_in(blobs)
    record_chain(qtbot, viewer, assistant, settled)
    (tmp_path / "in" / "oclip-results").write_text("a file where the folder would be")
    click(qtbot, assistant.action_buttons["Apply to folder"])
    settled(assistant)
    run = assistant.folder_run
    assert not run.running and run.summary is None
    assert "the folder run stopped" in notified["warning"][-1]
    assert "the folder run stopped" in run.status.text()
    # and the workflow still computes
    assistant.step_widgets["gaussian_blur"].form["sigma_x"].value = 2.0
    settled(assistant)
    np.testing.assert_array_equal(viewer.layers["gaussian_blur"].data,
                                  oclip.gaussian_blur(blobs, sigma_x=2.0))
