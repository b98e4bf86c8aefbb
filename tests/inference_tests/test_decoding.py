"""Decoding that drops finished rows (inference.decoding) gives, for every family the guide names,
the tokens transformers' ``generate`` gives -- one row at a time and on the whole batch -- while
computing only the rows still running.

Random tiny models never say "end" by themselves, so the rows are made to finish at different
lengths: by end tokens picked from each row's own greedy output, or by a per-row stop. The row
that finishes last is the one with the most left padding, and it runs many steps after the first
drop, so a row whose positions (Qwen's multimodal rotary positions) or cache slipped when another
row left the batch decodes differently from ``generate`` alone, and the test fails.
"""

import numpy as np
import pytest
import torch

from inference.backend import Backend, GenerationSettings, Part
from inference.batching import collate
from inference.decoding import DecodeCounts, decode, decode_with_generate, unapplied_knobs
from inference.generation_settings import DECODERS

FAMILIES = ("qwen2_vl", "qwen2_5_vl", "qwen3_vl", "gemma3")
STEPS = 24  # long enough for 15+ steps after the first row leaves


@pytest.fixture(scope="module", params=FAMILIES)
def backend(request):
    return Backend(request.getfixturevalue(f"tiny_{request.param}"), device="cpu")


@pytest.fixture(scope="module")
def qwen2_5_backend(tiny_qwen2_5_vl):
    return Backend(tiny_qwen2_5_vl, device="cpu")


def study(seed: int, *, phases: int, words: int) -> list[Part]:
    rng = np.random.default_rng(seed)
    return [
        Part("text", text="Describe the heart. " * words),
        Part("video", frames=rng.integers(0, 256, size=(phases, 64, 64), dtype=np.uint8), fps=25.0),
        Part("text", text="Late gadolinium enhancement:"),
        Part("image", frames=rng.integers(0, 256, size=(64, 64), dtype=np.uint8)),
    ]


# Prompts of three lengths; the shortest (most left padding in the batch) finishes last.
CONVERSATIONS = [study(1, phases=8, words=6), study(2, phases=4, words=1), study(3, phases=6, words=3)]
FINISH_NEAR = [3, 20, 10]


def encoded(backend):
    return [backend.encoder.encode(conversation) for conversation in CONVERSATIONS]


def batch(backend, prompts) -> dict[str, torch.Tensor]:
    joined = collate([p.tensors for p in prompts], pad_token_id=backend.processor.tokenizer.pad_token_id)
    return {name: torch.from_numpy(value) for name, value in joined.items()}


def with_generate(backend, prompts, settings, *, end_ids, stop=None):
    """transformers' generate on these prompts (batched, or one alone: no padding)."""
    config = backend._generation_config(settings)
    config.eos_token_id = sorted(end_ids)
    with torch.inference_mode():
        return decode_with_generate(
            backend.model, batch(backend, prompts), config, end_ids=end_ids, stop=stop
        )


def with_dropping(backend, prompts, settings, *, end_ids, stop=None):
    with torch.inference_mode():
        return decode(backend.model, batch(backend, prompts), settings, end_ids=end_ids, stop=stop)


def row_by_row(backend, prompts, settings, *, end_ids) -> list[list[int]]:
    return [with_generate(backend, [p], settings, end_ids=end_ids).tokens[0] for p in prompts]


def free_running(backend, prompts) -> list[list[int]]:
    """Each row's greedy output, alone, with no end token allowed."""
    settings = GenerationSettings(max_new_tokens=STEPS, min_new_tokens=STEPS)
    return row_by_row(backend, prompts, settings, end_ids=backend._end_ids)


def end_tokens_finishing_near(outputs: list[list[int]], targets: list[int]) -> set[int]:
    """Tokens from each row's own greedy output, at or after its target, that no row emits
    before its own target: as end tokens, they finish the rows at about the targets."""
    ends: set[int] = set()
    for row, target in enumerate(targets):
        for position in range(target, len(outputs[row])):
            token = outputs[row][position]
            early = any(token in other[:near] for other, near in zip(outputs, targets, strict=True))
            if not early and token not in outputs[row][:position]:
                ends.add(token)
                break
    return ends


def test_greedy_decoding_equals_generate_alone_and_batched_with_rows_finishing_apart(backend):
    prompts = encoded(backend)
    settings = GenerationSettings(max_new_tokens=STEPS)
    ends = end_tokens_finishing_near(free_running(backend, prompts), FINISH_NEAR)

    dropped = with_dropping(backend, prompts, settings, end_ids=ends)
    alone = row_by_row(backend, prompts, settings, end_ids=ends)
    batched = with_generate(backend, prompts, settings, end_ids=ends)

    lengths = [len(tokens) for tokens in dropped.tokens]
    assert dropped.tokens == alone == batched.tokens
    assert all(tokens[-1] in ends for tokens in dropped.tokens)
    assert len(set(lengths)) == 3 and max(lengths) - min(lengths) >= 10, lengths
    # Each forward pass computed only the rows still running; generate computed all of them.
    assert dropped.row_steps == sum(lengths)
    assert dropped.steps == max(lengths)
    assert batched.row_steps == 3 * max(lengths)


