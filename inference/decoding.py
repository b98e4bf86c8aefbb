"""Decoding that stops spending work on finished rows.

transformers' ``generate`` keeps every row of a batch in every step until the longest row is done
(a finished row is fed padding): a batch costs its longest report times its rows. ``decode`` runs
the same prefill (the joined batch, vision inputs included, through the model's own
``prepare_inputs_for_generation`` with the ``DynamicCache`` ``generate`` would make) and then,
after each step, removes the rows that finished -- end token, ``max_new_tokens`` or a per-row
stop -- from everything that carries a row: the KV cache (``Cache.batch_select_indices``), the
attention mask, the token types, the position ids and the model's stored ``rope_deltas``. Each
step then costs only the rows still running. Freed rows are not refilled with waiting prompts
(continuous batching): a batch still ends when its longest row does, but its finished rows no
longer cost anything.

Positions stay right because they are explicit: the prefill's come from the model's own
``_prepare_position_ids_for_generation`` (for Qwen2-VL, Qwen2.5-VL and Qwen3-VL, the multimodal
rotary positions from ``get_rope_index``), and each step adds one to every remaining row's last
position, as ``generate`` does. A row's positions travel with the row when others are dropped, so
the model never has to re-derive them from ``rope_deltas``.

Greedy decoding gives the token ids ``generate`` gives (tests/inference_tests/test_decoding.py,
every family, against ``generate`` one row at a time and on the whole batch). Sampling uses
transformers' own temperature and top-p warpers, so its distribution is ``generate``'s; its
random draws differ once rows are dropped (fewer rows draw), but a seed still repeats.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from transformers import (
    DynamicCache,
    GenerationConfig,
    StoppingCriteria,
    StoppingCriteriaList,
    TemperatureLogitsWarper,
    TopPLogitsWarper,
)

from inference.generation_settings import GenerationSettings

# (input indices of the rows still running, tokens each has made) -> which of them stop now.
RowStop = Callable[[list[int], int], Collection[bool]]

# Per-position inputs that grow by one column a step, as generate grows them (a token type:
# the last one repeated for Gemma-3's image blocks, text (0) for Qwen's multimodal types).
_REPEATED_TYPES = ("token_type_ids",)
_TEXT_TYPES = ("mm_token_type_ids", "moe_mm_token_type_ids")
# Logit processors generate would take from a checkpoint's generation_config.json (it fills what
# the caller left unset) and decode does not apply. None of the families' own configs sets one.
_UNAPPLIED_KNOBS = (
    "no_repeat_ngram_size",
    "bad_words_ids",
    "suppress_tokens",
    "begin_suppress_tokens",
    "forced_bos_token_id",
    "forced_eos_token_id",
    "sequence_bias",
    "exponential_decay_length_penalty",
    "min_p",
    "typical_p",
    "epsilon_cutoff",
    "eta_cutoff",
    "watermarking_config",
)


@dataclass(frozen=True)
class Decoded:
    """Generated token ids per input row, in input order, up to and including the end token;
    ``row_steps`` rows computed over all forward passes (the prefill counts each row once, as it
    makes each row's first token); ``steps`` forward passes."""

    tokens: list[list[int]]
    row_steps: int
    steps: int


@dataclass
class DecodeCounts:
    """Decoding work summed over batches (``Backend.decode_counts``; the benchmarks read it):
    rows computed over all forward passes, tokens kept, forward passes."""

    row_steps: int = 0
    tokens: int = 0
    steps: int = 0

    def add(self, decoded: Decoded) -> None:
        self.row_steps += decoded.row_steps
        self.tokens += sum(len(row) for row in decoded.tokens)
        self.steps += decoded.steps

    @property
    def wasted_share(self) -> float:
        """The share of computed rows that made no kept token (rows that had already finished)."""
        return 1 - self.tokens / self.row_steps if self.row_steps else 0.0


def decode(
    model,
    inputs: Mapping[str, torch.Tensor],
    settings: GenerationSettings,
    *,
    end_ids: Collection[int],
    stop: RowStop | None = None,
) -> Decoded:
    """Generate for a left-padded batch (``inference.batching.collate``'s output, as tensors on
    the model's device), dropping each row from the batch as soon as it finishes.

    Honours ``settings.max_new_tokens``, ``min_new_tokens`` (end tokens suppressed until then),
    ``do_sample`` with ``temperature`` and ``top_p`` (no top-k, no repetition penalty: what
    ``Backend._generation_config`` asks of ``generate``). ``stop``, if given, is asked after
    every token which running rows stop there (the benchmark's drawn report lengths).
    """
    input_ids = inputs["input_ids"]
    rows = int(input_ids.shape[0])
    device = input_ids.device
    cache_name = _cache_argument(model)
    kwargs: dict[str, Any] = {name: value for name, value in inputs.items() if name != "input_ids"}
    if kwargs.get("attention_mask") is None:
        kwargs["attention_mask"] = torch.ones_like(input_ids)
    kwargs["use_cache"] = True
    # What generate prepares before its prefill, in its order: positions (the model's override
    # computes the multimodal rotary positions and stores rope_deltas), then the cache.
    forward_arguments = inspect.signature(model.forward).parameters
    if "position_ids" in forward_arguments:
        kwargs["position_ids"] = model._prepare_position_ids_for_generation(input_ids, dict(kwargs))
    cache = DynamicCache(config=model.config.get_text_config(decoder=True))
    kwargs[cache_name] = cache
    if "logits_to_keep" in forward_arguments:
        kwargs["logits_to_keep"] = 1  # only the last position's logits, not the prompt's
    outputs = model(
        **model.prepare_inputs_for_generation(input_ids, is_first_iteration=True, **kwargs), return_dict=True
    )
    # After the prefill only per-row state is carried: the vision inputs are per image, consumed.
    state = {
        name: kwargs[name]
        for name in ("attention_mask", "position_ids", *_REPEATED_TYPES, *_TEXT_TYPES)
        if kwargs.get(name) is not None
    }
    constant = {"use_cache": True, cache_name: cache}
    if "logits_to_keep" in kwargs:
        constant["logits_to_keep"] = 1

    ends = torch.tensor(sorted(end_ids), dtype=torch.long, device=device)
    warpers = _warpers(settings) if settings.do_sample else None
    made_tokens = torch.full((rows, settings.max_new_tokens), -1, dtype=torch.long, device=device)
    lengths = [0] * rows
    running = list(range(rows))  # input index of each row still in the batch, in batch order
    running_index = torch.arange(rows, device=device)
    made, row_steps, steps = 0, rows, 1
    while True:
        scores = outputs.logits[:, -1, :].to(dtype=torch.float32)
        if made < settings.min_new_tokens:
            scores[:, ends] = -float("inf")
        next_tokens = _choose(scores, warpers)
        made_tokens[running_index, made] = next_tokens
        made += 1
        if made >= settings.max_new_tokens:
            for row in running:
                lengths[row] = made
            break
        finished = [False] * len(running)
        if made > settings.min_new_tokens:  # an end token was allowed this step
            finished = torch.isin(next_tokens, ends).tolist()
        if stop is not None:
            finished = [
                done or bool(asked) for done, asked in zip(finished, stop(running, made), strict=True)
            ]
        if any(finished):
            for row, done in zip(running, finished, strict=True):
                if done:
                    lengths[row] = made
            keep = [position for position, done in enumerate(finished) if not done]
            if not keep:
                break
            kept = torch.tensor(keep, dtype=torch.long, device=device)
            cache.batch_select_indices(kept)
            state = {name: value.index_select(value.dim() - 2, kept) for name, value in state.items()}
            _select_rope_deltas(model, kept, batch=len(running))
            running = [running[position] for position in keep]
            running_index = running_index.index_select(0, kept)
            next_tokens = next_tokens.index_select(0, kept)
        state = _grown(state)
        model_inputs = model.prepare_inputs_for_generation(
            next_tokens[:, None], next_sequence_length=1, **state, **constant
        )
        outputs = model(**model_inputs, return_dict=True)
        row_steps += len(running)
        steps += 1
    generated = made_tokens.tolist()
    return Decoded(
        tokens=[generated[row][: lengths[row]] for row in range(rows)], row_steps=row_steps, steps=steps
    )


def decode_with_generate(
    model,
    inputs: Mapping[str, torch.Tensor],
    generation_config: GenerationConfig,
    *,
    end_ids: Collection[int],
    stop: RowStop | None = None,
) -> Decoded:
    """The same batch through transformers' ``generate`` (``decoding="transformers"``): every
    row is computed until the batch's longest is done, so ``row_steps`` is rows x steps."""
    prompt_width = int(inputs["input_ids"].shape[1])
    stopped = _StopCriterion(stop, prompt_width=prompt_width) if stop is not None else None
    output = model.generate(
        **inputs,
        generation_config=generation_config,
        stopping_criteria=StoppingCriteriaList([stopped] if stopped is not None else []),
    )
    made = output[:, prompt_width:].tolist()
    tokens = []
    for row, generated in enumerate(made):
        # Up to the first end token, or the length the row was stopped at; generate pads after.
        length = next((at + 1 for at, token in enumerate(generated) if token in end_ids), len(generated))
        stopped_at = stopped.lengths[row] if stopped is not None and stopped.lengths else None
        if stopped_at is not None:
            length = min(length, stopped_at)
        tokens.append(generated[:length])
    steps = output.shape[1] - prompt_width
    return Decoded(tokens=tokens, row_steps=len(made) * steps, steps=steps)


class _StopCriterion(StoppingCriteria):
    """A ``RowStop`` as a transformers stopping criterion (one bool per row, every row every
    step), remembering the length at which each row was stopped."""

    def __init__(self, stop: RowStop, *, prompt_width: int) -> None:
        self.stop = stop
        self.prompt_width = prompt_width
        self.lengths: list[int | None] = []

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor, **kwargs) -> torch.BoolTensor:
        rows, made = int(input_ids.shape[0]), int(input_ids.shape[1]) - self.prompt_width
        if not self.lengths:
            self.lengths = [None] * rows
        asked = list(self.stop(list(range(rows)), made))
        for row, done in enumerate(asked):
            if done and self.lengths[row] is None:
                self.lengths[row] = made
        return torch.tensor(asked, dtype=torch.bool, device=input_ids.device)  # type: ignore[return-value]


