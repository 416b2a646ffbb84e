"""The suppression engine: per-line rules, derivations across lines, triggers."""

from __future__ import annotations

from core.analyses.disclosure import EXEMPT, Disclosure
from core.analyses.suppression import Line, determined, protect_lines

D = Disclosure(11)


def test_a_lone_small_cell_gets_the_smallest_complement():
    values = {"t": 50, "a": 5, "b": 30, "c": 15}
    sup = protect_lines(values, [Line("t", ("a", "b", "c"))], D)
    assert sup.hidden == {"a", "c"} and sup.resolved


def test_hidden_cells_adding_up_to_a_small_count_get_a_third():
    values = {"t": 50, "a": 5, "b": 3, "c": 42}
    sup = protect_lines(values, [Line("t", ("a", "b", "c"))], D)
    assert sup.hidden == {"a", "b", "c"}


def test_a_hidden_total_needs_a_hidden_part():
    values = {"t": 30, "a": 12, "b": 18, "u": 60, "x": 30}
    lines = [Line("t", ("a", "b")), Line("u", ("t", "x"))]
    sup = protect_lines(values, lines, D, unknown=["t"])
    assert "a" in sup.hidden  # t = a + b would be read off otherwise


def test_a_count_derived_from_several_lines_is_caught():
    # a + b = 20, b + c = 30, a + c = 20: every line has two hidden cells adding to 11 or
    # more, yet a = (20 - 30 + 20) / 2 = 5
    values = {"x": 20, "y": 30, "z": 20, "a": 5, "b": 15, "c": 15}
    lines = [Line("x", ("a", "b")), Line("y", ("b", "c")), Line("z", ("a", "c"))]
    assert determined(values, lines, {"a", "b", "c"}) == ["a", "b", "c"]
    sup = protect_lines(values, lines, D, unknown=["b", "c"])
    assert sup.resolved and "a" not in determined(values, lines, sup.hidden)


def test_triggers_hide_a_group_and_fixed_cells_stay_shown():
    values = {"n": 40, "g1": 35, "g2": 5, "g2.a": 3, "g2.b": 2}
    lines = [Line("n", ("g1", "g2")), Line("g2", ("g2.a", "g2.b"))]
    sup = protect_lines(values, lines, D, fixed=["n"], triggers=[("g2", ["g2.a", "g2.b"])])
    assert {"g1", "g2", "g2.a", "g2.b"} <= sup.hidden and "n" not in sup.hidden


def test_nothing_is_hidden_when_disclosure_is_inactive():
    assert protect_lines({"t": 5, "a": 5}, [Line("t", ("a",))], EXEMPT).hidden == frozenset()
