"""Decision 0028: a cine reaches every Qwen-VL family with one distinct time position per temporal
patch, all its frames (no resampling by the processor), and frame sides on the model's own patch
grid. Checked against the processor's own output and the model's own ``get_rope_index``."""

import inspect
import re

import numpy as np
import pytest

from inference.backend import Backend, Part, vision_grid_factor
from inference.checkpoint import checkpoint_grid_factor, input_config_for_checkpoint
from inference.conversation import SECONDS_PER_TEMPORAL_PATCH, nominal_cine_fps
from inference.inputs.pixels import target_size
from inference.prompts import PromptTemplate, render_prompt

VIDEO_FAMILIES = ("qwen2_vl", "qwen2_5_vl", "qwen3_vl")
CINE_FRAMES = 16
REAL_FPS = 25.0  # a typical cine: 16 phases of a 640 ms cycle


@pytest.fixture(scope="module", params=VIDEO_FAMILIES)
def family_backend(request):
    path = request.getfixturevalue(f"tiny_{request.param}")
    return request.param, Backend(path, device="cpu")


def cine(frames: int = CINE_FRAMES, side: int = 64, fps: float = REAL_FPS) -> list[Part]:
    pixels = np.random.default_rng(frames).integers(0, 256, size=(frames, side, side), dtype=np.uint8)
    return [Part("text", text="Cine:"), Part("video", frames=pixels, fps=fps), Part("text", text="Report.")]


def processed(backend: Backend, parts: list[Part]):
    return backend._processor_inputs([backend._prompt(parts)], padding=False)


