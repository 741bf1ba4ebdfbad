"""Load workflow onto a layer, as a user does it (issue 14, friction 5): the loaded
workflow gets result layers of its own, reads the chosen layer under that layer's
name, and starts its undo history afresh."""

from __future__ import annotations

from typing import Any

import numpy as np
from qtpy.QtCore import Qt

import oclip
import oclip.workflow
from oclip.napari import _dialogs


def click(qtbot: Any, button: Any) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def build_blur_and_threshold(qtbot, viewer, assistant, settled) -> None:
    for category, layer in [("Remove noise", "nuclei"), ("Binarize", "gaussian_blur")]:
        viewer.layers.selection.active = viewer.layers[layer]
        click(qtbot, assistant.category_buttons[category])
        settled(assistant)


def test_loading_onto_another_layer_makes_its_own_result_layers(
        qtbot, assistant_in, settled, tmp_path, monkeypatch):
    nuclei = oclip.data.blobs2d((64, 80), seed=1)
    cells = oclip.data.blobs2d((70, 60), seed=7)
    viewer, assistant = assistant_in()
    viewer.add_image(nuclei, name="nuclei")
    build_blur_and_threshold(qtbot, viewer, assistant, settled)
    earlier = {name: viewer.layers[name] for name in ("gaussian_blur", "threshold_otsu")}
    earlier_data = {name: layer.data.copy() for name, layer in earlier.items()}

    path = tmp_path / "workflow.yaml"
    monkeypatch.setattr(_dialogs, "ask_save_path", lambda *args: str(path))
    click(qtbot, assistant.action_buttons["Save workflow"])
    viewer.add_image(cells, name="cells")
    viewer.layers.selection.active = viewer.layers["cells"]
    monkeypatch.setattr(_dialogs, "ask_open_path", lambda *args: str(path))
    click(qtbot, assistant.action_buttons["Load workflow"])
    settled(assistant)

    # the earlier results are still there, untouched, and new layers show the new ones
    for name, layer in earlier.items():
        assert layer in viewer.layers
        np.testing.assert_array_equal(layer.data, earlier_data[name])
    new_blur = assistant.viewer_workflow.layers.layer_of("gaussian_blur")
    new_binary = assistant.viewer_workflow.layers.layer_of("threshold_otsu")
    assert new_blur is not earlier["gaussian_blur"]
    assert new_binary is not earlier["threshold_otsu"]
    assert new_blur in viewer.layers and new_binary in viewer.layers
    np.testing.assert_array_equal(new_blur.data, oclip.gaussian_blur(cells))
    np.testing.assert_array_equal(new_binary.data,
                                  oclip.threshold_otsu(oclip.gaussian_blur(cells)))

    # the input is named after the chosen layer: no stale "← nuclei"
    assert assistant.workflow.inputs == ("cells",)
    rows = [assistant.step_list.item(i).text() for i in range(assistant.step_list.count())]
    assert rows[0].endswith("← cells")
    assert not any("nuclei" in row for row in rows)

    # the undo history starts with the loaded workflow
    assert not assistant.action_buttons["Undo"].isEnabled()
    assert not assistant.viewer_workflow.editor.history.can_undo

    # tuning the loaded workflow changes its own layers only
    assistant.show_step("gaussian_blur")
    assistant.step_widgets["gaussian_blur"].form["sigma_x"].value = 3.0
    settled(assistant)
    np.testing.assert_array_equal(new_blur.data, oclip.gaussian_blur(cells, sigma_x=3.0))
    np.testing.assert_array_equal(earlier["gaussian_blur"].data, earlier_data["gaussian_blur"])
    click(qtbot, assistant.action_buttons["Undo"])
    settled(assistant)
    assert assistant.workflow.step("gaussian_blur").params["sigma_x"] == 1.0
    assert not assistant.action_buttons["Undo"].isEnabled()


def test_rename_input_follows_in_the_steps():
    workflow = oclip.workflow.Workflow(inputs=("nuclei",), steps=(
        {"id": "blurred", "op": "gaussian_blur", "inputs": {"image": "nuclei"}, "params": {}},))
    renamed = workflow.rename_input("nuclei", "cells")
    assert renamed.inputs == ("cells",)
    assert dict(renamed.step("blurred").inputs) == {"image": "cells"}
    assert workflow.rename_input("nuclei", "nuclei") is workflow
