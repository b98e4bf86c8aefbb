"""Batches for generation: which prompts go together, and how their tensors are joined. No torch.

The processor runs once per case (in the input workers), so each case arrives as its own batch of
one: ``collate`` joins cases into the batch the model takes (ids and masks left-padded, vision
tensors concatenated in batch order, as the processor itself would have joined them), and
``plan_batches`` decides which cases share a batch: sorted by prompt length, so little compute goes
to padding, and as many per batch as fit, where "fit" is either a fixed size or, with
``batch_size="auto"`` on a GPU, the free memory left for the KV cache and activations.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

AUTO = "auto"
CPU_AUTO_BATCH = 4  # on the CPU a batch mostly buys padding: a small fixed one
AUTO_CAP = 64  # beyond this, decode is no longer bound by reading the weights (see decision 0030)
# Per-position tensors (batch, sequence): left-padded. Everything else is per image / video
# (patches, grids, time spacing): concatenated along the first axis in batch order.
SEQUENCE_KEYS = ("input_ids", "attention_mask", "token_type_ids", "mm_token_type_ids")


@dataclass(frozen=True)
class MemoryBudget:
    """What a batch may use on the device, and what each token costs there.

    ``kv_bytes_per_token``: keys and values of every layer for one position (2 x layers x KV
    heads x head dim x bytes per value). ``activation_bytes_per_token``: the transient tensors of
    one prefill position (hidden states, MLP intermediate, vision tower), a margin rather than an
    exact count. ``usable_fraction`` keeps room for the allocator's fragmentation and the logits.
    """

    free_bytes: int
    kv_bytes_per_token: int
    activation_bytes_per_token: int
    usable_fraction: float = 0.8

    def batch_bytes(self, *, rows: int, prompt_width: int, max_new_tokens: int) -> int:
        """Memory of a left-padded batch: the KV cache at its full length for every row, plus
        the prefill activations of the whole padded prompt."""
        cache = rows * (prompt_width + max_new_tokens) * self.kv_bytes_per_token
        return cache + rows * prompt_width * self.activation_bytes_per_token


def parse_batch_size(value: str | int) -> int | str:
    """A command line's ``--batch-size``: a positive number, or "auto"."""
    if str(value).strip().lower() == AUTO:
        return AUTO
    number = int(value)
    if number < 1:
        raise ValueError("the batch size must be at least 1, or auto")
    return number


def plan_batches(
    lengths: Sequence[int],
    *,
    batch_size: int | str,
    max_new_tokens: int,
    memory: MemoryBudget | None = None,
    cap: int = AUTO_CAP,
) -> list[list[int]]:
    """Indices of ``lengths`` grouped into batches, shortest prompts first.

    A fixed ``batch_size`` cuts the sorted prompts into batches of that size (a set no larger
    than one batch keeps its order). ``"auto"`` without a memory budget (the CPU) uses
    ``CPU_AUTO_BATCH``; with one, each batch takes the next prompts while the padded batch still
    fits ``memory.usable_fraction`` of the free bytes, up to ``cap`` rows, and never fewer than
    one row (a prompt too long even alone is tried alone, and fails alone).
    """
    order = list(range(len(lengths)))
    if batch_size != AUTO:
        size = int(batch_size)
        if size < 1:
            raise ValueError("the batch size must be at least 1")
        if len(order) > size:
            order.sort(key=lambda index: lengths[index])
        return [order[start : start + size] for start in range(0, len(order), size)]
    order.sort(key=lambda index: lengths[index])
    if memory is None:
        return [order[start : start + CPU_AUTO_BATCH] for start in range(0, len(order), CPU_AUTO_BATCH)]
    allowed = memory.free_bytes * memory.usable_fraction
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order:
        # Sorted ascending: the newest prompt is the widest, so it sets the padded width.
        rows = len(current) + 1
        fits = memory.batch_bytes(rows=rows, prompt_width=lengths[index], max_new_tokens=max_new_tokens)
        if current and (rows > cap or fits > allowed):
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches


def collate(cases: Sequence[Mapping[str, np.ndarray]], *, pad_token_id: int) -> dict[str, np.ndarray]:
    """One batch from per-case processor outputs (each a batch of one, unpadded).

    Left padding (generation continues at the right edge of every row): ``input_ids`` with the
    pad token, masks and token types with 0. Vision tensors are concatenated in batch order,
    which is how the processors order them for a batch (and how the model matches them to the
    image and video tokens, in reading order).
    """
    if not cases:
        raise ValueError("nothing to collate")
    width = max(int(case["input_ids"].shape[1]) for case in cases)
    keys = list(dict.fromkeys(key for case in cases for key in case))
    batch: dict[str, np.ndarray] = {}
    for key in keys:
        present = [case[key] for case in cases if key in case]
        if key in SEQUENCE_KEYS:
            if len(present) != len(cases):
                raise ValueError(f"{key} is missing for some cases")
            fill = pad_token_id if key == "input_ids" else 0
            rows = []
            for value in present:
                if value.ndim != 2 or value.shape[0] != 1:
                    raise ValueError(f"{key} must be one unpadded row per case, not {value.shape}")
                pad = np.full((1, width - value.shape[1]), fill, dtype=value.dtype)
                rows.append(np.concatenate([pad, value], axis=1))
            batch[key] = np.concatenate(rows, axis=0)
        else:
            batch[key] = np.concatenate(present, axis=0)
    return batch


def window_size(batch_size: int | str, *, batches: int) -> int:
    """How many cases the pipeline prepares ahead: ``batches`` batches, or with "auto" enough
    for the memory planner to form large batches."""
    if batch_size == AUTO:
        return AUTO_CAP * batches // 2
    return int(batch_size) * batches
