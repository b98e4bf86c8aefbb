"""How far an AI-reported number may stray from the reference before it counts as wrong.

A versioned, cited configuration: every published comparison names the ``version`` it used, and a
change of any value must bump it. Two rules apply to a numeric field (see ``pair_metrics``):

- the absolute difference |ai - reference| must not exceed the field's tolerance, and
- the two values must lie on the same side of every clinical threshold of the field, where
  "side" is ``value >= threshold``; crossing a threshold is wrong however small the difference.

EF, volume and mass tolerances are of the order of the inter-observer variability of LV analysis
reported by Suinesiaputra A, et al. Quantification of LV function and mass by cardiovascular
magnetic resonance: multi-center variability and consensus contours. J Cardiovasc Magn Reson
2015;17:63. A difference smaller than two experts' disagreement is not an error of the report.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from cmr_reader.domain.entities.record import NUMERIC_FIELDS

SUINESIAPUTRA_2015 = (
    "Suinesiaputra A, Bluemke DA, Cowan BR, et al. Quantification of LV function and mass by "
    "cardiovascular magnetic resonance: multi-center variability and consensus contours. "
    "J Cardiovasc Magn Reson 2015;17:63. doi:10.1186/s12968-015-0170-9"
)


@dataclass(frozen=True)
class Tolerances:
    """Per numeric field: the largest acceptable |ai - reference|, and thresholds not to be crossed."""

    version: str
    citation: str
    absolute: Mapping[str, float]
    thresholds: Mapping[str, tuple[float, ...]] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        missing = set(NUMERIC_FIELDS) - set(self.absolute)
        unknown = (set(self.absolute) | set(self.thresholds)) - set(NUMERIC_FIELDS)
        if missing or unknown:
            raise ValueError(
                f"tolerances must cover exactly the numeric fields; missing {sorted(missing)}, "
                f"unknown {sorted(unknown)}"
            )
        # Read-only views, so a shared configuration cannot be altered by one caller.
        object.__setattr__(self, "absolute", MappingProxyType(dict(self.absolute)))
        object.__setattr__(self, "thresholds", MappingProxyType(dict(self.thresholds)))

    def crossed_thresholds(self, *, field_name: str, ai: float, reference: float) -> tuple[float, ...]:
        """The thresholds t of ``field_name`` with (ai >= t) != (reference >= t)."""
        return tuple(t for t in self.thresholds.get(field_name, ()) if (ai >= t) != (reference >= t))


DEFAULT_TOLERANCES = Tolerances(
    version="2025.1",
    citation=SUINESIAPUTRA_2015,
    absolute={
        "lv_ef_pct": 5.0,
        # Suinesiaputra 2015 is LV-only. RV EF varies more between observers, but a 5-point RV EF
        # difference already changes how a reader grades RV function, so the LV rule is kept.
        "rv_ef_pct": 5.0,
        "lv_edv_ml": 15.0,
        "lv_esv_ml": 15.0,
        "lv_mass_g": 20.0,
        "max_wall_thickness_mm": 2.0,
        # Indexed values: the absolute tolerance divided by a typical adult body-surface area of
        # about 1.9 m^2 (15 / 1.9 = 7.9 mL/m^2, 20 / 1.9 = 10.5 g/m^2), rounded to whole units.
        "lv_edv_index_ml_m2": 8.0,
        "lv_mass_index_g_m2": 10.0,
        # No consensus figure exists for LGE extent (% of LV mass); inter-observer differences of a
        # few percentage points are usual with semi-automatic thresholds. 5 points is a judgement
        # call; the clinically decisive question (>= 15 %) is guarded by the threshold below.
        "lge_extent_pct": 5.0,
    },
    thresholds={
        # EF below 50 % is systolic impairment; in HCM it marks the end-stage (ESC 2023 cardiomyopathy).
        "lv_ef_pct": (50.0,),
        # 15 mm: the HCM diagnostic wall thickness; 30 mm: a major sudden-death risk factor (ESC 2014/2023).
        "max_wall_thickness_mm": (15.0, 30.0),
        # Extensive LGE, >= 15 % of LV mass, carries sudden-death risk (Chan et al., Circulation 2014;130:484).
        "lge_extent_pct": (15.0,),
    },
)
