"""Manifest rows as training examples, rendered exactly as generation renders a case.

A row's stored files are read by ``load_study_inputs`` with the run's ``InputConfig`` (and the
frame cache), the prompt is rendered by ``render_prompt`` with the shipped template of the
report's language and built by the backend's own prompt builder and processor; the reference
report follows as the assistant's turn. Only the report's tokens are labelled. Examples are
encoded when a batch needs them (a site's archive does not fit in memory) and the most recent
ones kept.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import torch

from cmr_reader.domain.training_manifests import ManifestRow
from inference.demo_training import Example, answer_tensors
from inference.inputs import InputConfig, load_study_inputs
from inference.prompts import PromptTemplate, render_prompt

logger = logging.getLogger(__name__)
# Qwen's ChatML ends every turn with it; generation stops on it.
TURN_END = "<|im_end|>"


def shipped_templates() -> dict[str, PromptTemplate]:
    return {language: PromptTemplate.load(language) for language in ("en", "zh")}


def encode_pair(backend, parts, report: str) -> Example:
    """One conversation (the rendered prompt's parts) with ``report`` as the model's answer: the
    processor's tensors, float32 as generation gives them, and labels on the report's tokens."""
    tensors, labels = answer_tensors(backend, parts, report.strip() + TURN_END)
    return Example(tensors=tensors, labels=labels)


class PairEncoder:
    """Encodes manifest rows for one loaded backend; a row that cannot be read is logged once and
    skipped (``encode`` returns None), so one broken study does not stop a long run."""

    def __init__(
        self,
        backend,
        *,
        dicom_root: Path,
        input_config: InputConfig,
        templates: Mapping[str, PromptTemplate],
        cache_dir: Path | None = None,
        keep: int = 256,
    ):
        self.backend = backend
        self.dicom_root = Path(dicom_root)
        self.input_config = input_config
        self.templates = dict(templates)
        self.cache_dir = cache_dir
        self.keep = keep
        self.unreadable: dict[str, str] = {}  # case id -> why
        self._kept: OrderedDict[str, Example] = OrderedDict()

    def encode(self, row: ManifestRow) -> Example | None:
        if row.case_id in self.unreadable:
            return None
        if row.case_id in self._kept:
            self._kept.move_to_end(row.case_id)
            return self._kept[row.case_id]
        try:
            inputs = load_study_inputs(
                tuple(self.dicom_root / path for path in row.files),
                config=self.input_config,
                cache_dir=self.cache_dir,
                series_kinds=row.series_kinds,
            )
            prompt = render_prompt(self.templates[row.language], inputs)
            example = encode_pair(self.backend, prompt.parts, row.reference_report)
        except Exception as error:  # noqa: BLE001 - any failure of one case is that case's
            self.unreadable[row.case_id] = f"{type(error).__name__}: {error}"
            logger.warning("case %s left out of training: %s", row.case_id, self.unreadable[row.case_id])
            return None
        self._kept[row.case_id] = example
        if len(self._kept) > self.keep:
            self._kept.popitem(last=False)
        return example


def batch_rows(
    step: int, micro: int, *, count: int, batch_size: int, accumulate: int, seed: int
) -> list[int]:
    """Row indices of micro-batch ``micro`` of optimiser step ``step`` (1-based): the rows in a
    seeded permutation per epoch, read in order. A function of the step alone, so a resumed run
    draws the batches an uninterrupted one would."""
    per_step = batch_size * accumulate
    start = (step - 1) * per_step + micro * batch_size
    indices = []
    for position in range(start, start + batch_size):
        epoch, offset = divmod(position, count)
        indices.append(_epoch_order(seed, epoch, count)[offset])
    return indices


@lru_cache(maxsize=4)
def _epoch_order(seed: int, epoch: int, count: int) -> tuple[int, ...]:
    generator = torch.Generator().manual_seed(seed * 100_003 + epoch)
    return tuple(torch.randperm(count, generator=generator).tolist())
