"""The napari plugin: manifest, generated widgets, sample data, the demo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

napari = pytest.importorskip("napari", reason="the napari extra is part of the test install")
npe2 = pytest.importorskip("npe2")

import oclip  # noqa: E402
from oclip.napari import _manifest  # noqa: E402

REPOSITORY_MANIFEST = Path(__file__).resolve().parents[2] / "napari.yaml"


def test_manifest_is_generated_from_the_registry():
    assert REPOSITORY_MANIFEST.read_text() == _manifest.render(), (
        "napari.yaml is out of date: run python -m oclip.napari._manifest --write")


def test_installed_manifest_is_valid_and_imports():
    manifest = npe2.PluginManifest.from_distribution("oclip")
    assert manifest.display_name == "oclip Assistant"
    manifest.validate_imports()
    # under Plugins: the Assistant and each category's first choice; every operation
    # has a command (its entry in the layer menus)
    widget_names = [w.display_name for w in manifest.contributions.widgets]
    assert widget_names == ["Assistant", *(_manifest.display_name(oclip.get_operation(name))
                                           for name in oclip.operations()
                                           if name in _manifest.PLUGINS_MENU)]
    titles = {c.title for c in manifest.contributions.commands}
    assert {_manifest.display_name(op) for op in oclip.operations().values()} <= titles


def test_every_category_submenu_lists_its_operations():
    manifest = _manifest.manifest()["contributions"]
    for category in oclip.ops.CATEGORIES:
        members = oclip.operations(category)
        if not members:
            continue
        submenu = manifest["menus"][f"oclip.{category.lower().replace(' ', '_')}"]
        assert [item["command"] for item in submenu] == [f"oclip.{n}" for n in members]


def submenu(menu, title):
    """The submenu of ``menu`` called ``title``, as a person finds it in the menu bar."""
    found = [a.menu() for a in menu.actions() if a.text().replace("&", "") == title]
    assert found and found[0] is not None, [a.text() for a in menu.actions()]
    return found[0]


def test_the_plugins_menu_lists_the_assistant_and_a_short_list(make_napari_viewer):
    viewer = make_napari_viewer()
    entries = [a.text() for a in submenu(viewer.window.plugins_menu, "oclip Assistant").actions()]
    assert entries[0] == "Assistant (oclip Assistant)"
    assert len(entries) == 1 + len(_manifest.PLUGINS_MENU) <= 12
    assert "Median box (oclip Assistant)" not in entries


def test_every_operation_is_in_its_category_submenu_of_the_layers_menu(make_napari_viewer):
    viewer = make_napari_viewer()
    listed = set()
    for category in oclip.ops.CATEGORIES:
        if not oclip.operations(category):
            continue
        parent = _manifest.CATEGORY_MENUS[category].rsplit("/", 1)[1].capitalize()
        menu = submenu(submenu(viewer.window.layers_menu, parent), f"{category} (oclip)")
        entries = [a.text() for a in menu.actions() if a.text()]
        assert entries == [f"{_manifest.display_name(op)} (oclip Assistant)"
                           for op in oclip.operations(category).values()]
        listed.update(entries)
    assert len(listed) == len(oclip.operations())


def test_a_layers_menu_entry_docks_the_operation_widget(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    image = oclip.data.blobs2d((64, 80))
    viewer.add_image(image, name="spots")
    menu = submenu(submenu(viewer.window.layers_menu, "Filter"), "Remove noise (oclip)")
    entry = next(a for a in menu.actions() if a.text() == "Median box (oclip Assistant)")
    entry.trigger()
    widget = viewer.window.dock_widgets["Median box"]
    widget.image.value = viewer.layers["spots"]
    widget.radius_x.value = 2
    run_widget(qtbot, widget, viewer)
    np.testing.assert_array_equal(viewer.layers["median_box"].data,
                                  oclip.median_box(image, radius_x=2))
    entry.trigger()  # again: the same widget, not a second one
    assert viewer.window.dock_widgets["Median box"] is widget
    assert list(viewer.window.dock_widgets).count("Median box") == 1


def run_widget(qtbot, widget, viewer):
    """Press the widget's Run button as a user would; wait for the result."""
    from qtpy.QtCore import Qt

    from oclip.napari._viewer_workflow import viewer_workflow

    qtbot.mouseClick(widget.call_button.native, Qt.MouseButton.LeftButton)
    recorded = viewer_workflow(viewer)
    qtbot.waitUntil(lambda: recorded.jobs.idle, timeout=60000)


