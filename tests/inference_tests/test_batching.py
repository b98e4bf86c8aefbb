"""Which prompts share a batch and how their per-case tensors are joined (no model needed)."""

import numpy as np
import pytest

from inference.batching import (
    AUTO,
    CPU_AUTO_BATCH,
    MemoryBudget,
    collate,
    parse_batch_size,
    plan_batches,
    window_size,
)
from inference.generation_settings import GenerationSettings

GIB = 1024**3
# Qwen2.5-VL-7B in bf16: 28 layers x 4 KV heads x 128 dims x 2 (K, V) x 2 bytes.
KV_7B = 2 * 28 * 4 * 128 * 2


def budget(free_bytes: int, *, kv: int = KV_7B, activations: int = 0) -> MemoryBudget:
    return MemoryBudget(free_bytes=free_bytes, kv_bytes_per_token=kv, activation_bytes_per_token=activations)


def test_a_fixed_size_cuts_the_prompts_sorted_by_length():
    lengths = [50, 10, 40, 20, 30]

    assert plan_batches(lengths, batch_size=2, max_new_tokens=8) == [[1, 3], [4, 2], [0]]
    # No larger than one batch: kept in the caller's order.
    assert plan_batches(lengths, batch_size=5, max_new_tokens=8) == [[0, 1, 2, 3, 4]]


def test_auto_on_the_cpu_is_a_small_fixed_batch():
    batches = plan_batches(list(range(10, 0, -1)), batch_size=AUTO, max_new_tokens=8)

    assert [len(b) for b in batches] == [CPU_AUTO_BATCH, CPU_AUTO_BATCH, 10 - 2 * CPU_AUTO_BATCH]
    assert batches[0] == [9, 8, 7, 6]  # shortest first


def test_auto_fills_the_free_memory_and_no_more():
    # 1,000 prompt tokens + 500 new per row: 1,500 x 57,344 B = 86 MB per row of KV cache.
    memory = budget(10 * GIB)
    per_row = memory.batch_bytes(rows=1, prompt_width=1000, max_new_tokens=500)
    expected = int(10 * GIB * 0.8 // per_row)

    batches = plan_batches([1000] * 300, batch_size=AUTO, max_new_tokens=500, memory=memory, cap=1000)

    assert len(batches[0]) == expected
    assert all(
        memory.batch_bytes(rows=len(b), prompt_width=1000, max_new_tokens=500) <= 0.8 * 10 * GIB
        for b in batches
    )
    assert sorted(i for b in batches for i in b) == list(range(300))


def test_auto_batches_get_smaller_as_prompts_and_outputs_get_longer():
    memory = budget(8 * GIB, activations=4096)
    short = plan_batches([500] * 200, batch_size=AUTO, max_new_tokens=256, memory=memory, cap=1000)
    long = plan_batches([4000] * 200, batch_size=AUTO, max_new_tokens=256, memory=memory, cap=1000)
    longer_output = plan_batches([500] * 200, batch_size=AUTO, max_new_tokens=2048, memory=memory, cap=1000)

    assert len(short[0]) > len(long[0]) > 1
    assert len(short[0]) > len(longer_output[0])


def test_auto_pads_each_batch_to_its_widest_prompt_and_respects_the_cap():
    memory = budget(GIB)
    lengths = [100] * 10 + [3000]
    batches = plan_batches(lengths, batch_size=AUTO, max_new_tokens=100, memory=memory, cap=4)

    assert all(len(b) <= 4 for b in batches)
    for batch in batches:
        width = max(lengths[i] for i in batch)
        assert memory.batch_bytes(rows=len(batch), prompt_width=width, max_new_tokens=100) <= 0.8 * GIB


def test_a_prompt_too_long_for_memory_still_gets_a_batch_of_its_own():
    batches = plan_batches([10, 10**7], batch_size=AUTO, max_new_tokens=10, memory=budget(GIB))

    assert batches == [[0], [1]]


def test_collate_pads_on_the_left_and_concatenates_vision_in_batch_order():
    first = {
        "input_ids": np.array([[5, 6, 7]]),
        "attention_mask": np.ones((1, 3), dtype=np.int64),
        "pixel_values": np.full((4, 2), 1.0, dtype=np.float32),
        "image_grid_thw": np.array([[1, 2, 2]]),
    }
    second = {
        "input_ids": np.array([[8]]),
        "attention_mask": np.ones((1, 1), dtype=np.int64),
        "pixel_values_videos": np.full((8, 2), 2.0, dtype=np.float32),
        "video_grid_thw": np.array([[2, 2, 2]]),
    }
    third = {
        "input_ids": np.array([[9, 9]]),
        "attention_mask": np.ones((1, 2), dtype=np.int64),
        "pixel_values": np.full((2, 2), 3.0, dtype=np.float32),
        "image_grid_thw": np.array([[1, 1, 2]]),
    }

    batch = collate([first, second, third], pad_token_id=0 + 1)

    assert batch["input_ids"].tolist() == [[5, 6, 7], [1, 1, 8], [1, 9, 9]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [0, 0, 1], [0, 1, 1]]
    assert batch["pixel_values"][:, 0].tolist() == [1.0] * 4 + [3.0] * 2
    assert batch["image_grid_thw"].tolist() == [[1, 2, 2], [1, 1, 2]]
    assert batch["video_grid_thw"].tolist() == [[2, 2, 2]]


def test_collate_refuses_padded_or_missing_rows():
    one = {"input_ids": np.array([[1, 2]]), "attention_mask": np.ones((1, 2))}
    with pytest.raises(ValueError):
        collate([one, {"input_ids": np.array([[1]])}], pad_token_id=0)
    with pytest.raises(ValueError):
        collate([{"input_ids": np.array([[1, 2], [3, 4]])}], pad_token_id=0)
    with pytest.raises(ValueError):
        collate([], pad_token_id=0)


def test_settings_take_a_number_or_auto():
    assert GenerationSettings().batch_size == AUTO
    assert GenerationSettings(batch_size=3).batch_size == 3
    for bad in (0, -1, "big", 2.5, True):
        with pytest.raises(ValueError):
            GenerationSettings(batch_size=bad)
    assert parse_batch_size("Auto") == AUTO and parse_batch_size("8") == 8
    with pytest.raises(ValueError):
        parse_batch_size("0")
    assert window_size(4, batches=4) == 16 and window_size(AUTO, batches=4) > 16
