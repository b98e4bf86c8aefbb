"""What the model is given: an ordered list of parts (text, image, video). Pure, no torch.

The backend turns parts into the processor's chat messages; the prompt module builds them from a
study's inputs; ``describe_parts`` writes the same conversation as plain text for provenance.
"""

from dataclasses import dataclass

import numpy as np


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