def temporal_positions(backend: Backend, inputs) -> list[set[int]]:
    """The model's own temporal RoPE positions of the video's tokens, one set per temporal patch."""
    inner = backend.model.model
    accepted = inspect.signature(inner.get_rope_index).parameters
    position_ids, _deltas = inner.get_rope_index(**{k: v for k, v in inputs.items() if k in accepted})
    video = inputs["input_ids"][0] == backend.model.config.video_token_id
    grid_t, grid_h, grid_w = inputs["video_grid_thw"][0].tolist()
    merge = backend.processor.video_processor.merge_size
    per_patch = position_ids[0, 0][video].reshape(grid_t, grid_h * grid_w // merge**2)
    return [set(row.tolist()) for row in per_patch]


def stamps(backend: Backend, inputs) -> list[str]:
    """Qwen3-VL's "<t seconds>" stamps, one before each temporal patch, as the processor wrote them."""
    text = backend.processor.tokenizer.decode(inputs["input_ids"][0])
    return re.findall(r"<(\d+\.\d) seconds>", text)


def test_each_temporal_patch_of_a_cine_has_its_own_time_position(family_backend):
    family, backend = family_backend

    inputs = processed(backend, cine())

    # Every frame reaches the model: 16 frames are 8 temporal patches, in every family.
    assert inputs["video_grid_thw"][0, 0].item() * 2 == CINE_FRAMES
    positions = temporal_positions(backend, inputs)
    assert len(positions) == CINE_FRAMES // 2
    assert all(len(patch) == 1 for patch in positions)  # one time per patch...
    times = [patch.pop() for patch in positions]
    assert times == sorted(set(times))  # ...distinct and in order
    if family == "qwen3_vl":
        assert len(set(stamps(backend, inputs))) == CINE_FRAMES // 2


def test_qwen3_never_resamples_a_cine(tiny_qwen3_vl):
    backend = Backend(tiny_qwen3_vl, device="cpu")
    # A processor set to sample 1 frame every 2 s (Qwen3-VL's own default is 2 frames/s) would
    # keep 4 of 16 frames while the prompt says 16.
    backend.processor.video_processor.fps = 0.5

    inputs = processed(backend, cine())

    assert inputs["video_grid_thw"][0, 0].item() * 2 == CINE_FRAMES
    assert len(stamps(backend, inputs)) == CINE_FRAMES // 2


def test_qwen2_5_spaces_temporal_patches_by_tokens_per_second(tiny_qwen2_5_vl):
    backend = Backend(tiny_qwen2_5_vl, device="cpu")

    inputs = processed(backend, cine())

    # Nominal rate: one temporal patch per second, so second_per_grid_ts is exactly 1 (not a
    # fraction that transformers truncates or floors) and positions step by tokens_per_second.
    assert inputs["second_per_grid_ts"].tolist() == [SECONDS_PER_TEMPORAL_PATCH]
    times = [patch.pop() for patch in temporal_positions(backend, inputs)]
    step = backend.model.config.vision_config.tokens_per_second
    assert [b - a for a, b in zip(times, times[1:], strict=False)] == [step] * (len(times) - 1)


def test_the_real_frame_rate_would_collapse_qwen2_5_time_positions(tiny_qwen2_5_vl):
    """Why the convention exists: the cine's real rate, as the processor would take it, gives a
    20-frame cycle at most two distinct time positions (transformers floors the scaled times)."""
    backend = Backend(tiny_qwen2_5_vl, device="cpu")
    backend.nominal_fps = REAL_FPS

    positions = temporal_positions(backend, processed(backend, cine(frames=20)))

    assert len(set().union(*positions)) <= 2 < len(positions)


def test_the_real_frame_rate_would_repeat_qwen3_timestamps(tiny_qwen3_vl):
    backend = Backend(tiny_qwen3_vl, device="cpu")
    backend.nominal_fps = REAL_FPS

    written = stamps(backend, processed(backend, cine()))

    assert len(written) == CINE_FRAMES // 2 and len(set(written)) < len(written)


def test_the_frame_rate_does_not_change_what_the_model_sees_of_the_video(family_backend):
    _family, backend = family_backend

    slow = processed(backend, cine(fps=12.5))
    fast = processed(backend, cine(fps=50.0))

    assert slow["input_ids"].tolist() == fast["input_ids"].tolist()
    assert temporal_positions(backend, slow) == temporal_positions(backend, fast)


def test_the_real_frame_rate_is_written_in_the_prompt(stored_inputs_like):
    rendered = render_prompt(PromptTemplate.load("en"), stored_inputs_like)

    assert "(16 frames at 25.0 frames/s)" in rendered.text


def test_nominal_rate_is_one_temporal_patch_per_second():
    assert nominal_cine_fps(temporal_patch_size=2) == 2.0


@pytest.mark.parametrize(("family", "grid"), [("qwen2_vl", 28), ("qwen2_5_vl", 28), ("qwen3_vl", 32)])
def test_frame_sides_follow_the_checkpoint_patch_grid(family, grid, request):
    path = request.getfixturevalue(f"tiny_{family}")
    backend = Backend(path, device="cpu")

    assert checkpoint_grid_factor(path) == vision_grid_factor(backend.processor) == grid
    config = input_config_for_checkpoint(path, max_pixels=80 * 80)  # within the tiny video budget
    assert config.patch_side == grid
    height, width = target_size(rows=100, columns=90, max_pixels=config.max_pixels, patch_side=grid)
    assert height % grid == 0 and width % grid == 0
    # Frames of that size pass through the processor unresized: its grid is exactly theirs.
    inputs = processed(backend, cine(frames=4, side=height))
    patch = backend.processor.video_processor.patch_size
    assert inputs["video_grid_thw"][0].tolist()[1:] == [height // patch, height // patch]


def test_gemma3_names_no_patch_grid(tiny_gemma3):
    assert checkpoint_grid_factor(tiny_gemma3) is None
    assert input_config_for_checkpoint(tiny_gemma3).patch_side == 28


def test_patch_side_stays_out_of_fingerprints_at_its_default():
    from inference.inputs import InputConfig

    assert "patch_side" not in InputConfig().as_dict()
    assert InputConfig(patch_side=32).as_dict()["patch_side"] == 32
    with pytest.raises(ValueError, match="max_pixels"):
        InputConfig(patch_side=32, max_pixels=30 * 30)


@pytest.fixture
def stored_inputs_like():
    from inference.inputs import PatientInfo, StudyInputs, VisualItem

    item = VisualItem(
        kind="cine_sax",
        position="mid",
        modality="video",
        frames=np.zeros((16, 28, 28), dtype=np.uint8),
        fps=25.0,
        series_uid="1.2.3",
        description="cine",
    )
    return StudyInputs(
        items=(item,), patient=PatientInfo(), fingerprint="x", skipped=(), decode_seconds=0.0, cache_hit=False
    )
