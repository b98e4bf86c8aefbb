"""Decoding planned frames, resizing them to the model's patch grid and windowing them to 8 bits.

Order of work: decode to float (modality rescale applied, MONOCHROME1 inverted so that bright is
always high signal, colour reduced to luma), resize in float, then window. Windowing last means
the percentiles are those of the pixels the model sees, so every series uses the full 0-255
range: values at or below the low percentile become 0, at or above the high one 255, linear in
between. The window is computed once per source series over all of its decoded frames, so slices
of one stack keep their relative brightness.

With ``centre_fraction`` below 1, each frame is first cropped to the central share of its rows
and columns (before resizing, so the pixel budget goes to the middle of the field of view).

Sizes follow Qwen2-VL's ``smart_resize``: sides rounded to multiples of the model's grid (28, or 32 for Qwen3-VL), scaled down (aspect
kept) until the area fits ``max_pixels``; images are never scaled up beyond that rounding, and the
processor then has nothing left to resize.
"""

import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pydicom
from PIL import Image

from inference.inputs.items import PATCH_SIDE
from inference.inputs.study_files import FrameRecord

LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R BT.601


def target_size(*, rows: int, columns: int, max_pixels: int, patch_side: int = PATCH_SIDE) -> tuple[int, int]:
    """(height, width): multiples of ``patch_side`` (28 for Qwen2/2.5-VL, 32 for Qwen3-VL), aspect
    kept, area at most ``max_pixels``."""
    side = patch_side
    height = max(side, round(rows / side) * side)
    width = max(side, round(columns / side) * side)
    if height * width > max_pixels:
        scale = math.sqrt(rows * columns / max_pixels)
        # The epsilon keeps an exact fit (96 x 96 into 56 x 56) from flooring to one patch less.
        height = max(side, math.floor(rows / scale / side + 1e-9) * side)
        width = max(side, math.floor(columns / scale / side + 1e-9) * side)
    return height, width


def decode_records(
    records: Iterable[FrameRecord],
) -> tuple[dict[tuple[Path, int], np.ndarray], dict[Path, str]]:
    """Float frames keyed by (path, frame index), and the files that would not decode with why.

    Each file is read and decoded once however many of its frames are wanted.
    """
    wanted: dict[Path, set[int]] = {}
    for record in records:
        wanted.setdefault(record.path, set()).add(record.frame_index)
    frames: dict[tuple[Path, int], np.ndarray] = {}
    failed: dict[Path, str] = {}
    for path, indices in wanted.items():
        try:
            ds = pydicom.dcmread(path)
            pixels = _float_pixels(ds)
            for index in indices:
                frames[(path, index)] = pixels[index]
        except Exception as error:  # pydicom and its decoders raise many types for damaged data
            failed[path] = (str(error).splitlines() or [type(error).__name__])[0][:120]
    return frames, failed


def centre_crop(frame: np.ndarray, *, fraction: float) -> np.ndarray:
    """The central ``fraction`` of a frame's rows and columns (the whole frame at 1.0)."""
    return frame[centre_window(frame.shape[0], fraction)][:, centre_window(frame.shape[1], fraction)]


def centre_window(length: int, fraction: float) -> slice:
    """The central ``fraction`` of ``length`` pixels, at least one."""
    kept = max(1, round(length * fraction))
    start = (length - kept) // 2
    return slice(start, start + kept)


def resize_frame(frame: np.ndarray, *, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a float frame to (height, width); PIL filters when shrinking."""
    if frame.shape == size:
        return frame.astype(np.float32, copy=False)
    image = Image.fromarray(np.ascontiguousarray(frame, dtype=np.float32))
    return np.asarray(image.resize((size[1], size[0]), Image.Resampling.BILINEAR), dtype=np.float32)


def window_limits(frames: Sequence[np.ndarray], *, percentiles: tuple[float, float]) -> tuple[float, float]:
    """The low and high percentiles of all pixel values of ``frames``."""
    values = np.concatenate([f.ravel() for f in frames])
    low, high = np.percentile(values, percentiles)
    return float(low), float(high)


def to_uint8(frame: np.ndarray, *, limits: tuple[float, float]) -> np.ndarray:
    """Clip to the window and scale to 0-255; a flat window gives a black frame."""
    low, high = limits
    if high <= low:
        return np.zeros(frame.shape, dtype=np.uint8)
    scaled = (frame.astype(np.float32) - low) * (255.0 / (high - low))
    return np.rint(np.clip(scaled, 0.0, 255.0)).astype(np.uint8)


def _float_pixels(ds: pydicom.Dataset) -> np.ndarray:
    """(frames, rows, columns) float32, rescaled, bright meaning high signal."""
    pixels = ds.pixel_array.astype(np.float32)
    frame_count = int(ds.get("NumberOfFrames") or 1)
    is_colour = int(ds.get("SamplesPerPixel") or 1) > 1
    if is_colour:
        pixels = pixels @ LUMA
    if frame_count == 1:
        pixels = pixels[np.newaxis]
    slope, intercept = ds.get("RescaleSlope"), ds.get("RescaleIntercept")
    if slope is not None or intercept is not None:
        pixels = pixels * float(slope if slope is not None else 1.0) + float(intercept or 0.0)
    if str(ds.get("PhotometricInterpretation", "")).upper() == "MONOCHROME1":
        pixels = -pixels
    return pixels
