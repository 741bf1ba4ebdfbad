"""The Assistant as a user drives it: buttons, parameters, undo, files, time, tables."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from qtpy.QtCore import Qt

import oclip
import oclip.workflow
from oclip.napari import _dialogs
from oclip.ops import CATEGORIES

from .conftest import napari


def click(qtbot: Any, button: Any) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def build_three_steps(qtbot, viewer, assistant, settled) -> None:
    """blur → threshold → label, by clicking, each on the previous result."""
    for category, layer in [("Remove noise", "image"), ("Binarize", "gaussian_blur"),
                            ("Label", "threshold_otsu")]:
        viewer.layers.selection.active = viewer.layers[layer]
        click(qtbot, assistant.category_buttons[category])
        settled(assistant)


def test_buttons_have_tooltips(assistant_in):
    _, assistant = assistant_in()
    assert list(assistant.category_buttons) == list(CATEGORIES)
    for button in [*assistant.category_buttons.values(), *assistant.action_buttons.values()]:
        assert button.toolTip()
    assert set(assistant.action_buttons) == {
        "Undo", "Redo", "Save workflow", "Load workflow", "Export Python script",
        "Export notebook", "Apply to all time points", "Apply to folder"}


def test_category_click_adds_a_step_and_its_result_layer(qtbot, assistant_in, settled, blobs):
    viewer, assistant = assistant_in(blobs, scale=(0.5, 0.25), translate=(3, 4))
    viewer.layers.selection.active = viewer.layers["image"]
    click(qtbot, assistant.category_buttons["Remove noise"])
    settled(assistant)
    result = viewer.layers["gaussian_blur"]
    np.testing.assert_array_equal(result.data, oclip.gaussian_blur(blobs))
    assert tuple(result.scale) == (0.5, 0.25) and tuple(result.translate) == (3, 4)
    assert assistant.workflow.inputs == ("image",)
    assert assistant.workflow.step("gaussian_blur").inputs == {"image": "image"}
    assert assistant.steps.currentWidget() is assistant.step_widgets["gaussian_blur"]


def test_without_a_selected_layer_nothing_is_added(qtbot, assistant_in):
    _, assistant = assistant_in()
    click(qtbot, assistant.category_buttons["Remove noise"])
    assert not assistant.workflow.steps


def test_three_steps_give_what_direct_calls_give(qtbot, assistant_in, settled, blobs):
    viewer, assistant = assistant_in(blobs)
    build_three_steps(qtbot, viewer, assistant, settled)
    labels = viewer.layers["connected_components_labeling"]
    assert isinstance(labels, napari.layers.Labels)
    expected = oclip.connected_components_labeling(oclip.threshold_otsu(oclip.gaussian_blur(blobs)))
    np.testing.assert_array_equal(labels.data, expected)
    assert [s.op for s in assistant.workflow.steps] == [
        "gaussian_blur", "threshold_otsu", "connected_components_labeling"]


def test_parameter_change_recomputes_that_step_and_the_ones_after(qtbot, assistant_in,
                                                                  settled, blobs):
    viewer, assistant = assistant_in(blobs)
    build_three_steps(qtbot, viewer, assistant, settled)
    recorded = assistant.viewer_workflow
    labeling = assistant.step_widgets["connected_components_labeling"]
    labeling.form["connectivity"].value = "diamond"
    settled(assistant)
    assert recorded._last_run.results.computed == ("connected_components_labeling",)
    assistant.step_widgets["gaussian_blur"].form["sigma_x"].value = 3.0
    settled(assistant)
    assert recorded._last_run.results.computed == (
        "gaussian_blur", "threshold_otsu", "connected_components_labeling")
    expected = oclip.connected_components_labeling(
        oclip.threshold_otsu(oclip.gaussian_blur(blobs, sigma_x=3.0)), connectivity="diamond")
    np.testing.assert_array_equal(viewer.layers["connected_components_labeling"].data, expected)


def test_operation_chooser_changes_the_step(qtbot, assistant_in, settled, blobs):
    viewer, assistant = assistant_in(blobs)
    viewer.layers.selection.active = viewer.layers["image"]
    click(qtbot, assistant.category_buttons["Remove noise"])
    settled(assistant)
    assistant.step_widgets["gaussian_blur"].operation_box.setCurrentText("maximum_box")
    settled(assistant)
    assert assistant.workflow.step("gaussian_blur").op == "maximum_box"
    np.testing.assert_array_equal(viewer.layers["gaussian_blur"].data, oclip.maximum_box(blobs))
    assert "radius_x" in [w.name for w in assistant.step_widgets["gaussian_blur"].form]


def test_undo_and_redo(qtbot, assistant_in, settled, blobs):
    viewer, assistant = assistant_in(blobs)
    viewer.layers.selection.active = viewer.layers["image"]
    click(qtbot, assistant.category_buttons["Remove noise"])
    settled(assistant)
    widget = assistant.step_widgets["gaussian_blur"]
    for value in (1.5, 2.0, 2.5):  # one parameter dragged: one undo step
        widget.form["sigma_x"].value = value
    settled(assistant)
    click(qtbot, assistant.action_buttons["Undo"])
    settled(assistant)
    assert assistant.workflow.step("gaussian_blur").params.get("sigma_x", 1.0) == 1.0
    assert widget.form["sigma_x"].value == 1.0
    np.testing.assert_array_equal(viewer.layers["gaussian_blur"].data, oclip.gaussian_blur(blobs))
    click(qtbot, assistant.action_buttons["Undo"])  # removes the step and its layer
    settled(assistant)
    assert not assistant.workflow.steps and "gaussian_blur" not in viewer.layers
    click(qtbot, assistant.action_buttons["Redo"])
    click(qtbot, assistant.action_buttons["Redo"])
    settled(assistant)
    assert assistant.workflow.step("gaussian_blur").params["sigma_x"] == 2.5
    np.testing.assert_array_equal(viewer.layers["gaussian_blur"].data,
                                  oclip.gaussian_blur(blobs, sigma_x=2.5))
    assert not assistant.action_buttons["Redo"].isEnabled()


def test_save_then_load_onto_another_image(qtbot, assistant_in, settled, blobs, tmp_path):
    viewer, assistant = assistant_in(blobs)
    build_three_steps(qtbot, viewer, assistant, settled)
    path = tmp_path / "workflow.yaml"
    assistant.save_workflow(str(path))
    # saved with the steps shown as its outputs (issue 14); loading shows every step
    assert oclip.workflow.load(path) == assistant.workflow.with_outputs(
        assistant.workflow.step_ids)

    other = oclip.data.blobs2d((80, 70), seed=5)
    viewer2, assistant2 = assistant_in(other)
    viewer2.layers.selection.active = viewer2.layers["image"]
    assistant2.load_workflow(str(path))
    settled(assistant2)
    assert assistant2.workflow == assistant.workflow
    expected = oclip.connected_components_labeling(oclip.threshold_otsu(oclip.gaussian_blur(other)))
    np.testing.assert_array_equal(viewer2.layers["connected_components_labeling"].data, expected)
    assert set(assistant2.step_widgets) == set(assistant.workflow.step_ids)


def test_exported_script_runs_alone_and_gives_the_same_labels(qtbot, assistant_in, settled,
                                                              blobs, tmp_path):
    tifffile = pytest.importorskip("tifffile")
    viewer, assistant = assistant_in(blobs)
    build_three_steps(qtbot, viewer, assistant, settled)
    script = tmp_path / "workflow.py"
    assistant.export("script", str(script))
    tifffile.imwrite(tmp_path / "blobs.tif", blobs)
    done = subprocess.run([sys.executable, str(script), str(tmp_path / "blobs.tif"), "-o",
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    written = tifffile.imread(tmp_path / "out" / "blobs_connected_components_labeling.tif")
    np.testing.assert_array_equal(written, viewer.layers["connected_components_labeling"].data)
    notebook = tmp_path / "workflow.ipynb"
    assistant.export("notebook", str(notebook))
    assert '"cell_type": "markdown"' in notebook.read_text()


def test_file_buttons_ask_for_paths(qtbot, assistant_in, settled, blobs, tmp_path, monkeypatch):
    viewer, assistant = assistant_in(blobs)
    viewer.layers.selection.active = viewer.layers["image"]
    click(qtbot, assistant.category_buttons["Remove noise"])
    settled(assistant)
    path = tmp_path / "saved.yaml"
    monkeypatch.setattr(_dialogs, "ask_save_path", lambda *args: str(path))
    click(qtbot, assistant.action_buttons["Save workflow"])
    assert oclip.workflow.load(path) == assistant.workflow.with_outputs(["gaussian_blur"])
    monkeypatch.setattr(_dialogs, "ask_save_path", lambda *args: "")  # cancelled
    click(qtbot, assistant.action_buttons["Export Python script"])
    assert not (tmp_path / "workflow.py").exists()


def test_selecting_a_result_layer_shows_its_step(qtbot, assistant_in, settled, blobs):
    viewer, assistant = assistant_in(blobs)
    build_three_steps(qtbot, viewer, assistant, settled)
    viewer.layers.selection.active = viewer.layers["gaussian_blur"]
    assert assistant.steps.currentWidget() is assistant.step_widgets["gaussian_blur"]
    viewer.layers.selection.active = viewer.layers["threshold_otsu"]
    assert assistant.steps.currentWidget() is assistant.step_widgets["threshold_otsu"]


def test_step_list_shows_the_chain_and_selects(qtbot, assistant_in, settled, blobs):
    viewer, assistant = assistant_in(blobs)
    build_three_steps(qtbot, viewer, assistant, settled)
    rows = [assistant.step_list.item(i).text() for i in range(assistant.step_list.count())]
    assert rows == ["gaussian_blur ← image", "threshold_otsu ← gaussian_blur",
                    "connected_components_labeling ← threshold_otsu"]
    assistant.step_widgets["gaussian_blur"].operation_box.setCurrentText("mean_box")
    settled(assistant)
    assert assistant.step_list.item(0).text() == "gaussian_blur = mean_box ← image"
    assistant.step_list.setCurrentRow(1)
    assert assistant.steps.currentWidget() is assistant.step_widgets["threshold_otsu"]
    assert viewer.layers.selection.active.name == "threshold_otsu"


def test_deleting_a_result_layer(qtbot, assistant_in, settled, blobs, answers):
    viewer, assistant = assistant_in(blobs)
    build_three_steps(qtbot, viewer, assistant, settled)
    viewer.layers.remove("connected_components_labeling")  # a leaf: its step goes
    settled(assistant)
    assert "connected_components_labeling" not in assistant.workflow.step_ids
    assert not answers.asked
    viewer.layers.remove("gaussian_blur")  # read by threshold_otsu: asked, answered no
    qtbot.waitUntil(lambda: "gaussian_blur" in viewer.layers)
    assert "threshold_otsu" in answers.asked[0]
    assert assistant.workflow.step_ids == ("gaussian_blur", "threshold_otsu")
    answers.replies.append(True)
    viewer.layers.remove("gaussian_blur")  # answered yes: the follower goes too
    qtbot.waitUntil(lambda: not assistant.workflow.steps)
    settled(assistant)
    assert "threshold_otsu" not in viewer.layers


def test_editing_the_input_recomputes(qtbot, assistant_in, settled, blobs):
    viewer, assistant = assistant_in(blobs)
    viewer.layers.selection.active = viewer.layers["image"]
    click(qtbot, assistant.category_buttons["Remove noise"])
    settled(assistant)
    edited = blobs.copy()
    edited[:20] = 255
    viewer.layers["image"].data = edited
    settled(assistant)
    np.testing.assert_array_equal(viewer.layers["gaussian_blur"].data, oclip.gaussian_blur(edited))


def test_errors_are_notified_and_keep_the_previous_result(qtbot, assistant_in, settled, blobs,
                                                         monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr(_dialogs, "show_error", shown.append)
    viewer, assistant = assistant_in(blobs)
    viewer.add_image(blobs[:50], name="small")
    viewer.layers.selection.active = viewer.layers["image"]
    click(qtbot, assistant.category_buttons["Combine"])
    settled(assistant)
    before = viewer.layers["add_images"].data.copy()
    step = assistant.workflow.step("add_images")
    assistant.viewer_workflow.editor.change_step(step.id,
                                                 layers={"image2": viewer.layers["small"]})
    settled(assistant)
    assert shown and "same shape" in shown[-1]
    np.testing.assert_array_equal(viewer.layers["add_images"].data, before)


def test_time_slider_computes_the_shown_time_point(qtbot, assistant_in, settled):
    movie = np.stack([oclip.data.blobs2d((40, 50), seed=t) for t in range(4)])
    viewer, assistant = assistant_in(movie, axis_labels=("t", "y", "x"))
    viewer.dims.set_current_step(0, 2)
    viewer.layers.selection.active = viewer.layers["image"]
    click(qtbot, assistant.category_buttons["Remove noise"])
    settled(assistant)
    np.testing.assert_array_equal(viewer.layers["gaussian_blur"].data,
                                  oclip.gaussian_blur(movie[2]))
    viewer.dims.set_current_step(0, 3)
    settled(assistant)
    np.testing.assert_array_equal(viewer.layers["gaussian_blur"].data,
                                  oclip.gaussian_blur(movie[3]))
    click(qtbot, assistant.action_buttons["Apply to all time points"])
    qtbot.waitUntil(lambda: "gaussian_blur (all time points)" in viewer.layers, timeout=60000)
    stacked = viewer.layers["gaussian_blur (all time points)"].data
    np.testing.assert_array_equal(stacked, np.stack([oclip.gaussian_blur(f) for f in movie]))


def test_all_time_points_give_what_run_time_lapse_gives(qtbot, assistant_in, settled):
    movie = np.stack([oclip.data.blobs2d((40, 50), seed=t) for t in range(3)])
    viewer, assistant = assistant_in(movie, axis_labels=("t", "y", "x"))
    flat = viewer.add_image(np.full((40, 50), 2, np.uint8), name="flat")  # no time axis
    workflow = (oclip.workflow.Workflow(inputs=["image", "flat"])
                .add_step("gaussian_blur", {"image": "flat"}, id="flat_blurred")
                .add_step("add_images", {"image1": "image", "image2": "flat_blurred"},
                          id="summed")
                .add_step("threshold_otsu", {"image": "summed"}, id="binary")
                .add_step("connected_components_labeling", {"binary": "binary"}, id="labels")
                .add_step("label_statistics", {"image": "summed", "labels": "labels"},
                          id="statistics"))
    assistant.viewer_workflow.editor.load(workflow, {"image": viewer.layers["image"],
                                                     "flat": flat})
    settled(assistant)
    click(qtbot, assistant.action_buttons["Apply to all time points"])
    qtbot.waitUntil(lambda: "statistics (all time points)" in assistant.tables, timeout=60000)
    expected = workflow.run_time_lapse({"image": movie, "flat": flat.data}, static=["flat"],
                                       outputs=workflow.step_ids)
    np.testing.assert_array_equal(viewer.layers["labels (all time points)"].data,
                                  expected["labels"])
    table = assistant.tables["statistics (all time points)"].table
    assert list(table) == list(expected["statistics"])
    for column, values in expected["statistics"].items():  # the frame column too
        assert table[column].dtype == values.dtype
        np.testing.assert_array_equal(table[column], values)


def test_operation_widgets_record_steps_too(qtbot, assistant_in, settled, blobs):
    viewer, assistant = assistant_in(blobs)
    _, widget = viewer.window.add_plugin_dock_widget("oclip", "Gaussian blur")
    widget.image.value = viewer.layers["image"]
    widget.sigma_x.value = 2.0
    click(qtbot, widget.call_button.native)
    settled(assistant)
    assert assistant.workflow.step("gaussian_blur").params["sigma_x"] == 2.0
    np.testing.assert_array_equal(viewer.layers["gaussian_blur"].data,
                                  oclip.gaussian_blur(blobs, sigma_x=2.0))
    widget.sigma_x.value = 4.0  # running the same widget again changes its step
    click(qtbot, widget.call_button.native)
    settled(assistant)
    assert len(assistant.workflow.steps) == 1
    assert assistant.step_widgets["gaussian_blur"].form["sigma_x"].value == 4.0


def test_device_box_lists_the_devices(assistant_in):
    _, assistant = assistant_in()
    names = [assistant.device_box.itemData(i).name for i in range(assistant.device_box.count())]
    assert names == [d.name for d in oclip.devices()]
    assert assistant.device_box.currentData() == oclip.current_device()


def test_categories_start_with_the_preferred_operation_for_the_layer_kind(qtbot, assistant_in,
                                                                         settled, blobs):
    from oclip.napari._assistant import PREFERRED

    viewer, assistant = assistant_in(blobs)
    for category, preferred in PREFERRED.items():
        for name in preferred:
            assert oclip.get_operation(name).category == category
    viewer.layers.selection.active = viewer.layers["image"]
    click(qtbot, assistant.category_buttons["Binarize"])
    settled(assistant)
    assert assistant.workflow.step_ids[-1] == "threshold_otsu"
    viewer.layers.selection.active = viewer.layers["threshold_otsu"]  # a labels layer
    click(qtbot, assistant.category_buttons["Label"])
    settled(assistant)
    assert assistant.workflow.steps[-1].op == "connected_components_labeling"


def test_measure_shows_a_table_and_stores_it_as_features(qtbot, assistant_in, settled, blobs,
                                                         tmp_path):
    viewer, assistant = assistant_in(blobs)
    build_three_steps(qtbot, viewer, assistant, settled)
    viewer.layers.selection.active = viewer.layers["connected_components_labeling"]
    click(qtbot, assistant.category_buttons["Measure"])
    settled(assistant)
    step = assistant.workflow.steps[-1]
    assert step.op == "label_statistics"
    assert step.inputs == {"image": "image", "labels": "connected_components_labeling"}
    labels = viewer.layers["connected_components_labeling"].data
    expected = oclip.label_statistics(blobs, labels)
    table = assistant.tables[step.id]
    assert table.view.rowCount() == labels.max() == len(expected["label"])
    np.testing.assert_array_equal(table.table["area"], expected["area"])
    features = viewer.layers["connected_components_labeling"].features
    np.testing.assert_array_equal(np.asarray(features["intensity_mean"]),
                                  expected["intensity_mean"])
    path = tmp_path / "table.csv"
    table.save_csv(path)
    header, *rows = path.read_text().splitlines()
    assert header.split(",")[:2] == list(expected)[:2] and len(rows) == labels.max()
    table.view.sortItems(list(table.table).index("area"))  # sortable by number
    areas = [float(table.view.item(r, list(table.table).index("area")).text())
             for r in range(table.view.rowCount())]
    assert areas == sorted(areas)
    table.copy_to_clipboard()
    from qtpy.QtWidgets import QApplication

    assert QApplication.clipboard().text().splitlines()[0].split("\t") == list(expected)
