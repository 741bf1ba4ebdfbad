"""Ordinary mistakes and ordinary data, as a new user meets them (issue 14): a
failing step, a deleted input, RGB and raw images where labels are expected,
values beyond a parameter's range.  Each test drives the real buttons and
widgets, and a newcomer must be able to keep working without restarting."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from qtpy.QtCore import Qt

import oclip
import oclip.workflow
from oclip.napari import _dialogs


def click(qtbot: Any, button: Any) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def category(qtbot: Any, viewer: Any, assistant: Any, settled: Any, name: str,
             layer: str) -> None:
    """Select ``layer`` and click the category button ``name``, as a user does."""
    viewer.layers.selection.active = viewer.layers[layer]
    click(qtbot, assistant.category_buttons[name])
    settled(assistant)


def step_rows(assistant: Any) -> list[str]:
    return [assistant.step_list.item(i).text() for i in range(assistant.step_list.count())]


def test_a_failing_step_fails_alone(qtbot, assistant_in, settled, blobs, notified):
    viewer, assistant = assistant_in(blobs)
    other = oclip.data.blobs2d((60, 70), seed=4)
    viewer.add_image(other, name="other")
    category(qtbot, viewer, assistant, settled, "Remove noise", "image")
    category(qtbot, viewer, assistant, settled, "Projection", "gaussian_blur")  # 2D: fails
    assert len(notified["error"]) == 1 and "maximum_z_projection" in notified["error"][0]
    failing = step_rows(assistant)[-1]
    assert failing.startswith("⚠ maximum_z_projection") and "3D" in failing
    # an earlier step still computes, and the error is not told again
    assistant.step_widgets["gaussian_blur"].form["sigma_x"].value = 4.0
    settled(assistant)
    np.testing.assert_array_equal(viewer.layers["gaussian_blur"].data,
                                  oclip.gaussian_blur(blobs, sigma_x=4.0))
    assert len(notified["error"]) == 1
    # another chain computes too
    category(qtbot, viewer, assistant, settled, "Remove noise", "other")
    added = assistant.workflow.step_ids[-1]
    np.testing.assert_array_equal(viewer.layers[added].data, oclip.gaussian_blur(other))
    assert not step_rows(assistant)[-1].startswith("⚠")
    # undoing the failing step clears its error
    while "maximum_z_projection" in assistant.workflow.step_ids:
        click(qtbot, assistant.action_buttons["Undo"])
    settled(assistant)
    assert not any(row.startswith("⚠") for row in step_rows(assistant))
    assert assistant.viewer_workflow.step_errors == {}


def hover_properties(layer: Any, pixel: tuple[int, ...]) -> dict[str, str]:
    """The label value and properties napari's status bar shows with the mouse
    over ``pixel`` of ``layer`` ("[y, x]: 3; label: 3, area: 139, ...")."""
    shown = layer.get_status(pixel, world=False)["coordinates"]
    value, _, properties = shown.partition("]: ")[2].partition("; ")
    pairs = dict(item.split(": ", 1) for item in properties.split(", ") if ": " in item)
    return {"value": value, **pairs}


def test_hovering_a_label_shows_its_own_measurements(qtbot, assistant_in, settled, blobs):
    viewer, assistant = assistant_in(blobs)
    category(qtbot, viewer, assistant, settled, "Remove noise", "image")
    category(qtbot, viewer, assistant, settled, "Binarize", "gaussian_blur")
    category(qtbot, viewer, assistant, settled, "Label", "threshold_otsu")
    category(qtbot, viewer, assistant, settled, "Measure", "connected_components_labeling")
    layer = viewer.layers["connected_components_labeling"]
    table = assistant.tables[assistant.workflow.step_ids[-1]].table
    for label in (1, 2, int(layer.data.max())):
        pixel = tuple(int(i) for i in np.argwhere(layer.data == label)[0])
        row = list(table["label"]).index(label)
        shown = hover_properties(layer, pixel)
        assert shown["value"] == str(label) and shown.get("label") == str(label), shown
        assert float(shown["area"]) == pytest.approx(table["area"][row], rel=0.01)
    background = tuple(int(i) for i in np.argwhere(layer.data == 0)[0])
    assert "area" not in hover_properties(layer, background)


def test_deleting_the_input_of_one_chain_leaves_the_others_working(qtbot, assistant_in, settled,
                                                                   blobs, notified):
    viewer, assistant = assistant_in(blobs)
    nuclei = oclip.data.blobs2d((60, 70), seed=4)
    viewer.add_image(nuclei, name="nuclei")
    category(qtbot, viewer, assistant, settled, "Remove noise", "image")
    category(qtbot, viewer, assistant, settled, "Remove noise", "nuclei")
    nuclei_blur = assistant.workflow.step_ids[-1]
    viewer.layers.remove("nuclei")
    settled(assistant)
    # the other chain still recomputes
    assistant.step_widgets["gaussian_blur"].form["sigma_x"].value = 3.0
    settled(assistant)
    np.testing.assert_array_equal(viewer.layers["gaussian_blur"].data,
                                  oclip.gaussian_blur(blobs, sigma_x=3.0))
    assert "gone" in assistant.viewer_workflow.step_errors[nuclei_blur]
    assert "gaussian_blur" not in assistant.viewer_workflow.step_errors
    assert step_rows(assistant)[1].startswith("⚠")
    # a device switch recomputes what can be computed
    assistant.viewer_workflow.set_device(oclip.current_device())
    settled(assistant)
    assert "gaussian_blur" not in assistant.viewer_workflow.step_errors
    # a single-operation widget on another layer works
    _, widget = viewer.window.add_plugin_dock_widget("oclip", "Sobel")  # (under Plugins)
    widget.image.value = viewer.layers["image"]
    click(qtbot, widget.call_button.native)
    settled(assistant)
    np.testing.assert_array_equal(viewer.layers["sobel"].data, oclip.sobel(blobs))


def test_saved_and_exported_workflows_output_what_the_user_sees(qtbot, assistant_in, settled,
                                                                blobs, tmp_path, monkeypatch):
    viewer, assistant = assistant_in(blobs)
    category(qtbot, viewer, assistant, settled, "Remove noise", "image")
    category(qtbot, viewer, assistant, settled, "Binarize", "gaussian_blur")
    category(qtbot, viewer, assistant, settled, "Label", "threshold_otsu")
    category(qtbot, viewer, assistant, settled, "Measure", "connected_components_labeling")
    shown = ("gaussian_blur", "threshold_otsu", "connected_components_labeling",
             "label_statistics")
    path = tmp_path / "saved.yaml"
    monkeypatch.setattr(_dialogs, "ask_save_path", lambda *args: str(path))
    click(qtbot, assistant.action_buttons["Save workflow"])
    assert oclip.workflow.load(path).outputs == shown
    script = tmp_path / "workflow.py"
    monkeypatch.setattr(_dialogs, "ask_save_path", lambda *args: str(script))
    click(qtbot, assistant.action_buttons["Export Python script"])
    assert "connected_components_labeling, label_statistics" in script.read_text()


def test_messages_name_no_internals(qtbot, assistant_in, settled, blobs, notified):
    viewer, assistant = assistant_in(blobs)
    category(qtbot, viewer, assistant, settled, "Process labels", "image")
    assert not assistant.workflow.steps
    assert notified["info"] == ["oclip: no 'Process labels' operation takes an image layer: "
                                "select a labels layer"]
    messages = [m for shown in notified.values() for m in shown]
    assert not any("Proxy" in m or "Layer" in m for m in messages)


def test_measure_on_a_raw_image_measures_the_whole_image(qtbot, assistant_in, settled, blobs,
                                                         notified):
    viewer, assistant = assistant_in(blobs)
    category(qtbot, viewer, assistant, settled, "Measure", "image")
    measured = assistant.workflow.step_ids[-1]
    assert assistant.workflow.step(measured).op == "statistics_of_image"
    assert f"oclip table: {measured}" in viewer.window.dock_widgets  # a one-row table
    table = assistant.tables[measured]
    assert table.view.rowCount() == 1
    np.testing.assert_array_equal(table.table["maximum"],
                                  oclip.statistics_of_image(blobs)["maximum"])
    assert not notified["info"]
    widget = assistant.step_widgets[measured]
    widget.operation_box.setCurrentText("mean_of_all_pixels")  # the user picks a scalar
    settled(assistant)
    assert widget.result_label.isVisibleTo(widget)
    assert widget.result_label.text() == f"result: {float(blobs.astype(np.float64).mean()):.6g}"
    category(qtbot, viewer, assistant, settled, "Label", "image")  # the image still labels
    assert assistant.workflow.steps[-1].op == "voronoi_otsu_labeling"


def test_a_channel_axis_is_not_time(qtbot, assistant_in, settled, notified):
    channels = np.stack([np.stack([oclip.data.blobs2d((30, 40), seed=c + z) for z in range(5)])
                         for c in range(2)])
    viewer, assistant = assistant_in(channels, axis_labels=("c", "z", "y", "x"))
    category(qtbot, viewer, assistant, settled, "Remove noise", "image")
    assert "gaussian_blur" not in viewer.layers  # not one channel's blur, as a time point
    error = assistant.viewer_workflow.step_errors["gaussian_blur"]
    assert "4D" in error and "channels" in error  # the whole (c, z, y, x) array, refused
    assert not assistant.action_buttons["Apply to all time points"].isEnabled()
    assistant.viewer_workflow.apply_to_all_time_points()  # as if clicked
    settled(assistant)
    assert "no time-lapse input" in notified["warning"][-1]
    assert not any("all time points" in layer.name for layer in viewer.layers)
    # labelled as time, the same array is a time-lapse of 3D stacks
    viewer.layers["image"].axis_labels = ("t", "z", "y", "x")
    viewer.layers["image"].data = channels.copy()  # an edit recomputes
    settled(assistant)
    assert "gaussian_blur" not in assistant.viewer_workflow.step_errors
    assert viewer.layers["gaussian_blur"].data.shape == (5, 30, 40)
    assert assistant.action_buttons["Apply to all time points"].isEnabled()


def type_into(qtbot: Any, widget: Any, text: str) -> None:
    """Select a spin box's text and type ``text`` then Enter, as a user does."""
    spin = widget.native
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, text)
    qtbot.keyClick(spin, Qt.Key.Key_Return)


