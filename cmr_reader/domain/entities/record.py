"""The entity record: its field names, the values each may take, and an empty record.

Every field is ``None`` when the report does not say. Numbers are floats in the unit the field
name carries (``_ml``, ``_g``, ``_pct``, ``_mm``, ``_ml_m2``, ``_g_m2``).
"""

NUMERIC_FIELDS = (
    "lv_edv_ml",
    "lv_esv_ml",
    "lv_mass_g",
    "lv_ef_pct",
    "rv_ef_pct",
    "lv_edv_index_ml_m2",
    "lv_mass_index_g_m2",
    "max_wall_thickness_mm",
    "lge_extent_pct",
)

FINDING_VALUES = ("present", "absent", "uncertain")

CATEGORICAL_VALUES: dict[str, tuple] = {
    # An AHA segment number 1-17 is also allowed when the report names one.
    "max_wall_thickness_location": ("septal", "anterior", "lateral", "inferior", "apical"),
    "hypertrophy_pattern": ("asymmetric_septal", "apical", "concentric", "mid_ventricular", "none"),
    "sam": FINDING_VALUES,
    "lvot_obstruction": FINDING_VALUES,
    "apical_aneurysm": FINDING_VALUES,
    "lge": FINDING_VALUES,
    "lge_pattern": (
        "patchy_midwall",
        "rv_insertion",
        "subendocardial",
        "transmural",
        "subepicardial",
        "diffuse",
    ),
    "pericardial_effusion": ("none", "small", "moderate", "large"),
    "diagnosis": ("hcm", "normal", "dcm", "ischemic", "amyloidosis", "myocarditis", "other"),
    "hcm_obstruction": ("obstructive", "non_obstructive"),
}

FIELDS = (
    "lv_edv_ml",
    "lv_esv_ml",
    "lv_mass_g",
    "lv_ef_pct",
    "rv_ef_pct",
    "lv_edv_index_ml_m2",
    "lv_mass_index_g_m2",
    "max_wall_thickness_mm",
    "max_wall_thickness_location",
    "hypertrophy_pattern",
    "sam",
    "lvot_obstruction",
    "apical_aneurysm",
    "lge",
    "lge_pattern",
    "lge_extent_pct",
    "pericardial_effusion",
    "diagnosis",
    "hcm_obstruction",
)

AHA_SEGMENTS = range(1, 18)


def empty_record() -> dict:
    """A record in which the report says nothing: every field ``None``, in ``FIELDS`` order."""
    return dict.fromkeys(FIELDS)


def is_allowed_value(*, field: str, value) -> bool:
    """Whether ``value`` may stand in ``field`` (``None`` always may)."""
    if value is None:
        return True
    if field in NUMERIC_FIELDS:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if field == "max_wall_thickness_location" and isinstance(value, int) and not isinstance(value, bool):
        return value in AHA_SEGMENTS
    return value in CATEGORICAL_VALUES[field]