def test_rows_stopped_by_a_callback_leave_and_the_others_decode_as_alone(backend):
    prompts = encoded(backend)
    lengths = [4, 22, 9]
    settings = GenerationSettings(max_new_tokens=STEPS, min_new_tokens=STEPS)  # no end tokens
    asked = []

    def stop(rows: list[int], made: int) -> list[bool]:
        asked.append(list(rows))
        return [made >= lengths[row] for row in rows]

    dropped = with_dropping(backend, prompts, settings, end_ids=backend._end_ids, stop=stop)
    alone = row_by_row(backend, prompts, settings, end_ids=backend._end_ids)
    batched = with_generate(backend, prompts, settings, end_ids=backend._end_ids, stop=stop)

    assert dropped.tokens == [tokens[:length] for tokens, length in zip(alone, lengths, strict=True)]
    assert batched.tokens == dropped.tokens
    assert dropped.row_steps == sum(lengths) == 35
    assert batched.row_steps == 3 * 22
    # The stop is asked about the running rows only, by their input index.
    assert asked[3] == [0, 1, 2] and asked[4] == [1, 2] and asked[9] == [1]


def test_min_new_tokens_holds_back_the_end_and_max_new_tokens_cuts(qwen2_5_backend):
    backend = qwen2_5_backend
    prompts = encoded(backend)
    ends = end_tokens_finishing_near(free_running(backend, prompts), FINISH_NEAR)
    held = GenerationSettings(max_new_tokens=STEPS, min_new_tokens=8)
    cut = GenerationSettings(max_new_tokens=5)

    ended = with_dropping(backend, prompts, GenerationSettings(max_new_tokens=STEPS), end_ids=ends)
    held_back = with_dropping(backend, prompts, held, end_ids=ends)
    cut_short = with_dropping(backend, prompts, cut, end_ids=ends)

    assert min(len(tokens) for tokens in ended.tokens) < 8
    assert min(len(tokens) for tokens in held_back.tokens) > 8
    assert held_back.tokens == row_by_row(backend, prompts, held, end_ids=ends)
    assert held_back.tokens == with_generate(backend, prompts, held, end_ids=ends).tokens
    assert max(len(tokens) for tokens in cut_short.tokens) == 5
    assert cut_short.tokens == [tokens[:5] for tokens in ended.tokens]
    assert cut_short.tokens == with_generate(backend, prompts, cut, end_ids=ends).tokens


def test_seeded_sampling_repeats_and_another_seed_differs(qwen2_5_backend):
    backend = qwen2_5_backend
    prompts = encoded(backend)
    settings = GenerationSettings(max_new_tokens=12, do_sample=True, temperature=0.8, top_p=0.9)

    def sampled(seed: int, stop=None) -> list[list[int]]:
        torch.manual_seed(seed)
        return with_dropping(backend, prompts, settings, end_ids=backend._end_ids, stop=stop).tokens

    def stop(rows, made):
        return [made >= 3 * (row + 1) for row in rows]

    assert sampled(7) == sampled(7)
    assert sampled(7, stop) == sampled(7, stop)
    assert sampled(7) != sampled(8)


def test_the_backend_decodes_either_way_to_the_same_reports(qwen2_5_backend):
    backend = qwen2_5_backend
    lengths_by_prompt = {p.length: length for p, length in zip(encoded(backend), [5, 17, 11], strict=True)}

    def row_stop(input_ids, attention_mask):
        targets = [lengths_by_prompt[int(mask.sum())] for mask in attention_mask]
        return lambda rows, made: [made >= targets[row] for row in rows]

    reports, counts = {}, {}
    backend.row_stop = row_stop
    try:
        for decoding in DECODERS:
            backend.decode_counts = DecodeCounts()
            settings = GenerationSettings(max_new_tokens=STEPS, batch_size=3, decoding=decoding)
            reports[decoding] = backend.generate(CONVERSATIONS, settings)
            counts[decoding] = (backend.decode_counts.row_steps, backend.decode_counts.wasted_share)
    finally:
        backend.row_stop = None

    assert [r.text for r in reports["drop_finished"]] == [r.text for r in reports["transformers"]]
    assert [r.generated_tokens for r in reports["drop_finished"]] == [5, 17, 11]
    assert [r.generated_tokens for r in reports["transformers"]] == [5, 17, 11]
    assert counts["drop_finished"] == (33, 0.0)
    assert counts["transformers"] == (3 * 17, pytest.approx(1 - 33 / 51))


def test_the_decoder_is_a_recorded_setting():
    assert GenerationSettings().decoding == "drop_finished"
    assert GenerationSettings(decoding="transformers").as_dict()["decoding"] == "transformers"
    with pytest.raises(ValueError):
        GenerationSettings(decoding="beam")


def test_generation_knobs_the_loop_does_not_apply_are_named(backend):
    from transformers import GenerationConfig

    assert unapplied_knobs(backend.model.generation_config) == []
    assert unapplied_knobs(GenerationConfig(no_repeat_ngram_size=3, typical_p=1.0)) == [
        "no_repeat_ngram_size"
    ]