def unapplied_knobs(generation_config: GenerationConfig) -> list[str]:
    """The checkpoint's generation settings that ``generate`` would apply and ``decode`` does not
    (``Backend`` warns when a checkpoint sets one; ``decoding="transformers"`` applies them)."""
    names = []
    for name in _UNAPPLIED_KNOBS:
        value = getattr(generation_config, name, None)
        if value not in (None, False, 0, 0.0) and not (name == "typical_p" and value == 1.0):
            names.append(name)
    return names


def _cache_argument(model) -> str:
    # transformers 5.25 renamed the forward's `past_key_values` to `cache` (the old name is
    # deprecated, to be removed in 5.40); 5.17, the GPU image's, has only `past_key_values`.
    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


def _warpers(settings: GenerationSettings) -> list:
    # generate's own warpers, in its order, for what the settings ask (top_k=0 adds none).
    warpers: list = []
    if settings.temperature != 1.0:
        warpers.append(TemperatureLogitsWarper(settings.temperature))
    if settings.top_p < 1.0:
        warpers.append(TopPLogitsWarper(settings.top_p))
    return warpers


def _choose(scores: torch.Tensor, warpers: list | None) -> torch.Tensor:
    """The next token of each row: argmax (greedy: ``warpers`` None) or a draw from the warped
    distribution."""
    if warpers is None:
        return torch.argmax(scores, dim=-1)
    for warper in warpers:
        scores = warper(None, scores)
    return torch.multinomial(torch.softmax(scores, dim=-1), num_samples=1).squeeze(1)


