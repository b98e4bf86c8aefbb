"""Reports for many studies: inputs prepared in worker processes while the model generates.

Cases go through in windows of ``settings.batch_size x WINDOW_BATCHES`` (the first window is one
batch, so the model starts early); the backend sorts each
window by prompt length and generates it in batches, while the worker processes decode and
prepare the next window's DICOM (cached, so a rerun does not decode again). A case whose inputs
cannot be read, whose generation fails or whose output is empty comes back with its error and
the others go on.
"""

import logging
import multiprocessing
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from inference.inputs import InputConfig, StudyInputs, load_study_inputs
from inference.prompts import PromptTemplate, RenderedPrompt, render_prompt
from inference.provenance import report_provenance

logger = logging.getLogger(__name__)
WINDOW_BATCHES = 4


@dataclass(frozen=True)
class CaseSource:
    key: str  # the caller's case id
    source: Path | tuple[Path, ...]  # a folder or the case's DICOM files
    series_kinds: Mapping[str, str] | None = None  # SeriesInstanceUID -> kind, when already classified


@dataclass(frozen=True)
class CaseReport:
    key: str
    text: str | None
    error: str | None
    language: str
    prompt_text: str = ""
    provenance: dict = field(default_factory=dict)


def prepare_inputs(case: CaseSource, config: InputConfig, cache_dir: Path | None) -> StudyInputs | str:
    """Inputs of one case, or the reason they cannot be made (run in a worker process)."""
    try:
        return load_study_inputs(
            case.source, config=config, cache_dir=cache_dir, series_kinds=case.series_kinds
        )
    except Exception as error:  # noqa: BLE001 - any failure of one case is that case's error
        return f"{type(error).__name__}: {error}"


class ReportGenerator:
    def __init__(
        self,
        backend,
        *,
        template: PromptTemplate,
        settings,
        input_config: InputConfig | None = None,
        cache_dir: Path | None = None,
        preprocess_workers: int = 1,
        include_patient: bool = True,
    ):
        self.backend = backend
        self.template = template
        self.settings = settings
        self.input_config = input_config or InputConfig()
        self.cache_dir = cache_dir
        self.preprocess_workers = preprocess_workers
        self.include_patient = include_patient
        # Where the main process spent its time: waiting for prepared inputs, or in the model.
        self.stats = {"wait_seconds": 0.0, "generate_seconds": 0.0}

    def run(
        self, cases: Iterable[CaseSource], *, progress: Callable[[CaseReport], None] | None = None
    ) -> Iterator[CaseReport]:
        window = self.settings.batch_size * WINDOW_BATCHES
        iterator = iter(cases)
        with self._pool() as pool:
            # A first window of one batch: the model starts as soon as one batch is prepared.
            pending = self._submit(pool, list(islice(iterator, self.settings.batch_size)))
            while pending:
                # Submit the next window before generating this one: the workers prepare it meanwhile.
                upcoming = self._submit(pool, list(islice(iterator, window)))
                waited = time.perf_counter()
                prepared = [
                    (case, future.result() if isinstance(future, Future) else future)
                    for case, future in pending
                ]
                started = time.perf_counter()
                self.stats["wait_seconds"] += started - waited
                reports = self._generate(prepared)
                self.stats["generate_seconds"] += time.perf_counter() - started
                for report in reports:
                    if progress:
                        progress(report)
                    yield report
                pending = upcoming

    def _pool(self):
        if self.preprocess_workers <= 0:
            return _InlinePool()
        # spawn: a forked child of a process holding CUDA or OpenMP state is not safe.
        return ProcessPoolExecutor(
            max_workers=self.preprocess_workers, mp_context=multiprocessing.get_context("spawn")
        )

    def _submit(self, pool, cases: list[CaseSource]) -> list[tuple[CaseSource, Future | StudyInputs | str]]:
        return [
            (case, pool.submit(prepare_inputs, case, self.input_config, self.cache_dir)) for case in cases
        ]

    def _generate(self, prepared: list[tuple[CaseSource, StudyInputs | str]]) -> list[CaseReport]:
        reports: dict[str, CaseReport] = {}
        ready: list[tuple[CaseSource, StudyInputs, RenderedPrompt]] = []
        for case, inputs in prepared:
            if isinstance(inputs, str):
                reports[case.key] = CaseReport(case.key, None, inputs, self.template.language)
            else:
                ready.append(
                    (case, inputs, render_prompt(self.template, inputs, include_patient=self.include_patient))
                )
        for case, inputs, prompt, outcome in self._generate_ready(ready):
            reports[case.key] = self._report(case, inputs, prompt, outcome)
        return [reports[case.key] for case, _inputs in prepared]

    def _generate_ready(self, ready):
        if not ready:
            return []
        try:
            generated = self.backend.generate([prompt.parts for _c, _i, prompt in ready], self.settings)
            return [(c, i, p, (g, g.seconds)) for (c, i, p), g in zip(ready, generated, strict=True)]
        except Exception:  # noqa: BLE001 - retry one by one, so one bad case (e.g. out of memory) fails alone
            logger.exception("a generation batch failed; retrying its cases one by one")
        outcomes = []
        for case, inputs, prompt in ready:
            try:
                (generated,) = self.backend.generate([prompt.parts], self.settings)
                outcomes.append((case, inputs, prompt, (generated, generated.seconds)))
            except Exception as error:  # noqa: BLE001
                outcomes.append((case, inputs, prompt, f"{type(error).__name__}: {error}"))
        return outcomes

    def _report(self, case: CaseSource, inputs: StudyInputs, prompt: RenderedPrompt, outcome) -> CaseReport:
        language = self.template.language
        if isinstance(outcome, str):
            return CaseReport(case.key, None, outcome, language, prompt.text)
        generated, seconds = outcome
        provenance = report_provenance(
            model=self.backend.describe(),
            weights_sha256=self.backend.weights_hash(),
            template=self.template,
            prompt=prompt,
            settings=self.settings,
            input_config=self.input_config,
            inputs=inputs,
            generated=generated,
            generate_seconds=seconds,
        )
        if not generated.text.strip():
            return CaseReport(case.key, None, "empty output", language, prompt.text, provenance)
        return CaseReport(case.key, generated.text.strip(), None, language, prompt.text, provenance)


class _InlinePool:
    """The pool's interface, doing the work at once in this process (preprocess_workers=0)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def submit(self, function, *args):
        return function(*args)