def test_a_typed_value_beyond_the_maximum_is_clamped_visibly(qtbot, assistant_in, settled, blobs,
                                                             notified):
    viewer, assistant = assistant_in(blobs)
    category(qtbot, viewer, assistant, settled, "Remove noise", "image")
    sigma = assistant.step_widgets["gaussian_blur"].form["sigma_x"]
    type_into(qtbot, sigma, "5000")
    settled(assistant)
    assert sigma.value == 1000.0
    assert assistant.workflow.step("gaussian_blur").params["sigma_x"] == 1000.0
    assert any("sigma_x" in m and "1000" in m and "5000" in m for m in notified["warning"])
    type_into(qtbot, sigma, "7")  # within the range: taken as typed, nothing said
    settled(assistant)
    assert assistant.workflow.step("gaussian_blur").params["sigma_x"] == 7.0
    assert len(notified["warning"]) == 1


def test_an_rgb_layer_gets_a_clear_message_and_the_session_goes_on(qtbot, assistant_in, settled,
                                                                   blobs, notified, tmp_path):
    viewer, assistant = assistant_in(blobs)
    photo = np.stack([blobs, blobs[::-1], blobs[:, ::-1]], axis=-1)
    viewer.add_image(photo, name="photo", rgb=True)
    category(qtbot, viewer, assistant, settled, "Remove noise", "photo")
    assert not assistant.workflow.steps
    assert "RGB" in notified["warning"][-1] and "Split RGB" in notified["warning"][-1]
    assert [layer.name for layer in viewer.layers] == ["image", "photo"]
    category(qtbot, viewer, assistant, settled, "Remove noise", "image")  # still working
    np.testing.assert_array_equal(viewer.layers["gaussian_blur"].data, oclip.gaussian_blur(blobs))
    _, widget = viewer.window.add_plugin_dock_widget("oclip", "Gaussian blur")
    widget.image.value = viewer.layers["photo"]  # a single-operation widget: said too
    click(qtbot, widget.call_button.native)
    settled(assistant)
    assert "RGB" in notified["warning"][-1] and assistant.workflow.step_ids == ("gaussian_blur",)
    path = tmp_path / "saved.yaml"  # loading onto the RGB layer: said, nothing changed
    assistant.save_workflow(str(path))
    viewer.layers.selection.active = viewer.layers["photo"]
    assistant.load_workflow(str(path))
    settled(assistant)
    assert "RGB" in notified["warning"][-1]
    assert assistant.viewer_workflow.layers.input_layer("image") is viewer.layers["image"]
    assert assistant.viewer_workflow.step_errors == {}


