"""Figure to bytes: one place for fonts, determinism and the output formats."""

from collections.abc import Callable
from functools import cache
from io import BytesIO

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import fontManager

FORMATS = ("svg", "png")
# Fonts that carry Chinese glyphs, in order of preference; DejaVu Sans ships with matplotlib.
CJK_FONTS = ("Noto Sans CJK SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Droid Sans Fallback")
FALLBACK_FONT = "DejaVu Sans"
PNG_DPI = 150


@cache
def font_families() -> tuple[str, ...]:
    """The installed CJK fonts (preferred first) followed by DejaVu Sans.

    Only installed families are named: matplotlib logs a findfont warning for every missing one.
    Its per-glyph fallback walks this list, so Latin text still renders when no CJK font exists.
    """
    installed = {font.name for font in fontManager.ttflist}
    return (*(name for name in CJK_FONTS if name in installed), FALLBACK_FONT)


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"unsupported plot format {fmt!r}; expected one of {', '.join(FORMATS)}")


def render_figure(*, draw: Callable[[Figure], None], size: tuple[float, float], fmt: str) -> bytes:
    """Build a figure of `size` inches with `draw` and render it as `fmt` bytes.

    Drawing happens inside the same rc_context as saving because text picks its font when it is
    created. The fixed hash salt and the absent date make two SVG renders of one input
    byte-identical; fonttype "none" keeps SVG text as text (searchable, translatable, small).
    """
    check_format(fmt)
    style = {
        "font.family": list(font_families()),
        "svg.hashsalt": "cmr-reader",
        "svg.fonttype": "none",
    }
    with matplotlib.rc_context(style):
        figure = Figure(figsize=size, layout="constrained")
        FigureCanvasAgg(figure)
        draw(figure)
        buffer = BytesIO()
        if fmt == "svg":
            figure.savefig(buffer, format="svg", metadata={"Date": None})
        else:
            figure.savefig(buffer, format="png", dpi=PNG_DPI)
    return buffer.getvalue()
