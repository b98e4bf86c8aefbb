"""What the input pipeline hands to a model: its settings, the visual items, the study's inputs."""

import dataclasses
from dataclasses import dataclass

import numpy as np

SLICE_CHOICES = ("all", "three")
CINE_KINDS = ("cine_sax", "cine_4ch", "cine_2ch", "cine_3ch", "cine_lax_other")
LGE_KINDS = ("lge_sax", "lge_lax")
POSITIONS = ("basal", "mid", "apical")
# Qwen2-VL / Qwen2.5-VL: 14-pixel patches merged 2 x 2, so image sides are multiples of 28. A
# checkpoint with another grid (Qwen3-VL: 16 x 2 = 32) sets InputConfig.patch_side from its
# processor files (``inference.checkpoint.checkpoint_grid_factor``).
PATCH_SIDE = 28


class InputError(ValueError):
    """A study that cannot give the model anything: no readable DICOM, no usable cine or LGE."""


@dataclass(frozen=True, kw_only=True)
class InputConfig:
    """How a study's DICOM becomes model input; part of the fingerprint, so of provenance too."""

    frames_per_cine: int | None = 16  # None: every phase; else N evenly spaced over the cycle
    sax_slices: str = "three"  # "all", or "three" (basal, mid, apical)
    lge_slices: str = "three"
    max_pixels: int = 224 * 224  # per frame, after resizing
    window_percentiles: tuple[float, float] = (1.0, 99.0)
    # The central share of each frame's rows and columns kept before resizing (1.0: the whole
    # field of view). A CMR field of view is planned around the heart, so a crop spends the pixel
    # budget on it rather than on the chest wall.
    centre_fraction: float = 1.0
    # Frame sides are multiples of this (the processor's patch size x merge size), so the
    # processor has nothing left to resize.
    patch_side: int = PATCH_SIDE

    def __post_init__(self):
        if self.frames_per_cine is not None and self.frames_per_cine < 1:
            raise ValueError(f"frames_per_cine must be at least 1 or None, not {self.frames_per_cine}")
        for name in ("sax_slices", "lge_slices"):
            if getattr(self, name) not in SLICE_CHOICES:
                raise ValueError(f"{name} must be one of {SLICE_CHOICES}, not {getattr(self, name)!r}")
        if not 1 <= self.patch_side <= 256:
            raise ValueError(f"patch_side must be between 1 and 256 pixels, not {self.patch_side}")
        if self.max_pixels < self.patch_side * self.patch_side:
            raise ValueError(
                f"max_pixels must be at least {self.patch_side * self.patch_side}, not {self.max_pixels}"
            )
        low, high = self.window_percentiles
        if not 0.0 <= low < high <= 100.0:
            raise ValueError(f"window_percentiles must satisfy 0 <= low < high <= 100, not {(low, high)}")
        if not 0.1 <= self.centre_fraction <= 1.0:
            raise ValueError(f"centre_fraction must be between 0.1 and 1.0, not {self.centre_fraction}")

    def as_dict(self) -> dict:
        values = dataclasses.asdict(self)
        values["window_percentiles"] = [float(p) for p in self.window_percentiles]
        # Left out at its default, so settings from before it existed keep their fingerprints.
        if self.centre_fraction == 1.0:
            del values["centre_fraction"]
        else:
            values["centre_fraction"] = float(self.centre_fraction)
        if self.patch_side == PATCH_SIDE:
            del values["patch_side"]
        return values


# eq=False: dataclass equality would compare the frame arrays with ``==``, which has no truth value.
@dataclass(frozen=True, kw_only=True, eq=False)
class VisualItem:
    """One video (a cine at one slice) or one set of still images (an LGE series) for the model.

    ``frames`` is uint8 (T, H, W): a cine's phases in time order, or for an LGE item one frame per
    slice (short axis: base to apex). ``fps`` is the rate of the frames as delivered: when a cine
    is subsampled from P phases to N frames that still span one cardiac cycle, it is the
    acquisition's frame rate times N / P. ``slice_index`` and ``slice_count`` place a SAX cine
    slice in its stack, counted from the base.
    """

    kind: str
    position: str | None
    modality: str  # "video" or "image"
    frames: np.ndarray
    fps: float | None
    series_uid: str
    description: str
    slice_index: int | None = None
    slice_count: int | None = None

    def label(self) -> str:
        """An English label for a prompt, e.g. "SAX cine, basal slice (2 of 10 from the base)"."""
        count = int(self.frames.shape[0])
        if self.kind == "cine_sax":
            where = f", {self.position} slice" if self.position else ""
            if self.slice_index is not None and self.slice_count:
                where += f" ({self.slice_index + 1} of {self.slice_count} from the base)"
            return f"SAX cine{where}"
        if self.kind == "lge_sax":
            if count == 1:
                return "LGE, short axis (1 slice)"
            return f"LGE, short axis, basal to apical ({count} slices)"
        if self.kind == "lge_lax":
            return "LGE, long axis" + (f" ({count} images)" if count > 1 else "")
        return LAX_CINE_LABELS.get(self.kind, "Cine")


LAX_CINE_LABELS = {
    "cine_4ch": "4-chamber cine",
    "cine_2ch": "2-chamber cine",
    "cine_3ch": "3-chamber cine",
    "cine_lax_other": "Long-axis cine, other view",
}


@dataclass(frozen=True, kw_only=True)
class PatientInfo:
    """Demographics as the de-identified headers keep them; None where absent."""

    sex: str | None = None  # "M", "F" or "O" (DICOM PatientSex)
    age_years: int | None = None
    height_m: float | None = None
    weight_kg: float | None = None


@dataclass(frozen=True, kw_only=True)
class StudyInputs:
    """Everything a model run needs from one study, in reading order (see ``load_study_inputs``)."""

    items: tuple[VisualItem, ...]
    patient: PatientInfo
    fingerprint: str
    skipped: tuple[str, ...]
    decode_seconds: float
    cache_hit: bool