def test_answering_no_gives_the_layer_back_where_it_was(qtbot, assistant_in, settled, blobs,
                                                        answers):
    viewer, assistant = assistant_in(blobs)
    category(qtbot, viewer, assistant, settled, "Remove noise", "image")
    category(qtbot, viewer, assistant, settled, "Binarize", "gaussian_blur")
    category(qtbot, viewer, assistant, settled, "Label", "threshold_otsu")
    order = [layer.name for layer in viewer.layers]
    viewer.layers.selection.active = viewer.layers["threshold_otsu"]
    viewer.layers.remove_selected()  # read by the labelling: asked, answered no
    qtbot.waitUntil(lambda: "threshold_otsu" in viewer.layers)
    assert answers.asked and [layer.name for layer in viewer.layers] == order
    assert viewer.layers.selection.active is viewer.layers["threshold_otsu"]
    assert assistant.steps.currentWidget() is assistant.step_widgets["threshold_otsu"]


def test_a_closed_table_reopens_and_an_undone_measure_leaves_nothing_stale(qtbot, assistant_in,
                                                                          settled, blobs):
    viewer, assistant = assistant_in(blobs)
    category(qtbot, viewer, assistant, settled, "Remove noise", "image")
    category(qtbot, viewer, assistant, settled, "Binarize", "gaussian_blur")
    category(qtbot, viewer, assistant, settled, "Label", "threshold_otsu")
    category(qtbot, viewer, assistant, settled, "Measure", "connected_components_labeling")
    measured = assistant.workflow.step_ids[-1]
    dock_name = f"oclip table: {measured}"
    dock = viewer.window.dock_widgets[dock_name].parent()  # napari's dock wrapper
    click(qtbot, dock.title.close_button)  # the dock's x
    qtbot.waitUntil(lambda: dock_name not in viewer.window.dock_widgets)
    widget = assistant.step_widgets[measured]
    assert widget.table_button.isVisibleTo(widget)
    click(qtbot, widget.table_button)
    assert viewer.window.dock_widgets[dock_name] is assistant.tables[measured]
    labels = viewer.layers["connected_components_labeling"]
    assert "area" in labels.features
    click(qtbot, assistant.action_buttons["Undo"])  # the Measure step goes
    settled(assistant)
    assert measured not in assistant.tables and dock_name not in viewer.window.dock_widgets
    assert "area" not in labels.features
    assert not assistant.step_widgets["gaussian_blur"].table_button.isVisibleTo(
        assistant.step_widgets["gaussian_blur"])


