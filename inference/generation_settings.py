"""How the model decodes: recorded with every report. No torch."""

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class GenerationSettings:
    max_new_tokens: int = 512
    do_sample: bool = False  # greedy by default: the same inputs give the same report
    temperature: float = 1.0
    top_p: float = 1.0
    seed: int | None = None  # sampling seed; with do_sample and a seed, sampling repeats
    # A number, or "auto": sized from the free GPU memory and the prompts' lengths
    # (inference.batching.plan_batches; a small fixed batch on the CPU). The sizes used are
    # recorded per report (provenance "batch").
    batch_size: int | str = "auto"
    min_new_tokens: int = 0  # benchmarks force a fixed decode length; reports leave it 0

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ValueError("max_new_tokens must be at least 1")
        if self.batch_size != "auto" and (
            isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int) or self.batch_size < 1
        ):
            raise ValueError('batch_size must be at least 1, or "auto"')
        if self.temperature <= 0 or not 0 < self.top_p <= 1:
            raise ValueError("temperature must be > 0 and top_p in (0, 1]")

    def as_dict(self) -> dict:
        return asdict(self)
