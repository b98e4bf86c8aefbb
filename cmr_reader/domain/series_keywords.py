"""Vendor vocabulary of CMR series descriptions, and matching that survives their spelling.

Descriptions arrive de-identified but otherwise as the scanner wrote them: ``Cine_TruFisp_RVLA``,
``sBTFE_4CH``, ``tfl_psir_SAX``, ``T1map_MOLLI``, ``IR-FGRE DE``, ``Qflow_AO``. A keyword is
matched on two normal forms of the text (lower case, non-alphanumerics as spaces; the same after
also splitting camelCase), with an optional space at each letter/digit boundary and between the
words of a phrase, so ``4CH``, ``4_ch``, ``cine4ch`` and ``4 Ch`` all match ``4ch``, and
``ShortAxis`` matches ``short axis``. A keyword must stand on its own: no letter may touch a
keyword's letters and no digit its digits, so ``sa`` matches ``SA``, ``cine_sa1`` and ``CineSA``
but never ``basal`` or ``Sagittal``, and ``de`` only ever matches the token ``DE``. A trailing
``*`` lets a keyword be a prefix (``perf*`` matches ``perfusion``).

Vocabulary sources: real series descriptions from several sites' GE, Philips and Siemens
archives (the public list in rohanshad/cmr_toolkit), the UK Biobank CMR protocol's series names,
the SCMR standardised CMR protocols (Kramer et al., J Cardiovasc Magn Reson 2020;22:17), and the
vendors' sequence nomenclature (Siemens trufi/tfl/fl2d, GE FIESTA/MDE/IR-FGRE, Philips
BTFE/PSIR/Qflow, United Imaging, Canon). ``tests/imaging_tests/data/series_vocabulary.csv`` lists
the labelled descriptions, with their sources, that the vocabulary is tested against
(``decisions/0026``). Tagging ("SAX_Tags_Grid", "cine_tagging_3sl"), inversion-time scouts
("TI_Scout", GE "CINE_IR") and black-blood or STIR images are families of their own, so that
they are never taken for a functional cine or for LGE.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

_Key = TypeVar("_Key")


class SeriesFamily(Enum):
    """What a series is, before its view; the keyword tables below are in priority order."""

    TI_SCOUT = "ti_scout"  # Look-Locker inversion-time scout: cine-like, but not a cine
    TAGGING = "tagging"  # myocardial tagging (SPAMM grid or lines): cine-like, but not a functional cine
    LOCALIZER = "localizer"
    MAPPING = "mapping"
    FLOW = "flow"
    PERFUSION = "perfusion"
    LGE = "lge"
    MORPHOLOGY = "morphology"  # black-blood, STIR, T1/T2-weighted spin echo: single-phase, not LGE
    CINE = "cine"


class SeriesView(Enum):
    """The imaging plane of a cine or LGE series."""

    LAX_OTHER_RV = "rv_long_axis"  # checked first: "RV 2CH" is not the LV two-chamber view
    FOUR_CH = "4ch"
    THREE_CH = "3ch"
    TWO_CH = "2ch"
    SAX = "sax"
    LAX_OTHER = "long_axis"


# Priority matters when a description matches several families: "localizer_trufi" is a
# localizer, "MOLLI_trufi" a map, "perf_tfl" perfusion, "tfl_psir_trufi" LGE, "DB_PSIR" LGE
# (dark-blood LGE), "T2_tse_DB" morphology, "cine_tagging" tagging.
FAMILY_KEYWORDS: dict[SeriesFamily, tuple[str, ...]] = {
    # GE writes its inversion-time scout as "CINE_IR": an inversion-prepared cine is a TI scout.
    SeriesFamily.TI_SCOUT: ("ti scout", "look locker", "cine ir", "ir cine"),
    SeriesFamily.TAGGING: ("tag*", "mtag", "grid", "spamm", "cspamm", "c spamm"),  # GE "SAX_MTAG"
    SeriesFamily.LOCALIZER: (
        "locali*",
        "locator",
        "loc",
        "scout",
        "survey",
        "tri pilot",
        "pilot",
        "3 plane",
        "3pl",
        "haste",
    ),
    SeriesFamily.MAPPING: (
        "molli",
        "shmolli",
        "sasha",
        "map",
        "maps",
        "mapping",
        "t1 map",
        "t2 map",
        "t2 star",
        "ecv",
        "relaxometry",
    ),
    SeriesFamily.FLOW: (
        "flow*",  # "FLOWq" (GE 4D flow), "Qflow"
        "qflow",
        "sqflow",  # Philips "ao_sQFLOW_BH"
        "4df",  # GE "AX_4DF_v250"
        "fastpc",  # GE "PA_FastPC_V=250_BH"
        "pc",
        "pcmra",
        "venc",
        "velocity",
        "phase contrast",
        "fl2d",
    ),
    SeriesFamily.PERFUSION: ("perf*", "first pass"),
    SeriesFamily.LGE: (
        "lge",
        "psir",
        "de",
        "mde",
        "psmde",
        "ir fgre",
        "delayed enh*",
        "late enh*",
        "late gad*",
        "delayed",
        "late",
        "viability",
        "phase sensitive",
    ),
    SeriesFamily.MORPHOLOGY: (
        "black blood",
        "dark blood",
        "bb",
        "db",
        "double ir",
        "triple ir",
        "dir",
        "tse",
        "fse",
        "dirfse",  # GE double-IR fast spin echo: "SAX_T2_DIRFSE_BH"
        "tirfse",  # GE STIR fast spin echo: "AX_FS_TIRFSE_BH"
        "ssfse",
        "fase",
        "stir",
        "tirm",
        "t1w",
        "t2w",
        "t1 weighted",
        "t2 weighted",
    ),
    SeriesFamily.CINE: (
        "cine*",
        "trufi*",
        "true fisp",
        "tf2d",
        "tfi",
        "fiesta*",
        "btfe",
        "sbtfe",
        "bffe",
        "ssfp",
        "bssfp",
    ),
}

VIEW_KEYWORDS: dict[SeriesView, tuple[str, ...]] = {
    SeriesView.LAX_OTHER_RV: (
        "rv la",
        "rv lax",
        "rvot",
        "rv outflow",
        "rv 2ch",
        "rv 2c",
        "rv 2 chamber",
        "rv 3ch",
        "rv 3c",
        "rv 3 chamber",
        "rv inflow",
        "rv long axis",
    ),
    SeriesView.FOUR_CH: (
        "4ch",
        "4cv",
        "4c",
        "hla",
        "hlax",
        "4 chamber*",
        "four chamber*",
        "horizontal long axis",
    ),
    SeriesView.THREE_CH: ("3ch", "3cv", "3c", "lvot", "3 chamber*", "three chamber*"),
    SeriesView.TWO_CH: (
        "2ch",
        "2cv",
        "2c",
        "vla",
        "vlax",
        "2 chamber*",
        "two chamber*",
        "vertical long axis",
    ),
    SeriesView.SAX: ("sa", "sax", "short axis", "short ax", "sa stack"),  # GE "Short_Ax_Mid"
    SeriesView.LAX_OTHER: ("lax", "long axis"),
}


@dataclass(frozen=True)
class KeywordHints:
    """Which families and views a description names, each with the text that matched."""

    families: dict[SeriesFamily, tuple[str, ...]]  # in FAMILY_KEYWORDS priority order
    views: dict[SeriesView, tuple[str, ...]]  # in VIEW_KEYWORDS priority order


def compile_keyword(keyword: str) -> re.Pattern[str]:
    """Turn a vocabulary entry into a regex over normalised text (see the module docstring)."""
    is_prefix = keyword.endswith("*")
    atoms = re.findall(r"[a-z]+|\d+", keyword.rstrip("*"))
    body = " ?".join(re.escape(atom) for atom in atoms)
    before = r"(?<![a-z])" if atoms[0][0].isalpha() else r"(?<![0-9])"
    if is_prefix:
        after = r"[a-z]*"
    else:
        after = r"(?![a-z])" if atoms[-1][0].isalpha() else r"(?![0-9])"
    return re.compile(before + body + after)


def normalise_description(text: str) -> tuple[str, ...]:
    """The plain and the camelCase-split normal forms of a description, deduplicated."""
    # "T2*" is how T2-star is written; keep the star as a word before punctuation goes.
    starred = text.replace("*", " star ")
    camel_split = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", starred)
    forms = (_lower_words(starred), _lower_words(camel_split))
    return tuple(dict.fromkeys(form for form in forms if form))


def read_keywords(*, descriptions: Iterable[str]) -> KeywordHints:
    """Find the families and views that the given description texts name."""
    forms = [form for text in descriptions for form in normalise_description(text)]
    return KeywordHints(
        families=_matches(patterns=_FAMILY_PATTERNS, forms=forms),
        views=_matches(patterns=_VIEW_PATTERNS, forms=forms),
    )


def _lower_words(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _matches(
    *, patterns: dict[_Key, tuple[re.Pattern[str], ...]], forms: list[str]
) -> dict[_Key, tuple[str, ...]]:
    found: dict[_Key, tuple[str, ...]] = {}
    for key, key_patterns in patterns.items():
        hits = [m.group(0) for p in key_patterns for form in forms for m in p.finditer(form)]
        # "cinesa" (from "CineSA") contains "cine": report the plain keyword, not the run-on.
        distinct = dict.fromkeys(hits)
        shortest = [h for h in distinct if not any(o != h and o in h for o in distinct)]
        if shortest:
            found[key] = tuple(shortest)
    return found


_FAMILY_PATTERNS = {
    family: tuple(compile_keyword(k) for k in words) for family, words in FAMILY_KEYWORDS.items()
}
_VIEW_PATTERNS = {view: tuple(compile_keyword(k) for k in words) for view, words in VIEW_KEYWORDS.items()}
