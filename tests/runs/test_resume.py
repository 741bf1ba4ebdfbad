"""run_files in its resumable form (what the plugin's Apply to folder runs): the
summary table, the workflow's record, skipping complete files, stopping between files."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from oclip.runs import plan_jobs, run_files
from oclip.runs._batch import RECORD_FILE, SUMMARY_FILE
from oclip.workflow import WorkflowError

from ..workflow._support import blobs, labeling_workflow

tifffile = pytest.importorskip("tifffile")


def rows(folder) -> list[dict[str, str]]:
    with open(folder / SUMMARY_FILE, newline="") as file:
        return list(csv.DictReader(file))


def test_a_resumable_run_records_skips_and_stops_between_files(tmp_path):
    workflow = labeling_workflow().with_outputs(["labels"])
    images = {f"im{i}": blobs((30, 40), seed=i) for i in range(3)}
    (tmp_path / "in").mkdir()
    for name, image in images.items():
        tifffile.imwrite(tmp_path / "in" / f"{name}.tif", image)
    out = tmp_path / "out"
    jobs = plan_jobs(workflow, [tmp_path / "in"], output=out)
    asked = []

    def stop() -> bool:  # stop once the first file is done
        asked.append(True)
        return len(asked) > 1

    first = run_files(workflow, jobs, out, resume=True, stop=stop)
    assert len(first.done) == 1 and len(first.not_run) == 2 and first.table == out / SUMMARY_FILE
    table = rows(out)
    assert [r["status"] for r in table] == ["done", "not run", "not run"]
    assert table[0]["labels_objects"] == str(int(workflow.run(images["im0"])["labels"].max()))
    assert (out / RECORD_FILE).exists()

    second = run_files(workflow, jobs, out, resume=True)
    assert [s.rsplit("/", 1)[-1] for s in second.skipped] == ["im0.tif"]
    assert len(second.done) == 2
    assert [r["status"] for r in rows(out)] == ["skipped", "done", "done"]
    assert rows(out)[0]["labels_objects"] == table[0]["labels_objects"]  # kept from before
    for name, image in images.items():
        np.testing.assert_array_equal(tifffile.imread(out / f"{name}_labels.tif"),
                                      workflow.run(image)["labels"])

    other = labeling_workflow(sigma=2.5).with_outputs(["labels"])
    with pytest.raises(WorkflowError, match="another workflow"):
        run_files(other, jobs, out, resume=True)
    assert len(run_files(other, jobs, out, resume=True, overwrite=True).done) == 3


def test_a_plain_run_writes_no_table_and_skips_nothing(tmp_path):
    workflow = labeling_workflow().with_outputs(["labels"])
    tifffile.imwrite(tmp_path / "a.tif", blobs((30, 40)))
    jobs = plan_jobs(workflow, [tmp_path / "a.tif"], output=tmp_path / "out")
    for _ in range(2):
        summary = run_files(workflow, jobs, tmp_path / "out")
        assert len(summary.done) == 1 and not summary.skipped and summary.table is None
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a_labels.tif"]