def _grown(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The per-row state one token later, as generate's ``_update_model_kwargs_for_generation``
    makes it: the mask gains a 1, every position row its last position + 1, token types their
    last (Gemma-3) or text (Qwen) type."""
    grown = dict(state)
    mask = state["attention_mask"]
    grown["attention_mask"] = torch.cat([mask, mask.new_ones((mask.shape[0], 1))], dim=-1)
    if "position_ids" in state:
        positions = state["position_ids"]
        grown["position_ids"] = torch.cat([positions, positions[..., -1:] + 1], dim=-1)
    for name in _REPEATED_TYPES:
        if name in state:
            grown[name] = torch.cat([state[name], state[name][:, -1:]], dim=-1)
    for name in _TEXT_TYPES:
        if name in state:
            grown[name] = torch.cat([state[name], state[name].new_zeros((state[name].shape[0], 1))], dim=-1)
    return grown


def _select_rope_deltas(model, kept: torch.Tensor, *, batch: int) -> None:
    """Keep the model's stored multimodal rotary offsets (Qwen-VL's ``rope_deltas``, one per
    row) in step with the batch. Positions are passed explicitly, so the model does not read
    them while decoding here; a stale per-row tensor left behind would still be wrong state."""
    for module in (model, getattr(model, "model", None)):
        deltas = getattr(module, "rope_deltas", None)
        if (
            module is not None
            and isinstance(deltas, torch.Tensor)
            and deltas.dim() > 0
            and deltas.shape[0] == batch
        ):
            module.rope_deltas = deltas.index_select(0, kept)
