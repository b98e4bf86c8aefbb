"""How scanners name and describe cardiac series, per vendor.

The descriptions are the ones sites actually produce (Siemens ``tf2d``/``tfl`` sequence names,
GE FIESTA and MDE, Philips BTFE), so that a series classifier is tested against the variety it will
meet. A small share of series gets an uninformative description ("Series 7" or an empty string),
which forces a classifier to fall back on the data: phase count, TriggerTime spread, InversionTime
and slice geometry.
"""

from dataclasses import dataclass

import numpy as np

CINE_SAX = "cine_sax"
CINE_4CH = "cine_4ch"
CINE_2CH = "cine_2ch"
CINE_3CH = "cine_3ch"
LGE_SAX = "lge_sax"

# Order of acquisition in a typical CMR protocol: long axes to plan, the SAX stack, the LVOT view,
# then late enhancement about ten minutes after contrast.
ACQUISITION_ORDER = (CINE_2CH, CINE_4CH, CINE_SAX, CINE_3CH, LGE_SAX)

UNINFORMATIVE_SHARE = 0.1

DESCRIPTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "SIEMENS": {
        CINE_SAX: ("cine_tf2d12_retro_SAX", "CINE_SAX", "Cine SA stack", "cine_retro_sa"),
        CINE_4CH: ("cine 4ch", "4CV_cine", "cine_tf2d12_retro_4CH"),
        CINE_2CH: ("2CH", "VLA cine", "cine_tf2d12_retro_2CH"),
        CINE_3CH: ("3CH", "LVOT cine", "cine_3ch"),
        LGE_SAX: ("tfl_psir_SAX", "PSIR_LGE_SA", "DE_SAX", "LGE SA stack"),
    },
    "GE MEDICAL SYSTEMS": {
        CINE_SAX: ("SA FIESTA CINE", "CINE_SAX", "Cine SA stack"),
        CINE_4CH: ("HLA FIESTA", "4CV_cine", "cine 4ch"),
        CINE_2CH: ("VLA cine", "2C_FIESTA", "2CH"),
        CINE_3CH: ("LVOT cine", "3CH", "cine_3ch"),
        LGE_SAX: ("MDE SHORT AXIS", "IR_FGRE_LGE", "DE_SAX", "LGE SA stack"),
    },
    "Philips Medical Systems": {
        CINE_SAX: ("sBTFE_SA", "CINE_SAX", "Cine SA stack"),
        CINE_4CH: ("BTFE_4CH", "4CV_cine", "cine 4ch"),
        CINE_2CH: ("2CH", "VLA cine", "BTFE_2CH"),
        CINE_3CH: ("3CH", "cine_3ch", "LVOT cine"),
        LGE_SAX: ("PSIR_LGE_SA", "LGE SA stack", "DE_SAX"),
    },
}


@dataclass(frozen=True, kw_only=True)
class SequenceFacts:
    """Acquisition tags a vendor writes for one kind of series."""

    scanning_sequence: str
    sequence_variant: str
    scan_options: str
    sequence_name: str
    image_type: tuple[str, ...]
    repetition_time_ms: float
    echo_time_ms: float
    flip_angle_deg: float


def sequence_facts(*, manufacturer: str, kind: str, phases: int) -> SequenceFacts:
    """The sequence tags of ``kind`` as ``manufacturer`` writes them (balanced SSFP cine, IR-GRE LGE)."""
    lge = kind == LGE_SAX
    if manufacturer == "SIEMENS":
        if lge:
            return SequenceFacts(
                scanning_sequence="GR\\IR",
                sequence_variant="SP\\MP\\OSP",
                scan_options="IR",
                sequence_name="*tfl2d1r",
                image_type=("ORIGINAL", "PRIMARY", "M", "NORM", "DIS2D"),
                repetition_time_ms=5.2,
                echo_time_ms=1.96,
                flip_angle_deg=20.0,
            )
        return SequenceFacts(
            scanning_sequence="GR",
            sequence_variant="SP",
            scan_options="",
            sequence_name=f"*tfi2d1_{min(phases, 99)}",
            image_type=("ORIGINAL", "PRIMARY", "M", "RETRO", "DIS2D"),
            repetition_time_ms=39.2,
            echo_time_ms=1.19,
            flip_angle_deg=58.0,
        )
    if manufacturer == "GE MEDICAL SYSTEMS":
        if lge:
            return SequenceFacts(
                scanning_sequence="GR\\IR",
                sequence_variant="SK\\SP\\MP",
                scan_options="IR_GEMS\\FAST_GEMS\\CG_GEMS",
                sequence_name="fgre_ir",
                image_type=("ORIGINAL", "PRIMARY", "OTHER"),
                repetition_time_ms=6.1,
                echo_time_ms=2.8,
                flip_angle_deg=20.0,
            )
        return SequenceFacts(
            scanning_sequence="GR",
            sequence_variant="SS",
            scan_options="FAST_GEMS\\CG_GEMS\\CL_GEMS",
            sequence_name="fiestac",
            image_type=("ORIGINAL", "PRIMARY", "OTHER"),
            repetition_time_ms=3.6,
            echo_time_ms=1.6,
            flip_angle_deg=50.0,
        )
    if lge:
        return SequenceFacts(
            scanning_sequence="GR\\IR",
            sequence_variant="SK\\MP\\SS",
            scan_options="FC",
            sequence_name="T1TFE",
            image_type=("ORIGINAL", "PRIMARY", "M_IR", "M", "IR"),
            repetition_time_ms=6.0,
            echo_time_ms=2.9,
            flip_angle_deg=25.0,
        )
    return SequenceFacts(
        scanning_sequence="GR",
        sequence_variant="SS",
        scan_options="FC",
        sequence_name="BTFE",
        image_type=("ORIGINAL", "PRIMARY", "M_FFE", "M", "FFE"),
        repetition_time_ms=3.0,
        echo_time_ms=1.5,
        flip_angle_deg=60.0,
    )


def is_informative(description: str) -> bool:
    """Whether a description names its series (the uninformative ones are "" and "Series N")."""
    return bool(description) and not description.startswith("Series ")


def choose_description(*, rng: np.random.Generator, manufacturer: str, kind: str, series_number: int) -> str:
    """A vendor-style description of ``kind``; about one in ten is deliberately uninformative."""
    if rng.random() < UNINFORMATIVE_SHARE:
        return "" if rng.random() < 0.5 else f"Series {series_number}"
    options = DESCRIPTIONS[manufacturer][kind]
    return options[int(rng.integers(len(options)))]
