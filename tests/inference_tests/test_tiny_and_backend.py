"""The tiny checkpoints load like real ones, and the backend generates from them correctly."""

import shutil
import socket

import numpy as np
import pytest

from inference.backend import Backend, GenerationSettings, Part
from inference.tiny import build_tiny, build_tiny_cli

GREEDY = GenerationSettings(max_new_tokens=12)


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("an inference test tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(params=["qwen2_vl", "qwen2_5_vl"])
def checkpoint(request, tiny_qwen2_vl, tiny_qwen2_5_vl):
    return {"qwen2_vl": tiny_qwen2_vl, "qwen2_5_vl": tiny_qwen2_5_vl}[request.param]


@pytest.fixture(scope="module")
def qwen2_5_backend(tiny_qwen2_5_vl):
    return Backend(tiny_qwen2_5_vl, device="cpu")


def frames(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)


def cine_and_lge(question: str, *, seed: int = 0, phases: int = 6, fps: float = 25.0) -> list[Part]:
    return [
        Part("text", text=question),
        Part("video", frames=frames(seed, (phases, 64, 64)), fps=fps),
        Part("text", text="Late gadolinium enhancement:"),
        Part("image", frames=frames(seed + 1, (64, 80))),
        Part("text", text="Write the report."),
    ]


def three_conversations_of_different_lengths() -> list[list[Part]]:
    # Longest first, so sorting by length must reorder them and the results must be put back.
    return [
        cine_and_lge("Describe the left ventricle. " * 12, seed=1, phases=8),
        cine_and_lge("Describe.", seed=2, phases=4),
        cine_and_lge("Describe the cine and the scar. " * 4, seed=3, phases=6),
    ]


@pytest.mark.parametrize("family", ["qwen2_vl", "qwen2_5_vl"])
def test_tiny_checkpoint_loads_through_auto_classes_offline(family, tmp_path, no_network):
    from transformers import AutoModelForImageTextToText, AutoProcessor

    path = build_tiny(tmp_path / family, family=family)
    processor = AutoProcessor.from_pretrained(path, local_files_only=True)
    model = AutoModelForImageTextToText.from_pretrained(path, local_files_only=True)

    assert model.config.model_type == family
    assert (
        type(model).__name__
        == {
            "qwen2_vl": "Qwen2VLForConditionalGeneration",
            "qwen2_5_vl": "Qwen2_5_VLForConditionalGeneration",
        }[family]
    )
    assert processor.video_processor is not None
    assert processor.tokenizer.padding_side == "left"
    assert processor.tokenizer.pad_token == "<|endoftext|>"
    assert model.config.video_token_id == processor.tokenizer.convert_tokens_to_ids("<|video_pad|>")
    assert sum(p.numel() for p in model.parameters()) < 1_000_000
    rendered = processor.apply_chat_template(
        [{"role": "user", "content": [{"type": "video"}, {"type": "image"}, {"type": "text", "text": "Hi"}]}],
        add_generation_prompt=True,
    )
    assert (
        "<|vision_start|><|video_pad|><|vision_end|><|vision_start|><|image_pad|><|vision_end|>Hi" in rendered
    )
    assert rendered.endswith("<|im_start|>assistant\n")


def test_seeded_build_is_deterministic(tmp_path, no_network):
    first = Backend(build_tiny(tmp_path / "a", seed=7), device="cpu").weights_hash()
    again = Backend(build_tiny(tmp_path / "b", seed=7), device="cpu").weights_hash()
    other = Backend(build_tiny(tmp_path / "c", seed=8), device="cpu").weights_hash()

    assert first == again
    assert first != other


def test_build_tiny_cli_writes_the_requested_family(tmp_path, capsys):
    assert build_tiny_cli([str(tmp_path / "out"), "--family", "qwen2_vl", "--seed", "3"]) == 0

    assert '"model_type": "qwen2_vl"' in (tmp_path / "out" / "config.json").read_text()
    assert str(tmp_path / "out") in capsys.readouterr().out


def test_text_video_image_conversation_generates_counted_text(checkpoint, no_network):
    backend = Backend(checkpoint, device="cpu")

    (generated,) = backend.generate([cine_and_lge("Describe the cine.")], GREEDY)

    assert isinstance(generated.text, str) and generated.text
    assert 0 < generated.generated_tokens <= GREEDY.max_new_tokens
    # The cine and the LGE image expand into vision tokens, far beyond the few words of text.
    assert generated.prompt_tokens > 40
    assert generated.seconds > 0


def test_batching_gives_the_same_text_as_one_by_one(checkpoint):
    backend = Backend(checkpoint, device="cpu")
    conversations = three_conversations_of_different_lengths()

    alone = backend.generate(conversations, GenerationSettings(max_new_tokens=12, batch_size=1))
    # 2: sorted by length into a padded pair and a single; 3 and "auto" (4 on the CPU): all three
    # padded together, from the per-case tensors joined by inference.batching.collate.
    for batch_size in (2, 3, "auto"):
        batched = backend.generate(
            conversations, GenerationSettings(max_new_tokens=12, batch_size=batch_size)
        )

        assert [g.text for g in batched] == [g.text for g in alone]
        assert [g.generated_tokens for g in batched] == [g.generated_tokens for g in alone]
        # Left padding is not counted as prompt.
        assert [g.prompt_tokens for g in batched] == [g.prompt_tokens for g in alone]
    # Distinct replies, so a batch returned in the wrong order could not pass.
    assert len({g.text for g in alone}) == 3
    assert alone[0].prompt_tokens > alone[2].prompt_tokens > alone[1].prompt_tokens


def test_results_come_back_in_input_order(qwen2_5_backend):
    conversations = three_conversations_of_different_lengths()
    settings = GenerationSettings(max_new_tokens=8, batch_size=2)

    forward = qwen2_5_backend.generate(conversations, settings)
    backward = qwen2_5_backend.generate(conversations[::-1], settings)

    assert [g.text for g in backward] == [g.text for g in forward][::-1]
    assert len({g.text for g in forward}) == 3


def test_progress_is_reported_after_each_batch(qwen2_5_backend):
    calls = []

    qwen2_5_backend.generate(
        three_conversations_of_different_lengths(),
        GenerationSettings(max_new_tokens=2, batch_size=2),
        progress=lambda done, total: calls.append((done, total)),
    )

    assert calls == [(2, 3), (3, 3)]


def test_sampling_with_a_seed_repeats_and_other_seeds_differ(qwen2_5_backend):
    conversation = [cine_and_lge("Describe the cine.")]

    def sample(seed):
        settings = GenerationSettings(
            max_new_tokens=12, do_sample=True, temperature=1.0, top_p=0.95, seed=seed
        )
        return qwen2_5_backend.generate(conversation, settings)[0].text

    first = sample(1)
    assert sample(1) == first
    assert {sample(seed) for seed in (2, 3, 4)} - {first}


def test_video_becomes_labelled_stills_without_a_video_processor(tiny_qwen2_5_vl):
    backend = Backend(tiny_qwen2_5_vl, device="cpu")
    as_video = backend.generate([cine_and_lge("Describe.", phases=4)], GREEDY)[0]
    backend.supports_video = False

    as_stills = backend.generate([cine_and_lge("Describe.", phases=4)], GREEDY)[0]

    assert as_stills.generated_tokens > 0
    # Four stills (plus their captions) cost more tokens than two temporal patches of video.
    assert as_stills.prompt_tokens > as_video.prompt_tokens


def test_weights_hash_changes_when_a_weight_file_changes(tiny_qwen2_vl, tmp_path):
    from safetensors.torch import load_file, save_file

    copy = shutil.copytree(tiny_qwen2_vl, tmp_path / "copy")
    before = Backend(copy, device="cpu").weights_hash()
    weights = load_file(copy / "model.safetensors")
    name = next(iter(weights))
    weights[name] = weights[name] + 1
    save_file(weights, copy / "model.safetensors", metadata={"format": "pt"})

    after = Backend(copy, device="cpu").weights_hash()

    assert Backend(tiny_qwen2_vl, device="cpu").weights_hash() == before
    assert after != before


def test_describe_reports_model_numerics_processor_and_versions(qwen2_5_backend, tiny_qwen2_5_vl):
    described = qwen2_5_backend.describe()

    assert described["model_path"] == str(tiny_qwen2_5_vl)
    assert described["model_class"] == "Qwen2_5_VLForConditionalGeneration"
    assert (described["dtype"], described["device"], described["attn_implementation"]) == (
        "float32",
        "cpu",
        "sdpa",
    )
    video = described["processor"]["video"]
    assert (video["min_pixels"], video["max_pixels"], video["patch_size"]) == (56 * 56, 84 * 84, 14)
    assert described["processor"]["image"]["max_pixels"] == 112 * 112
    assert described["processor"]["fps_handling"]["tokens_per_second"] == 2
    assert set(described["versions"]) >= {"torch", "transformers"}


@pytest.mark.parametrize(
    "part",
    [
        Part("video", frames=np.zeros((4, 64, 64), dtype=np.float32), fps=25.0),
        Part("video", frames=np.zeros((4, 64, 64, 3), dtype=np.uint8), fps=25.0),
        Part("video", frames=np.zeros((4, 64, 64), dtype=np.uint8), fps=0.0),
        Part("image", frames=np.zeros((64, 64), dtype=np.int16)),
    ],
    ids=["float frames", "colour frames", "zero fps", "int16 image"],
)
def test_generate_refuses_frames_the_processor_would_misread(qwen2_5_backend, part):
    with pytest.raises(ValueError):
        qwen2_5_backend.generate([[Part("text", text="Describe."), part]], GREEDY)


def test_auto_batches_on_cuda_are_planned_from_free_memory_and_the_model_shape(qwen2_5_backend, monkeypatch):
    import torch

    from inference.backend import model_shape

    monkeypatch.setattr(qwen2_5_backend, "device", torch.device("cuda", 0))
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device: (6 * 2**30, 80 * 2**30))
    monkeypatch.setattr(torch.cuda, "memory_reserved", lambda device: 3 * 2**30)
    monkeypatch.setattr(torch.cuda, "memory_allocated", lambda device: 1 * 2**30)

    budget = qwen2_5_backend.memory_budget()

    shape = model_shape(qwen2_5_backend.model.config)
    assert budget.free_bytes == 8 * 2**30  # free + reserved but unused
    assert budget.kv_bytes_per_token == 2 * shape["layers"] * shape["kv_heads"] * shape["head_dim"] * 4
    assert budget.activation_bytes_per_token > budget.kv_bytes_per_token > 0
    monkeypatch.setattr(qwen2_5_backend, "device", torch.device("cpu"))
    assert qwen2_5_backend.memory_budget() is None