def test_apply_to_all_time_points_shows_progress_and_replaces_its_layers(qtbot, assistant_in,
                                                                        settled, blobs):
    from napari.utils import progress

    movie = np.stack([oclip.data.blobs2d((40, 50), seed=t) for t in range(4)])
    viewer, assistant = assistant_in(blobs)
    apply = assistant.action_buttons["Apply to all time points"]
    category(qtbot, viewer, assistant, settled, "Remove noise", "image")
    assert not apply.isEnabled()  # a 2D image: no time points to apply to
    viewer.add_image(movie, name="movie", axis_labels=("t", "y", "x"))
    category(qtbot, viewer, assistant, settled, "Remove noise", "movie")
    assert apply.isEnabled()
    seen: list[int] = []
    earlier = set(progress._all_instances)  # bars of earlier tests may not be collected yet
    click(qtbot, apply)
    bar = next(b for b in set(progress._all_instances) - earlier if "all time points" in b.desc)
    bar.events.value.connect(lambda event: seen.append(event.value))
    assert not apply.isEnabled()  # while it runs
    stacked = f"{assistant.workflow.step_ids[-1]} (all time points)"
    qtbot.waitUntil(lambda: stacked in viewer.layers, timeout=60000)
    settled(assistant)
    assert seen and seen[-1] == 4 and apply.isEnabled()
    first = viewer.layers[stacked]
    click(qtbot, apply)  # again: the same layers, replaced
    qtbot.waitUntil(lambda: apply.isEnabled(), timeout=60000)
    settled(assistant)
    assert [layer.name for layer in viewer.layers].count(stacked) == 1
    assert not any("[1]" in layer.name or layer.name.endswith(" [1]") for layer in viewer.layers)
    assert viewer.layers[stacked] is first


def test_all_time_points_labels_show_the_shown_frame_measurements(qtbot, assistant_in, settled):
    movie = np.stack([oclip.data.blobs2d((60, 70), seed=t) for t in range(3)])
    viewer, assistant = assistant_in(movie, axis_labels=("t", "y", "x"))
    category(qtbot, viewer, assistant, settled, "Remove noise", "image")
    category(qtbot, viewer, assistant, settled, "Binarize", "gaussian_blur")
    category(qtbot, viewer, assistant, settled, "Label", "threshold_otsu")
    category(qtbot, viewer, assistant, settled, "Measure", "connected_components_labeling")
    click(qtbot, assistant.action_buttons["Apply to all time points"])
    measured = f"{assistant.workflow.step_ids[-1]} (all time points)"
    qtbot.waitUntil(lambda: measured in assistant.tables, timeout=60000)
    settled(assistant)
    stacked = viewer.layers["connected_components_labeling (all time points)"]
    table = assistant.tables[measured].table
    for frame in (2, 1):
        viewer.dims.set_current_step(0, frame)
        pixel = tuple(int(i) for i in np.argwhere(stacked.data[frame] == 2)[0])
        row = np.flatnonzero((table["frame"] == frame) & (table["label"] == 2))[0]
        shown = hover_properties(stacked, (frame, *pixel))
        assert shown["value"] == "2" and shown["label"] == "2", shown
        assert float(shown["area"]) == pytest.approx(table["area"][row], rel=0.01)
