"""What the model is given: an ordered list of parts (text, image, video). Pure, no torch.

The backend turns parts into the processor's chat messages; the prompt module builds them from a
study's inputs; ``describe_parts`` writes the same conversation as plain text for provenance.
"""

from dataclasses import dataclass

import numpy as np

# Decision 0028: how a cine's time reaches the model. Its frames go to the processor as if
# sampled at a nominal rate of one temporal patch (temporal_patch_size frames, 2 in every Qwen-VL)
# per second, Qwen's own training rate (2 frames/s), whatever the acquisition's real rate; the real
# rate is written in the prompt's text. A real rate of 25-50 frames/s would give a temporal patch
# 0.04-0.08 s, which Qwen2.5-VL's integer RoPE positions (tokens_per_second x seconds) collapse to
# one or two positions per cine and Qwen3-VL's "<t seconds>" stamps (one decimal) repeat.
SECONDS_PER_TEMPORAL_PATCH = 1.0
TIME_POSITION_CONVENTION = "nominal: one temporal patch per second (decision 0028)"


def nominal_cine_fps(*, temporal_patch_size: int) -> float:
    """The frame rate a cine is presented at (``SECONDS_PER_TEMPORAL_PATCH``)."""
    return temporal_patch_size / SECONDS_PER_TEMPORAL_PATCH


@dataclass(frozen=True, eq=False)  # frames are arrays: parts compare by identity
class Part:
    kind: str  # "text" | "image" | "video"
    text: str = ""
    frames: np.ndarray | None = None  # uint8: (H, W) for an image, (T, H, W) for a video; gray
    fps: float | None = None  # a video's real frame rate

    def __post_init__(self) -> None:
        if self.kind not in ("text", "image", "video"):
            raise ValueError(f"a part is text, image or video, not {self.kind!r}")
        if self.kind != "text" and self.frames is None:
            raise ValueError(f"a {self.kind} part needs frames")


def describe_parts(parts: list[Part]) -> str:
    """The conversation as text, visual parts as placeholders: what is recorded as the rendered prompt."""
    lines = []
    for part in parts:
        if part.kind == "text":
            lines.append(part.text)
        elif part.kind == "video":
            assert part.frames is not None  # a visual part has frames (Part.__post_init__)
            frames, height, width = part.frames.shape
            lines.append(f"<video: {frames} frames, {width}x{height}, {part.fps:.2f} frames/s>")
        else:
            assert part.frames is not None
            height, width = part.frames.shape[-2:]
            lines.append(f"<image: {width}x{height}>")
    return "\n".join(lines)
