"""Dashboard plots: well-formed SVG and PNG, deterministic output, input checks and Likert geometry."""

import struct
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from cmr_reader.analysis.plots import (
    LikertBar,
    WinTieLoss,
    bland_altman_plot,
    diverging_segments,
    kappa_heatmap,
    likert_diverging_bars,
    win_tie_loss_bars,
)
from cmr_reader.analysis.plots import win_tie_loss as win_tie_loss_module
from cmr_reader.analysis.plots.heatmap import kappa_matrix
from cmr_reader.analysis.plots.render import FALLBACK_FONT, font_families

SVG_TEXT = "{http://www.w3.org/2000/svg}text"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Each plot with a small input and strings its SVG must contain.
PLOTS = {
    "likert": (
        likert_diverging_bars,
        {"bars": [LikertBar("Clarity", (1, 0, 2, 0, 1)), LikertBar("Accuracy", (0, 0, 0, 0, 0))]},
        ["Clarity", "Accuracy", "(no ratings)", "Share of ratings"],
    ),
    "kappa_heatmap": (
        kappa_heatmap,
        {
            "readers": ["alice", "bob", "charlie"],
            "kappas": {("alice", "bob"): 0.714, ("charlie", "alice"): -0.2},
        },
        ["alice", "bob", "charlie", "0.71", "-0.20", "n/a"],
    ),
    "win_tie_loss": (
        win_tie_loss_bars,
        {"rows": [WinTieLoss("Clarity", wins=10, ties=5, losses=3)]},
        ["Clarity", "AI better", "Tie", "Reference better", "10", "5", "3"],
    ),
    "bland_altman": (
        bland_altman_plot,
        {
            "means": [50.0, 55.0, 60.0],
            "differences": [1.0, -2.0, 0.5],
            "bias": -0.17,
            "loa_low": -3.2,
            "loa_high": 2.9,
        },
        ["Mean of AI and reference", "Difference (AI - reference)", "Bias", "95% limits of agreement"],
    ),
}


def svg_texts(svg: bytes) -> list[str]:
    """The text of every <text> element; ET.fromstring also proves the SVG is well-formed XML."""
    return ["".join(element.itertext()) for element in ET.fromstring(svg).iter(SVG_TEXT)]


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_SIGNATURE)
    assert png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


@pytest.mark.parametrize("name", PLOTS)
def test_plot_renders_svg_that_keeps_its_labels_as_text(name):
    plot, arguments, expected = PLOTS[name]

    texts = " | ".join(svg_texts(plot(**arguments, title="Title", fmt="svg")))

    for text in [*expected, "Title"]:
        assert text in texts


@pytest.mark.parametrize("name", PLOTS)
def test_plot_renders_png_larger_than_100_pixels(name):
    plot, arguments, _expected = PLOTS[name]

    width, height = png_size(plot(**arguments, fmt="png"))

    assert width > 100 and height > 100


@pytest.mark.parametrize("fmt", ["svg", "png"])
@pytest.mark.parametrize("name", PLOTS)
def test_plot_renders_the_same_input_to_identical_bytes(name, fmt):
    plot, arguments, _expected = PLOTS[name]

    first = plot(**arguments, fmt=fmt)

    assert first == plot(**arguments, fmt=fmt)
    assert b"<dc:date>" not in first  # a timestamp would differ between renders a second apart


@pytest.mark.parametrize("name", PLOTS)
def test_plot_rejects_an_unknown_format(name):
    plot, arguments, _expected = PLOTS[name]

    with pytest.raises(ValueError, match="unsupported plot format"):
        plot(**arguments, fmt="pdf")


def test_diverging_segments_split_the_middle_point_across_zero():
    # Shares 1/4, 0, 2/4, 0, 1/4: left of zero lie point 1 and half of point 3, (1 + 1) / 4 = 0.5.
    segments = diverging_segments((1, 0, 2, 0, 1))

    np.testing.assert_allclose(
        segments, [(-0.5, 0.25), (-0.25, 0.0), (-0.25, 0.5), (0.25, 0.0), (0.25, 0.25)]
    )
    left_total = sum(min(width, max(0.0, -left)) for left, width in segments)
    assert left_total == pytest.approx(0.5)
    assert segments[-1][0] + segments[-1][1] == pytest.approx(0.5)


