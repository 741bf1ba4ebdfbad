"""The dock as a person meets it (issue 14, friction 3, 4, 8, 6): readable errors,
removing steps, finding operations by typing, a layout that can be read."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from qtpy.QtCore import Qt

import oclip
from oclip.napari import _dialogs

from .conftest import napari


def click(qtbot: Any, widget: Any) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def category(qtbot: Any, viewer: Any, assistant: Any, settled: Any, name: str,
             layer: str) -> str:
    """Select ``layer``, click the category button ``name``; the new step's id."""
    viewer.layers.selection.active = viewer.layers[layer]
    click(qtbot, assistant.category_buttons[name])
    settled(assistant)
    return assistant.workflow.step_ids[-1]


def rows(assistant: Any) -> list[str]:
    return [assistant.step_list.item(i).text() for i in range(assistant.step_list.count())]


@pytest.fixture
def details(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    """The (title, message, details) of every error details dialog shown."""
    shown: list[tuple[str, str, str]] = []
    monkeypatch.setattr(_dialogs, "show_details",
                        lambda parent, title, message, more: shown.append((title, message, more)))
    return shown


# --- friction 3: errors a person can read ------------------------------------------------

def test_a_failed_step_says_its_reason_first_and_keeps_the_detail_a_click_away(
        qtbot, assistant_in, settled, blobs, notified, details):
    viewer, assistant = assistant_in(blobs)
    viewer.layers["image"].name = "blobs"
    step = category(qtbot, viewer, assistant, settled, "Projection", "blobs")  # 2D: fails
    assert notified["error"] == ["oclip: maximum_z_projection needs a 3D image: blobs is 2D"]
    assert rows(assistant) == ["⚠ maximum_z_projection needs a 3D image: blobs is 2D"]
    tooltip = assistant.step_list.item(0).toolTip()
    assert "shape (96, 120)" in tooltip and "give a stack of images" in tooltip
    panel = assistant.step_panel
    assert panel.details_button.isEnabled()
    click(qtbot, panel.details_button)
    (title, message, traceback), = details
    assert title == f"Step '{step}' failed"
    assert message == assistant.viewer_workflow.step_errors[step]
    assert "must be a 3D image" in message
    assert traceback.startswith("Traceback") and "ValueError" in traceback


def test_a_long_reason_is_cut_at_its_hint(qtbot, assistant_in, settled, blobs, notified):
    viewer, assistant = assistant_in(blobs)
    recorded = assistant.viewer_workflow
    step = recorded.editor.add_step("crop", {"image": viewer.layers["image"]},
                                    {"start_x": 500, "size_x": 50, "size_y": 40})
    settled(assistant)
    full = recorded.step_errors[step]
    (shown,) = notified["error"]
    assert shown.startswith(f"oclip: {step}: ") and "start_x" in shown
    assert "step '" not in shown and len(shown) <= len("oclip: ") + 90 < len(full) + 7


def test_a_step_that_computes_has_no_error_details(qtbot, assistant_in, settled, blobs):
    viewer, assistant = assistant_in(blobs)
    category(qtbot, viewer, assistant, settled, "Remove noise", "image")
    assert not assistant.step_panel.details_button.isEnabled()
    assert assistant.step_panel.remove_button.isEnabled()


# --- friction 4: removing a step ---------------------------------------------------------

def chain(qtbot: Any, viewer: Any, assistant: Any, settled: Any) -> tuple[str, str, str]:
    blur = category(qtbot, viewer, assistant, settled, "Remove noise", "image")
    otsu = category(qtbot, viewer, assistant, settled, "Binarize", blur)
    label = category(qtbot, viewer, assistant, settled, "Label", otsu)
    return blur, otsu, label


def test_remove_step_removes_a_last_step_and_undo_brings_it_back(qtbot, assistant_in, settled,
                                                                  blobs, answers):
    viewer, assistant = assistant_in(blobs)
    blur, otsu, label = chain(qtbot, viewer, assistant, settled)
    assistant.step_list.setCurrentRow(2)
    click(qtbot, assistant.step_panel.remove_button)
    settled(assistant)
    assert not answers.asked  # nothing reads it: no question
    assert assistant.workflow.step_ids == (blur, otsu)
    assert label not in viewer.layers and rows(assistant)[-1].startswith(otsu)
    click(qtbot, assistant.action_buttons["Undo"])
    settled(assistant)
    assert assistant.workflow.step_ids == (blur, otsu, label)
    np.testing.assert_array_equal(viewer.layers[label].data, oclip.connected_components_labeling(
        oclip.threshold_otsu(oclip.gaussian_blur(blobs))))


def test_remove_step_asks_about_its_followers(qtbot, assistant_in, settled, blobs, answers):
    viewer, assistant = assistant_in(blobs)
    blur, otsu, label = chain(qtbot, viewer, assistant, settled)
    assistant.step_list.setCurrentRow(0)
    answers.replies = [False]
    click(qtbot, assistant.step_panel.remove_button)
    settled(assistant)
    assert answers.asked == [_dialogs_question(blur, (otsu, label))]
    assert assistant.workflow.step_ids == (blur, otsu, label)  # "No": nothing removed
    assert {blur, otsu, label} <= {layer.name for layer in viewer.layers}
    answers.replies = [True]
    click(qtbot, assistant.step_panel.remove_button)
    settled(assistant)
    assert assistant.workflow.step_ids == ()
    assert [layer.name for layer in viewer.layers] == ["image"]
    click(qtbot, assistant.action_buttons["Undo"])  # one undo brings the three back
    settled(assistant)
    assert assistant.workflow.step_ids == (blur, otsu, label)
    assert {blur, otsu, label} <= {layer.name for layer in viewer.layers}


def _dialogs_question(step_id: str, followers: tuple[str, ...]) -> str:
    return (f"Step '{step_id}' is read by {', '.join(followers)}. "
            "Remove those steps too?")


def test_the_context_menu_removes_the_step(qtbot, assistant_in, settled, blobs, answers):
    viewer, assistant = assistant_in(blobs)
    blur = category(qtbot, viewer, assistant, settled, "Remove noise", "image")
    assistant.step_list.setCurrentRow(0)
    menu = assistant.step_panel.context_menu()
    remove = next(a for a in menu.actions() if a.text() == "Remove step")
    details = next(a for a in menu.actions() if a.text() == "Error details...")
    assert not details.isEnabled()
    remove.trigger()
    settled(assistant)
    assert blur not in assistant.workflow.step_ids and blur not in viewer.layers


def test_a_result_layer_is_named_after_the_operation_it_holds(qtbot, assistant_in, settled,
                                                              blobs):
    viewer, assistant = assistant_in(blobs)
    blur = category(qtbot, viewer, assistant, settled, "Remove noise", "image")
    chooser = assistant.step_widgets[blur].operation_box
    chooser.setCurrentText("median_box")
    settled(assistant)
    assert "gaussian_blur" not in viewer.layers
    np.testing.assert_array_equal(viewer.layers["median_box"].data, oclip.median_box(blobs))
    click(qtbot, assistant.action_buttons["Undo"])  # back to the blur: back to its name
    settled(assistant)
    np.testing.assert_array_equal(viewer.layers["gaussian_blur"].data, oclip.gaussian_blur(blobs))
    viewer.layers["gaussian_blur"].name = "smooth nuclei"  # the user's name stays
    chooser.setCurrentText("mean_box")
    settled(assistant)
    assert [layer.name for layer in viewer.layers] == ["image", "smooth nuclei"]
    np.testing.assert_array_equal(viewer.layers["smooth nuclei"].data, oclip.mean_box(blobs))
    assert assistant.workflow.step_ids == (blur,)


def test_a_layer_remade_for_another_kind_is_named_after_its_operation(qtbot, assistant_in,
                                                                      settled, blobs):
    viewer, assistant = assistant_in(blobs)
    step = category(qtbot, viewer, assistant, settled, "Combine", "image")
    assistant.step_widgets[step].operation_box.setCurrentText("binary_and")
    settled(assistant)
    assert isinstance(viewer.layers["binary_and"], napari.layers.Labels)
    assert step not in viewer.layers


# --- friction 8: finding an operation by typing ------------------------------------------

def test_typing_finds_operations_by_name_and_summary_in_every_category(qtbot, assistant_in):
    _, assistant = assistant_in()
    search = assistant.search
    assert not search.results.isVisible()
    qtbot.keyClicks(search.box, "median")
    assert search.shown()[:2] == ["median_box", "median_sphere"]  # names first
    assert "median_z_projection" in search.shown()  # another category
    search.box.clear()
    qtbot.keyClicks(search.box, "dilation")  # "(grey dilation)" is in maximum_box's summary
    found = search.shown()
    assert {"maximum_box", "maximum_sphere", "binary_dilation_box"} <= set(found)
    assert found.index("binary_dilation_box") < found.index("maximum_box")
    search.box.clear()
    qtbot.keyClicks(search.box, "otsu label")  # every word, in the name or the summary
    assert search.shown()[0] == "voronoi_otsu_labeling" and "threshold_otsu" not in search.shown()
    search.box.clear()
    qtbot.keyClicks(search.box, "zzzz")
    assert search.shown() == [] and search.results.item(0).text() == "no operation matches"


def test_choosing_a_match_adds_its_step_on_the_selected_layer(qtbot, assistant_in, settled,
                                                              blobs, notified):
    viewer, assistant = assistant_in(blobs)
    search = assistant.search
    viewer.layers.selection.active = viewer.layers["image"]
    qtbot.keyClicks(search.box, "dilation")
    row = search.shown().index("maximum_box")
    item = search.results.item(row)
    qtbot.mouseClick(search.results.viewport(), Qt.MouseButton.LeftButton,
                     pos=search.results.visualItemRect(item).center())
    settled(assistant)
    (step,) = assistant.workflow.steps
    assert step.op == "maximum_box" and step.inputs == {"image": "image"}
    np.testing.assert_array_equal(viewer.layers["maximum_box"].data, oclip.maximum_box(blobs))
    assert assistant.steps.currentWidget() is assistant.step_widgets[step.id]
    assert search.box.text() == ""
    # Enter takes the first match; one that takes no image layer says so
    qtbot.keyClicks(search.box, "label statistics")
    qtbot.keyClick(search.box, Qt.Key.Key_Return)
    assert len(assistant.workflow.steps) == 1
    assert notified["info"] == ["oclip: label_statistics does not take an image layer: "
                                "select a labels layer"]


# --- friction 6: a dock a person can read at 1280x1024 -----------------------------------

CHAIN = ("Remove noise", "Remove background", "Binarize", "Label", "Measure")


def five_steps(qtbot: Any, viewer: Any, assistant: Any, settled: Any) -> tuple[str, ...]:
    """denoise, background, threshold, label, measure: each on the previous result."""
    layer = "image"
    for name in CHAIN:
        step = category(qtbot, viewer, assistant, settled, name, layer)
        layer = step if step in viewer.layers else layer
    return assistant.workflow.step_ids


@pytest.fixture
def shown_dock(assistant_in, qtbot, settled, blobs):
    """A 1280x1024 window with the dock, a five-step chain and its table."""
    viewer, assistant = assistant_in(blobs)
    window = viewer.window._qt_window
    window.resize(1280, 1024)
    viewer.show()
    five_steps(qtbot, viewer, assistant, settled)
    qtbot.waitExposed(window)
    return viewer, assistant


def test_parameter_labels_are_whole_in_the_font_they_are_drawn_in(qtbot, shown_dock):
    from oclip.napari._layout import form_labels

    _, assistant = shown_dock
    for step_id in assistant.workflow.step_ids:
        assistant.show_step(step_id)
        qtbot.waitExposed(assistant.step_widgets[step_id])
        qtbot.wait(50)  # laid out as shown
        labels = form_labels(assistant.step_widgets[step_id].form)
        assert labels
        for label in labels:  # as wide as it asks to be in napari's font and padding
            label.ensurePolished()
            assert label.width() >= label.sizeHint().width(), (
                step_id, label.text())
        for widget in assistant.step_widgets[step_id].form:  # none squashed, none cut off
            native = widget.native
            assert native.height() >= native.minimumSizeHint().height(), (step_id, widget.name)
            right = native.mapTo(assistant.steps_area, native.rect().topRight()).x()
            assert right <= assistant.steps_area.viewport().width(), (step_id, widget.name)


def test_the_step_list_needs_no_horizontal_scrolling(shown_dock):
    _, assistant = shown_dock
    steps = assistant.step_list
    assert steps.count() == 5
    assert steps.horizontalScrollBar().maximum() == 0
    for row in range(steps.count()):  # every row within the list's width, none hidden
        rect = steps.visualItemRect(steps.item(row))
        assert rect.right() <= steps.viewport().width() and rect.height() > 0
    assert steps.verticalScrollBar().maximum() == 0  # the five steps in view


def test_a_long_device_name_is_shortened_in_the_middle(qtbot, assistant_in):
    _, assistant = assistant_in()
    box = assistant.device_box
    box.blockSignals(True)  # a made-up device, not chosen
    box.addItem("pthread-skylake-avx512-AMD EPYC 9654 96-Core Processor (CPU)")
    box.setCurrentIndex(box.count() - 1)
    box.blockSignals(False)
    box.resize(200, box.height())
    shown = box.shown_text()
    assert shown.startswith("pthread") and shown.endswith("(CPU)") and "…" in shown
    assert box.fontMetrics().horizontalAdvance(shown) < 200
    assert "96-Core Processor (CPU)" in box.toolTip()


def test_the_table_docks_under_the_canvas_with_its_columns_and_rows_in_view(shown_dock):
    viewer, assistant = shown_dock
    (table,) = assistant.tables.values()
    window = viewer.window._qt_window
    dock = table.parent()
    assert window.dockWidgetArea(dock) == Qt.DockWidgetArea.BottomDockWidgetArea
    view = table.view
    assert view.columnCount() == 16
    width = view.viewport().width()
    in_view = [c for c in range(view.columnCount())
               if view.columnViewportPosition(c) + view.columnWidth(c) <= width]
    assert len(in_view) >= 10  # was 3 of 16, docked beside the Assistant
    assert view.viewport().height() >= 3 * view.rowHeight(0)  # 3 rows at least


def test_a_table_row_and_a_label_select_each_other(qtbot, assistant_in, settled, blobs):
    viewer, assistant = assistant_in(blobs)
    steps = five_steps(qtbot, viewer, assistant, settled)
    labels = viewer.layers[steps[3]]
    table = assistant.tables[steps[4]]
    view = table.view
    view.sortItems(list(table.table).index("area"))  # row order is not label order
    row = 2
    item = view.item(row, 0)
    label = int(item.text())
    assert label != row + 1
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.visualItemRect(item).center())
    assert labels.selected_label == label
    labels.selected_label = 4  # as napari's label picker does
    assert int(view.item(view.currentRow(), 0).text()) == 4
    assert [i.row() for i in view.selectionModel().selectedRows()] == [view.currentRow()]
    assert table.table["area"][3] == float(view.item(view.currentRow(), 1).text())


def test_a_recomputed_table_leaves_the_selected_label_alone(qtbot, assistant_in, settled, blobs):
    viewer, assistant = assistant_in(blobs)
    steps = five_steps(qtbot, viewer, assistant, settled)
    labels = viewer.layers[steps[3]]
    labels.selected_label = 7  # the label being painted
    assistant.step_widgets[steps[0]].form["sigma_x"].value = 1.5  # the table is recomputed
    settled(assistant)
    assert labels.selected_label == 7
    assert int(assistant.tables[steps[4]].view.item(
        assistant.tables[steps[4]].view.currentRow(), 0).text()) == 7
