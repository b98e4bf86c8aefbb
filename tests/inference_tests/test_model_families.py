"""Every family the operator's guide names loads from a local folder through the Auto classes and
generates in batches: Qwen2-VL, Qwen2.5-VL, Qwen3-VL (cines as video) and Gemma-3 (a processor
that takes one image list per prompt and no video: cines as labelled stills). Token counts are
checked against the processor's own output."""

import numpy as np
import pytest

from inference.backend import Backend, GenerationSettings, Part

FAMILIES = ("qwen2_vl", "qwen2_5_vl", "qwen3_vl", "gemma3")
MODEL_CLASSES = {
    "qwen2_vl": "Qwen2VLForConditionalGeneration",
    "qwen2_5_vl": "Qwen2_5_VLForConditionalGeneration",
    "qwen3_vl": "Qwen3VLForConditionalGeneration",
    "gemma3": "Gemma3ForConditionalGeneration",
}
GREEDY = GenerationSettings(max_new_tokens=6)


@pytest.fixture(scope="module", params=FAMILIES)
def family_backend(request):
    path = request.getfixturevalue(f"tiny_{request.param}")
    return request.param, Backend(path, device="cpu")


def study(seed: int, *, phases: int) -> list[Part]:
    rng = np.random.default_rng(seed)
    return [
        Part("text", text="Describe the heart." * (1 + seed)),
        Part("video", frames=rng.integers(0, 256, size=(phases, 64, 64), dtype=np.uint8), fps=25.0),
        Part("text", text="Late gadolinium enhancement:"),
        Part("image", frames=rng.integers(0, 256, size=(64, 64), dtype=np.uint8)),
        Part("image", frames=rng.integers(0, 256, size=(64, 64), dtype=np.uint8)),
    ]


def test_the_family_loads_as_itself(family_backend):
    family, backend = family_backend

    assert type(backend.model).__name__ == MODEL_CLASSES[family]
    assert backend.supports_video == (family != "gemma3")
    assert sum(p.numel() for p in backend.model.parameters()) < 1_000_000
    assert backend.describe()["model_type"] == family


def test_prompt_tokens_are_the_processor_own_count(family_backend):
    family, backend = family_backend
    conversation = study(0, phases=8)

    prompt = backend._prompt(conversation)
    alone = (
        backend.processor(
            text=[prompt.text],
            images=[prompt.images],
            videos=prompt.videos or None,
            video_metadata=prompt.video_metadata or None,
            do_sample_frames=False,
            return_tensors="pt",
        )
        if prompt.videos
        else backend.processor(text=[prompt.text], images=[prompt.images], return_tensors="pt")
    )
    (generated,) = backend.generate([conversation], GREEDY)

    assert generated.prompt_tokens == alone["input_ids"].shape[1]
    config = backend.model.config
    if family == "gemma3":
        # 8 labelled stills of the cine and the 2 LGE images, each a fixed number of soft tokens.
        assert len(prompt.images) == 10
        soft = (alone["input_ids"][0] == config.image_token_id).sum().item()
        assert soft == 10 * config.mm_tokens_per_image
    else:
        merge = backend.processor.video_processor.merge_size
        (grid,) = alone["video_grid_thw"].tolist()
        assert grid[0] == 4  # 8 frames, 2 per temporal patch: none dropped or added
        videos = (alone["input_ids"][0] == config.video_token_id).sum().item()
        assert videos == grid[0] * grid[1] * grid[2] // merge**2


def test_a_batch_of_two_gives_what_each_gives_alone(family_backend):
    _family, backend = family_backend
    conversations = [study(1, phases=8), study(2, phases=4)]

    alone = backend.generate(conversations, GenerationSettings(max_new_tokens=6, batch_size=1))
    together = backend.generate(conversations, GenerationSettings(max_new_tokens=6, batch_size=2))

    assert [g.text for g in together] == [g.text for g in alone]
    assert [g.prompt_tokens for g in together] == [g.prompt_tokens for g in alone]
    assert alone[0].prompt_tokens != alone[1].prompt_tokens
    assert all(g.generated_tokens > 0 for g in together)


def test_per_case_tensors_joined_equal_the_processor_batch(family_backend):
    """The processor runs once per case (in the input workers); ``collate`` must build exactly
    the batch the processor would have built from all cases at once."""
    from inference.batching import collate

    _family, backend = family_backend
    conversations = [study(1, phases=8), study(2, phases=4), study(0, phases=6)]
    prompts = [backend._prompt(c) for c in conversations]

    together = backend._processor_inputs(prompts, padding=True)
    joined = collate(
        [backend.encoder.encode(c).tensors for c in conversations],
        pad_token_id=backend.processor.tokenizer.pad_token_id,
    )

    assert set(joined) == set(together.keys())
    for name, value in together.items():
        assert np.array_equal(joined[name], value.numpy()), name


def test_the_encoder_travels_to_a_worker_and_encodes_the_same(family_backend):
    import pickle

    _family, backend = family_backend
    conversation = study(3, phases=4)

    copy = pickle.loads(pickle.dumps(backend.encoder))

    here, there = backend.encoder.encode(conversation).tensors, copy.encode(conversation).tensors
    assert set(here) == set(there)
    assert all(np.array_equal(here[name], there[name]) for name in here)


def test_the_processor_runs_once_per_conversation(family_backend, monkeypatch):
    _family, backend = family_backend
    calls = []
    real = backend.encoder.processor_inputs

    def counted(prompts, *, padding):
        calls.append(len(prompts))
        return real(prompts, padding=padding)

    monkeypatch.setattr(backend.encoder, "processor_inputs", counted)
    generated = backend.generate(
        [study(1, phases=8), study(2, phases=4), study(0, phases=6)],
        GenerationSettings(max_new_tokens=2, batch_size=2),
    )

    assert calls == [1, 1, 1]
    assert sorted(g.batch_size for g in generated) == [1, 2, 2]
