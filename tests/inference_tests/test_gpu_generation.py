"""Tiny checkpoints of every family generate on the GPU as on the CPU (run by bench/gpu_check.sh).

Self-contained (it builds its own checkpoints, no Django fixtures), so the GPU machine can run it
with ``pytest --noconftest``. Runs on CUDA; skipped without it unless CMR_GPU_CHECK_DEVICE=cpu
(how it was checked without a GPU). On the GPU: bf16 generates and counts the processor's tokens;
in fp32 (bf16's rounding can flip a tiny random model's near-tied greedy choices), batches joined
from per-case tensors give what each case gives alone.
"""

import os

import numpy as np
import pytest
import torch

from inference.backend import Backend, GenerationSettings, Part
from inference.batching import collate
from inference.tiny import build_tiny

FAMILIES = ("qwen2_vl", "qwen2_5_vl", "qwen3_vl", "gemma3")
DEVICE = os.environ.get("CMR_GPU_CHECK_DEVICE", "cuda")
pytestmark = pytest.mark.skipif(
    DEVICE == "cuda" and not torch.cuda.is_available(),
    reason="needs a CUDA GPU (or CMR_GPU_CHECK_DEVICE=cpu)",
)


@pytest.fixture(scope="module", params=FAMILIES)
def backend(request, tmp_path_factory):
    path = build_tiny(tmp_path_factory.mktemp("gpu") / request.param, family=request.param, seed=0)
    return Backend(path, device=DEVICE)


def study(seed: int, *, phases: int) -> list[Part]:
    rng = np.random.default_rng(seed)
    return [
        Part("text", text="Describe the heart." * (1 + seed)),
        Part("video", frames=rng.integers(0, 256, size=(phases, 64, 64), dtype=np.uint8), fps=25.0),
        Part("text", text="Late gadolinium enhancement:"),
        Part("image", frames=rng.integers(0, 256, size=(64, 64), dtype=np.uint8)),
    ]


def test_generates_on_the_device_with_the_processor_token_counts(backend):
    conversations = [study(1, phases=8), study(2, phases=4), study(0, phases=6)]

    generated = backend.generate(conversations, GenerationSettings(max_new_tokens=8, batch_size="auto"))

    assert backend.model.device.type == torch.device(DEVICE).type
    assert [g.prompt_tokens for g in generated] == [backend.encoder.encode(c).length for c in conversations]
    assert all(0 < g.generated_tokens <= 8 for g in generated)
    assert {g.batch_size for g in generated} == {3}


def test_joined_batches_equal_the_processor_batch_and_one_by_one_in_fp32(backend):
    conversations = [study(1, phases=8), study(2, phases=4), study(0, phases=6)]
    joined = collate(
        [backend.encoder.encode(c).tensors for c in conversations],
        pad_token_id=backend.processor.tokenizer.pad_token_id,
    )
    together = backend._processor_inputs([backend._prompt(c) for c in conversations], padding=True)
    assert all(np.array_equal(joined[name], value.numpy()) for name, value in together.items())

    backend.model.float()
    backend.dtype = torch.float32
    alone = backend.generate(conversations, GenerationSettings(max_new_tokens=8, batch_size=1))
    batched = backend.generate(conversations, GenerationSettings(max_new_tokens=8, batch_size=3))

    assert [g.text for g in batched] == [g.text for g in alone]
    assert [g.prompt_tokens for g in batched] == [g.prompt_tokens for g in alone]
