"""Reports for many studies: inputs prepared in worker processes while the model generates.

Cases go through in windows of ``WINDOW_BATCHES`` batches (``inference.batching.window_size``;
the first window is one batch, so the model starts early). The worker processes decode the
next window's DICOM (cached, so a rerun does not decode again), render its prompts and run the
processor on each case, once, while the main process generates the current window: the backend
sorts it by the known prompt lengths, joins the per-case tensors into batches and generates
them. A case whose inputs cannot be read or encoded, whose generation fails or whose output is
empty comes back with its error and the others go on.
"""

import logging
import multiprocessing
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from inference.batching import AUTO, CPU_AUTO_BATCH, window_size
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


@dataclass(frozen=True)
class PreparedCase:
    """A case ready for the model: its inputs, its rendered prompt and, where the backend has an
    encoder, the processor's tensors (else the backend encodes it when generating)."""

    inputs: StudyInputs
    prompt: RenderedPrompt
    encoded: object | None = None  # inference.backend.EncodedPrompt; typed loosely: no torch here
    error: str | None = None  # the prompt could not be encoded (e.g. frames the processor would misread)


# The encoder of this input worker process, installed once by the pool's initializer.
_WORKER_ENCODER = None


def _install_encoder(encoder) -> None:
    global _WORKER_ENCODER
    if encoder is not None:
        encoder.enter_worker()
    _WORKER_ENCODER = encoder


def prepare_case(
    case: CaseSource,
    config: InputConfig,
    cache_dir: Path | None,
    template: PromptTemplate,
    include_patient: bool,
    encoder=None,
) -> PreparedCase | str:
    """Inputs, prompt and processor tensors of one case, or the reason its inputs cannot be made
    (run in a worker process, with the encoder the pool installed, or inline with ``encoder``)."""
    inputs = prepare_inputs(case, config, cache_dir)
    if isinstance(inputs, str):
        return inputs
    prompt = render_prompt(template, inputs, include_patient=include_patient)
    encoder = encoder or _WORKER_ENCODER
    if encoder is None:
        return PreparedCase(inputs, prompt)
    try:
        return PreparedCase(inputs, prompt, encoder.encode(prompt.parts))
    except Exception as error:  # noqa: BLE001 - this case's error; the others go on
        return PreparedCase(inputs, prompt, error=f"{type(error).__name__}: {error}")


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
        # The backend's encoder runs the processor in the input workers; a backend without one
        # (a stand-in) gets conversations and encodes them itself.
        self.encoder = getattr(backend, "encoder", None)
        self._open_pool = None
        # Where the main process spent its time: waiting for prepared inputs, or in the model.
        self.stats = {"wait_seconds": 0.0, "generate_seconds": 0.0}

    def run(
        self, cases: Iterable[CaseSource], *, progress: Callable[[CaseReport], None] | None = None
    ) -> Iterator[CaseReport]:
        batch_size = self.settings.batch_size
        window = window_size(batch_size, batches=WINDOW_BATCHES)
        iterator = iter(cases)
        with nullcontext(self._open_pool) if self._open_pool is not None else self._pool() as pool:
            # A first window of one batch: the model starts as soon as one batch is prepared.
            first = CPU_AUTO_BATCH if batch_size == AUTO else int(batch_size)
            pending = self._submit(pool, list(islice(iterator, first)))
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

    def __enter__(self) -> "ReportGenerator":
        """Keeps the input workers (and their processor) across ``run`` calls until the block ends;
        without it each ``run`` starts and stops its own (a few seconds: they import torch)."""
        self._open_pool = self._pool().__enter__()
        return self

    def __exit__(self, *exc) -> None:
        pool, self._open_pool = self._open_pool, None
        if pool is not None:
            pool.__exit__(*exc)

    def _pool(self):
        if self.preprocess_workers <= 0:
            return _InlinePool(self.encoder)
        # spawn: a forked child of a process holding CUDA or OpenMP state is not safe. The
        # encoder (with its processor) is sent to each worker once, not with every case.
        return ProcessPoolExecutor(
            max_workers=self.preprocess_workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_install_encoder,
            initargs=(self.encoder,),
        )

    def _submit(self, pool, cases: list[CaseSource]) -> list[tuple[CaseSource, Future | PreparedCase | str]]:
        arguments = (self.input_config, self.cache_dir, self.template, self.include_patient)
        return [(case, pool.submit(prepare_case, case, *arguments)) for case in cases]

    def _generate(self, prepared: list[tuple[CaseSource, PreparedCase | str]]) -> list[CaseReport]:
        reports: dict[str, CaseReport] = {}
        ready: list[tuple[CaseSource, PreparedCase]] = []
        for case, outcome in prepared:
            if isinstance(outcome, str):
                reports[case.key] = CaseReport(case.key, None, outcome, self.template.language)
            elif outcome.error is not None:
                reports[case.key] = self._report(case, outcome.inputs, outcome.prompt, outcome.error)
            else:
                ready.append((case, outcome))
        for case, one, result in self._generate_ready(ready):
            reports[case.key] = self._report(case, one.inputs, one.prompt, result)
        return [reports[case.key] for case, _outcome in prepared]

    def _generate_ready(self, ready: list[tuple[CaseSource, PreparedCase]]):
        if not ready:
            return []
        try:
            generated = self._backend_generate([one for _case, one in ready])
            return [(case, one, (g, g.seconds)) for (case, one), g in zip(ready, generated, strict=True)]
        except Exception:  # noqa: BLE001 - retry one by one, so one bad case (e.g. out of memory) fails alone
            logger.exception("a generation batch failed; retrying its cases one by one")
        outcomes: list[tuple[CaseSource, PreparedCase, tuple | str]] = []
        for case, one in ready:
            try:
                (generated,) = self._backend_generate([one])
                outcomes.append((case, one, (generated, generated.seconds)))
            except Exception as error:  # noqa: BLE001
                outcomes.append((case, one, f"{type(error).__name__}: {error}"))
        return outcomes

    def _backend_generate(self, cases: list[PreparedCase]):
        # Encoded where the workers ran the processor; else the backend encodes the parts.
        return self.backend.generate(
            [one.encoded if one.encoded is not None else one.prompt.parts for one in cases], self.settings
        )

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
        provenance["batch"] = {
            "size": getattr(generated, "batch_size", 1),
            "batch_size_setting": self.settings.batch_size,
        }
        if not generated.text.strip():
            return CaseReport(case.key, None, "empty output", language, prompt.text, provenance)
        return CaseReport(case.key, generated.text.strip(), None, language, prompt.text, provenance)


class _InlinePool:
    """The pool's interface, doing the work at once in this process (preprocess_workers=0), with
    the backend's own encoder."""

    def __init__(self, encoder) -> None:
        self.encoder = encoder

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def submit(self, function, *args):
        return function(*args, encoder=self.encoder)
