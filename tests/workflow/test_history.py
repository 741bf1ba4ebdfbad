"""Undo and redo over workflow states."""

from __future__ import annotations

import pytest

from oclip.workflow import History, Workflow

from ._support import labeling_workflow


def test_undo_and_redo_walk_the_states():
    first = labeling_workflow()
    second = first.change_step("blurred", params={"sigma_x": 3})
    third = second.remove_step("labels")
    history = History(first)
    assert not history.can_undo and not history.can_redo
    history.push(second)
    history.push(third)
    assert history.current == third and len(history) == 3
    assert history.undo() == second
    assert history.undo() == first
    assert not history.can_undo and history.can_redo
    assert history.redo() == second
    assert history.current == second
    with pytest.raises(IndexError, match="nothing to undo"):
        History().undo()
    with pytest.raises(IndexError, match="nothing to redo"):
        history.redo() and history.redo()


def test_a_new_state_after_undo_drops_the_redo_states():
    first = labeling_workflow()
    history = History(first)
    history.push(first.change_step("blurred", params={"sigma_x": 3}))
    history.undo()
    other = first.change_step("labels", params={"connectivity": "diamond"})
    history.push(other)
    assert not history.can_redo and history.current == other
    assert history.undo() == first


def test_pushing_an_equal_workflow_changes_nothing():
    history = History(labeling_workflow())
    history.push(labeling_workflow())
    assert not history.can_undo and len(history) == 1


def test_history_is_bounded():
    history = History(Workflow(), limit=3)
    states = [labeling_workflow(sigma=s) for s in (1.0, 2.0, 3.0, 4.0, 5.0)]
    for state in states:
        history.push(state)
    assert len(history) == 4
    assert [history.undo() for _ in range(3)] == states[3::-1][:3]
    assert not history.can_undo
    with pytest.raises(ValueError, match="limit must be a positive integer"):
        History(limit=0)
    with pytest.raises(TypeError, match="expected a Workflow"):
        history.push({"steps": []})


def test_pushes_of_one_group_merge_into_one_undo_step():
    start = labeling_workflow()
    history = History(start)
    for sigma in (1.6, 1.7, 1.8, 1.9):  # a slider being dragged
        history.push(start.change_step("blurred", params={"sigma_x": sigma}),
                     group=("params", "blurred"))
    assert history.current.step("blurred").params["sigma_x"] == 1.9
    assert history.undo() == start and not history.can_undo
    history.redo()
    history.push(history.current.change_step("labels", params={"connectivity": "diamond"}),
                 group=("params", "labels"))
    assert history.undo().step("blurred").params["sigma_x"] == 1.9
    # a group that returns to where it started leaves no undo step behind
    history = History(start)
    history.push(start.change_step("blurred", params={"sigma_x": 5}), group="drag")
    history.push(start, group="drag")
    assert history.current == start and not history.can_undo