def test_diverging_segments_of_an_even_scale_meet_at_zero():
    segments = diverging_segments((1, 3, 2, 2))

    np.testing.assert_allclose(segments, [(-0.5, 0.125), (-0.375, 0.375), (0.0, 0.25), (0.25, 0.25)])


def test_diverging_segments_of_a_bar_without_ratings_are_empty():
    assert diverging_segments((0, 0, 0)) == [(0.0, 0.0)] * 3


def test_diverging_segments_reject_negative_counts():
    with pytest.raises(ValueError, match="non-negative"):
        diverging_segments((1, -1, 2))


def test_likert_rejects_counts_that_do_not_match_the_scale():
    with pytest.raises(ValueError, match="has 4 counts for the 5 points 1..5"):
        likert_diverging_bars(bars=[LikertBar("Clarity", (1, 2, 3, 4))])


def test_likert_lists_each_scale_point_in_the_legend():
    texts = svg_texts(
        likert_diverging_bars(bars=[LikertBar("Clarity", (1, 2, 3, 4))], scale_min=0, scale_max=3)
    )

    assert {"0", "1", "2", "3"} <= set(texts)


def test_kappa_matrix_is_symmetric_whichever_way_a_pair_is_keyed():
    matrix = kappa_matrix(
        readers=["alice", "bob", "charlie"], kappas={("bob", "alice"): 0.5, ("alice", "charlie"): None}
    )

    assert matrix[0, 1] == matrix[1, 0] == 0.5
    assert np.isnan([matrix[0, 0], matrix[0, 2], matrix[2, 0], matrix[1, 2]]).all()


def test_kappa_heatmap_rejects_conflicting_values_for_one_pair():
    with pytest.raises(ValueError, match="conflicting kappas"):
        kappa_heatmap(readers=["alice", "bob"], kappas={("alice", "bob"): 0.5, ("bob", "alice"): 0.4})


def test_kappa_heatmap_rejects_an_unknown_reader_and_a_kappa_above_one():
    with pytest.raises(ValueError, match="distinct listed readers"):
        kappa_heatmap(readers=["alice", "bob"], kappas={("alice", "outsider"): 0.5})
    with pytest.raises(ValueError, match="outside -1..1"):
        kappa_heatmap(readers=["alice", "bob"], kappas={("alice", "bob"): 1.5})


def test_win_tie_loss_labels_a_row_without_comparisons():
    texts = svg_texts(win_tie_loss_bars(rows=[WinTieLoss("Tone", wins=0, ties=0, losses=0)]))

    assert "(no ratings)" in texts


def test_win_tie_loss_passes_its_labels_through_gettext(monkeypatch):
    monkeypatch.setattr(win_tie_loss_module, "_", str.upper)

    texts = svg_texts(win_tie_loss_bars(rows=[WinTieLoss("Tone", wins=1, ties=1, losses=1)]))

    assert {"AI BETTER", "TIE", "REFERENCE BETTER"} <= set(texts)


def test_bland_altman_rejects_unequal_lengths_and_misordered_limits():
    with pytest.raises(ValueError, match="equal length"):
        bland_altman_plot(means=[1.0, 2.0], differences=[0.5], bias=0.0, loa_low=-1.0, loa_high=1.0)
    with pytest.raises(ValueError, match="loa_low <= bias <= loa_high"):
        bland_altman_plot(means=[1.0], differences=[0.5], bias=2.0, loa_low=-1.0, loa_high=1.0)


def test_bland_altman_puts_the_unit_on_both_axes():
    texts = svg_texts(
        bland_altman_plot(means=[50.0], differences=[1.0], bias=1.0, loa_low=0.0, loa_high=2.0, unit="mL")
    )

    assert "Mean of AI and reference (mL)" in texts
    assert "Difference (AI - reference) (mL)" in texts


@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")
def test_chinese_labels_render_without_a_cjk_font():
    texts = svg_texts(kappa_heatmap(readers=["读者甲", "读者乙"], kappas={("读者甲", "读者乙"): 0.3}))

    assert {"读者甲", "读者乙"} <= set(texts)
    assert png_size(kappa_heatmap(readers=["读者甲", "读者乙"], kappas={}, fmt="png"))[0] > 100


def test_font_families_fall_back_to_dejavu_sans():
    assert font_families()[-1] == FALLBACK_FONT