def test_gaussian_blur_widget_adds_the_result_layer(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    image = oclip.data.blobs2d((64, 80))
    viewer.add_image(image, name="spots", scale=(0.5, 0.25), translate=(3, 4))
    _, widget = viewer.window.add_plugin_dock_widget("oclip", "Gaussian blur")
    widget.image.value = viewer.layers["spots"]
    widget.sigma_x.value = 2.0
    widget.sigma_y.value = 1.5
    run_widget(qtbot, widget, viewer)
    result = viewer.layers["gaussian_blur"]
    np.testing.assert_array_equal(result.data, oclip.gaussian_blur(image, sigma_x=2.0,
                                                                   sigma_y=1.5))
    assert tuple(result.scale) == (0.5, 0.25) and tuple(result.translate) == (3, 4)
    # running again updates the same layer instead of adding another
    widget.sigma_x.value = 4.0
    run_widget(qtbot, widget, viewer)
    assert len(viewer.layers) == 2
    np.testing.assert_array_equal(viewer.layers["gaussian_blur"].data,
                                  oclip.gaussian_blur(image, sigma_x=4.0, sigma_y=1.5))


def test_a_widget_on_a_3d_image_takes_z_sizes_from_the_layers_scale(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    stack = oclip.data.blobs((6, 30, 32), count=4, seed=2)
    viewer.add_image(stack[0], name="plane")
    viewer.add_image(stack, name="cubes")  # isotropic: z as x
    viewer.add_image(stack, name="thick", scale=(2.0, 0.5, 0.5))  # z steps of 4 pixels
    _, widget = viewer.window.add_plugin_dock_widget("oclip", "Gaussian blur")
    widget.image.value = viewer.layers["cubes"]
    assert widget.sigma_z.value == widget.sigma_x.value == 1.0
    widget.image.value = viewer.layers["thick"]
    assert widget.sigma_z.value == 0.25
    run_widget(qtbot, widget, viewer)
    np.testing.assert_allclose(viewer.layers["gaussian_blur"].data,
                               oclip.gaussian_blur(stack, sigma_z=0.25), rtol=1e-6)
    widget.sigma_z.value = 3.0  # the user's value stays, whatever the image
    widget.image.value = viewer.layers["cubes"]
    assert widget.sigma_z.value == 3.0
    _, box = viewer.window.add_plugin_dock_widget("oclip", "Top hat box")
    box.image.value = viewer.layers["thick"]
    assert box.radius_z.value == 3  # 10 pixels of 0.5 along x: 2.5 z steps, rounded up
    box.image.value = viewer.layers["cubes"]
    assert box.radius_z.value == 10


def test_threshold_then_label_widgets_chain_through_labels_layers(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    image = oclip.data.blobs2d((96, 96))
    viewer.add_image(image, name="blobs")
    _, threshold = viewer.window.add_plugin_dock_widget("oclip", "Threshold otsu")
    threshold.image.value = viewer.layers["blobs"]
    run_widget(qtbot, threshold, viewer)
    binary = viewer.layers["threshold_otsu"]
    assert isinstance(binary, napari.layers.Labels)
    _, labeling = viewer.window.add_plugin_dock_widget("oclip", "Connected components labeling")
    labeling.binary.value = binary
    labeling.connectivity.value = "diamond"
    run_widget(qtbot, labeling, viewer)
    labels = viewer.layers["connected_components_labeling"]
    assert isinstance(labels, napari.layers.Labels)
    expected = oclip.connected_components_labeling(oclip.threshold_otsu(image),
                                                   connectivity="diamond")
    np.testing.assert_array_equal(labels.data, expected)
    assert labels.data.max() > 3
    from oclip.napari._viewer_workflow import viewer_workflow

    workflow = viewer_workflow(viewer).workflow
    assert workflow.step("connected_components_labeling").inputs == {"binary": "threshold_otsu"}


def test_projection_result_keeps_the_in_plane_scale(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    stack = oclip.data.nuclei3d((10, 32, 40))
    viewer.add_image(stack, name="stack", scale=(2.0, 0.5, 0.5))
    _, widget = viewer.window.add_plugin_dock_widget("oclip", "Maximum z projection")
    widget.image.value = viewer.layers["stack"]
    run_widget(qtbot, widget, viewer)
    projected = viewer.layers["maximum_z_projection"]
    np.testing.assert_array_equal(projected.data, stack.max(axis=0))
    assert tuple(projected.scale) == (0.5, 0.5)


def test_parameter_hints_and_tooltips_come_from_the_operation(make_napari_viewer):
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("oclip", "Top hat box")
    assert widget.radius_x.min == 0 and widget.radius_x.max == 1000
    assert widget.radius_x.value == 10
    assert "Half-width of the box along x" in widget.radius_x.tooltip


def test_sample_data(make_napari_viewer):
    viewer = make_napari_viewer()
    viewer.open_sample("oclip", "blobs")
    viewer.open_sample("oclip", "nuclei")
    np.testing.assert_array_equal(viewer.layers["blobs"].data, oclip.data.blobs2d())
    assert viewer.layers["nuclei"].data.shape == (60, 128, 128)
    assert viewer.layers["nuclei"].data.dtype == np.uint16


def test_demo_opens_samples_and_the_assistant(make_napari_viewer):
    from oclip.napari._assistant import Assistant
    from oclip.napari._demo import open_demo

    viewer = make_napari_viewer()
    open_demo(viewer)
    assert {"blobs", "nuclei"} <= {layer.name for layer in viewer.layers}
    assert any(isinstance(widget, Assistant) for widget in viewer.window.dock_widgets.values())
    assert viewer.layers.selection.active.name == "blobs"
