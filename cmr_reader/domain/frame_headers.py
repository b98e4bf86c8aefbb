"""One header per frame of a multi-frame MR object, in the shape a single-frame image's header has.

Enhanced MR Image Storage (1.2.840.10008.5.1.4.1.1.4.1) and its Legacy Converted form (...4.4)
hold a whole series in one object: the frames share one top-level header, and what varies per
frame lives in functional group macros (PS3.3 C.7.6.16): Shared Functional Groups for what all
frames have in common, one Per-Frame Functional Groups item per frame for the rest. The attributes
series facts, classification and the series grid read (``series_facts.CLASSIFICATION_KEYWORDS``)
are inside those macros under other names: a frame's position is Plane Position (Patient), its
trigger delay is Cardiac Synchronization's Nominal Cardiac Trigger Delay Time, its inversion time
MR Modifier's Inversion Times. ``frame_headers`` rewrites each frame's macros as the single-frame
attributes they stand for, so everything downstream treats a frame like a single-frame image.

Legacy converted objects (PS3.3 A.71) keep the source images' attributes that have no macro in
the Unassigned Shared / Per-Frame Converted Attributes sequences under their own tags (Trigger
Time, Nominal Interval, Slice Location); those are read too.

Works on DICOM JSON (PS3.18 F.2), the form ingest stores every header in, so the site can expand
a stored instance without the file. Per frame, later sources win: the top level, then the shared
unassigned attributes, the shared macros, the frame's unassigned attributes, the frame's macros.
"""

from collections.abc import Collection, Iterable, Mapping

SHARED_FUNCTIONAL_GROUPS = "52009229"
PER_FRAME_FUNCTIONAL_GROUPS = "52009230"
UNASSIGNED_SHARED_CONVERTED = "00209170"
UNASSIGNED_PER_FRAME_CONVERTED = "00209171"
NUMBER_OF_FRAMES = "00280008"

# Functional group macro sequence -> (attribute in its item, the keyword a single-frame header uses).
MACRO_ATTRIBUTES: dict[str, tuple[tuple[str, str], ...]] = {
    "00209113": (("00200032", "ImagePositionPatient"),),  # Plane Position (Patient)
    "00209116": (("00200037", "ImageOrientationPatient"),),  # Plane Orientation (Patient)
    "00289110": (("00280030", "PixelSpacing"), ("00180050", "SliceThickness")),  # Pixel Measures
    "00189118": (  # Cardiac Synchronization
        ("00209153", "TriggerTime"),  # Nominal Cardiac Trigger Delay Time (ms after the R wave)
        ("00209251", "NominalInterval"),  # R-R Interval Time Nominal
        ("00181088", "HeartRate"),
    ),
    "00189115": (("00189079", "InversionTime"),),  # MR Modifier: Inversion Times (the first)
    "00189226": (("00089007", "ImageType"),),  # MR Image Frame Type: Frame Type
    "00209111": (  # Frame Content: where the frame sits in the Dimension Index
        ("00209056", "StackID"),
        ("00209057", "InStackPositionNumber"),
        ("00209128", "TemporalPositionIndex"),
        ("00209157", "DimensionIndexValues"),
    ),
}
# Read as several values even where one is given (the single-frame header's own convention).
MULTI_VALUED_KEYWORDS = frozenset(
    {"ImageType", "ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing", "DimensionIndexValues"}
)
FRAME_KEYWORDS = tuple(
    dict.fromkeys(keyword for pairs in MACRO_ATTRIBUTES.values() for _tag, keyword in pairs)
)


def has_functional_groups(dicom_json: Mapping) -> bool:
    """Whether ``dicom_json`` describes its frames in functional groups (an enhanced object)."""
    return bool(
        _items(dicom_json, PER_FRAME_FUNCTIONAL_GROUPS) or _items(dicom_json, SHARED_FUNCTIONAL_GROUPS)
    )


def plain_header(
    dicom_json: Mapping,
    *,
    tags: Iterable[tuple[str, str]],
    multi_valued: Collection[str] = MULTI_VALUED_KEYWORDS,
) -> dict:
    """The (keyword, tag) attributes of one DICOM JSON data set as plain values by keyword.

    One value is unwrapped from its list unless the keyword is multi-valued; absent and empty
    attributes are left out.
    """
    header = {}
    for keyword, tag in tags:
        value = _value(dicom_json, tag, keyword=keyword, multi_valued=multi_valued)
        if value is not None:
            header[keyword] = value
    return header


def frame_headers(
    dicom_json: Mapping,
    *,
    tags: Iterable[tuple[str, str]],
    multi_valued: Collection[str] = MULTI_VALUED_KEYWORDS,
) -> list[dict]:
    """One plain header per frame: the top level's (keyword, tag) attributes, overlaid frame by
    frame with what the functional groups and the converted-attribute sequences say.

    An object without functional groups gives one header (its top level), whatever its frame
    count: a classic multi-frame image has one position and no per-frame times to offer.
    """
    tags = tuple(tags)
    top = plain_header(dicom_json, tags=tags, multi_valued=multi_valued)
    if not has_functional_groups(dicom_json):
        return [top]
    shared_items = _items(dicom_json, SHARED_FUNCTIONAL_GROUPS)
    shared = {
        **top,
        **_group_values(shared_items[0] if shared_items else {}, tags=tags, multi_valued=multi_valued),
    }
    per_frame = _items(dicom_json, PER_FRAME_FUNCTIONAL_GROUPS)
    count = _frame_count(dicom_json) or len(per_frame) or 1
    return [
        {
            **shared,
            **_group_values(
                per_frame[index] if index < len(per_frame) else {}, tags=tags, multi_valued=multi_valued
            ),
        }
        for index in range(count)
    ]


def _group_values(
    group: Mapping, *, tags: tuple[tuple[str, str], ...], multi_valued: Collection[str]
) -> dict:
    """What one functional groups item (shared, or one frame's) says, by single-frame keyword."""
    values = {}
    for unassigned in _items(group, UNASSIGNED_SHARED_CONVERTED) + _items(
        group, UNASSIGNED_PER_FRAME_CONVERTED
    ):
        values.update(plain_header(unassigned, tags=tags, multi_valued=multi_valued))
    for sequence_tag, pairs in MACRO_ATTRIBUTES.items():
        items = _items(group, sequence_tag)
        if not items:
            continue
        for tag, keyword in pairs:
            value = _value(items[0], tag, keyword=keyword, multi_valued=multi_valued)
            if value is not None:
                values[keyword] = value
    return values


def _value(dicom_json: Mapping, tag: str, *, keyword: str, multi_valued: Collection[str]):
    element = dicom_json.get(tag)
    values = element.get("Value") if isinstance(element, Mapping) else None
    if not values:
        return None
    if keyword in multi_valued or len(values) > 1 and keyword not in _FIRST_OF_SEVERAL:
        return list(values)
    return values[0]


# Several values of which the single-frame attribute is the first (Inversion Times, FD 1-n).
_FIRST_OF_SEVERAL = frozenset({"InversionTime"})


def _items(dicom_json: Mapping, tag: str) -> list:
    element = dicom_json.get(tag)
    items = element.get("Value") if isinstance(element, Mapping) else None
    return [item for item in items if isinstance(item, Mapping)] if isinstance(items, list) else []


def _frame_count(dicom_json: Mapping) -> int:
    element = dicom_json.get(NUMBER_OF_FRAMES)
    values = element.get("Value") if isinstance(element, Mapping) else None
    try:
        return max(int(values[0]), 0) if values else 0
    except (TypeError, ValueError):
        return 0
