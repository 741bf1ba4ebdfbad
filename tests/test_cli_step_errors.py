"""`oclip run` reports an error inside a workflow step with the step and its parameters."""

from __future__ import annotations

import tifffile

from oclip.__main__ import main
from oclip.runs._images import read_image
from oclip.workflow import save

from .workflow._support import OUT_OF_MEMORY, blobs, labeling_workflow, out_of_memory_operation


def test_a_device_memory_error_names_the_step_and_its_parameters(tmp_path, capsys):
    with out_of_memory_operation() as out_of_memory_op:
        workflow = labeling_workflow().add_step(out_of_memory_op, {"image": "blurred"},
                                                {"radius_x": 5, "sigma_x": 2.5}, id="huge")
        save(workflow.with_outputs(["huge"]), tmp_path / "fails.yaml")
        save(workflow.with_outputs(["labels"]), tmp_path / "works.yaml")
        (tmp_path / "in").mkdir()
        for number in range(2):
            tifffile.imwrite(tmp_path / "in" / f"cells_{number}.tif", blobs(seed=number))
        status = main(["run", str(tmp_path / "fails.yaml"), str(tmp_path / "in"), "-o",
                       str(tmp_path / "out")])
        report = capsys.readouterr()
        # the workflow without the step runs, in the same process, afterwards
        assert main(["run", str(tmp_path / "works.yaml"), str(tmp_path / "in"), "-o",
                     str(tmp_path / "out")]) == 0, capsys.readouterr().err
    assert status == 1
    assert "2 run(s)" in report.out and "0 done, 2 failed" in report.out
    for number in range(2):
        assert (f"  failed: {tmp_path / 'in' / f'cells_{number}.tif'}: DeviceMemoryError: "
                f"step 'huge' ({out_of_memory_op}, radius_x=5, sigma_x=2.5): "
                f"{out_of_memory_op}: {OUT_OF_MEMORY}\n") in report.err
    assert "Traceback" not in report.err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "cells_0_labels.tif", "cells_1_labels.tif"]
    assert read_image(tmp_path / "out" / "cells_0_labels.tif").max() > 0
