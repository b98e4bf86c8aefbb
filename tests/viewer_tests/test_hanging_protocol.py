"""The default CMR hanging protocol: SAX cine, a long-axis cine (4CH first), LGE SAX."""

from cmr_reader.viewer.hanging_protocol import LAYOUTS, SeriesSummary, browser_order, default_hanging


def series(uid: str, kind: str, number: int | None = None) -> SeriesSummary:
    return SeriesSummary(uid=uid, kind=kind, series_number=number)


def test_a_full_hcm_protocol_hangs_sax_cine_then_4ch_then_lge():
    case = [
        series("loc", "localizer", 1),
        series("lge", "lge_sax", 20),
        series("2ch", "cine_2ch", 5),
        series("4ch", "cine_4ch", 6),
        series("sax", "cine_sax", 9),
        series("3ch", "cine_3ch", 7),
    ]
    hanging = default_hanging(case)
    assert hanging.layout == "1+2"
    assert hanging.viewports == ("sax", "4ch", "lge")
    assert [s.uid for s in browser_order(case)] == ["sax", "4ch", "2ch", "3ch", "lge", "loc"]


def test_without_a_4ch_the_next_long_axis_cine_hangs():
    hanging = default_hanging(
        [series("sax", "cine_sax"), series("3ch", "cine_3ch"), series("2ch", "cine_2ch")]
    )
    assert hanging.viewports[:2] == ("sax", "2ch")


def test_lge_long_axis_stands_in_for_a_missing_lge_stack():
    hanging = default_hanging(
        [series("sax", "cine_sax"), series("4ch", "cine_4ch"), series("lgel", "lge_lax")]
    )
    assert hanging.viewports == ("sax", "4ch", "lgel")


def test_missing_slots_are_filled_from_the_rest_but_never_with_a_localizer_first():
    hanging = default_hanging(
        [series("loc", "localizer"), series("map", "mapping"), series("sax", "cine_sax")]
    )
    assert hanging.viewports == ("sax", "map")
    assert hanging.layout == "1x2"


def test_a_case_of_one_series_gets_one_viewport():
    assert default_hanging([series("x", "unknown")]).layout == "1x1"
    assert default_hanging([series("loc", "localizer")]).viewports == ("loc",)
    assert default_hanging([]).viewports == ()


def test_series_of_one_kind_are_ordered_by_series_number():
    order = browser_order(
        [series("b", "cine_sax", 12), series("a", "cine_sax", 3), series("c", "cine_sax", None)]
    )
    assert [s.uid for s in order] == ["a", "b", "c"]


def test_every_layout_tiles_its_grid_with_one_cell_per_viewport():
    for name, layout in LAYOUTS.items():
        covered = [
            (row + r, column + c)
            for row, column, rows, columns in layout.cells
            for r in range(rows)
            for c in range(columns)
        ]
        assert sorted(covered) == [(r, c) for r in range(layout.rows) for c in range(layout.columns)], name
    assert {name: layout.viewport_count for name, layout in LAYOUTS.items()} == {
        "1x1": 1,
        "1x2": 2,
        "1x3": 3,
        "1+2": 3,
        "2x2": 4,
    }


def test_the_workstation_layout_gives_the_first_viewport_two_thirds_and_stacks_the_others():
    layout = LAYOUTS["1+2"]
    assert layout.cells[0] == (0, 0, layout.rows, layout.columns - 1)
    assert [cell[:2] for cell in layout.cells[1:]] == [(0, 2), (1, 2)]
