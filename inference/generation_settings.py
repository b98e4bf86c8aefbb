"""How the model decodes: recorded with every report. No torch."""

from dataclasses import asdict, dataclass

# "drop_finished": inference.decoding.decode, which removes each row from the batch as soon as it
# has finished; "transformers": transformers' generate, which computes every row until the
# batch's longest is done. Greedy decoding gives the same tokens either way (tested).
DECODERS = ("drop_finished", "transformers")
# Settings that change how fast reports come, not their text: a run is keyed without them, so a
# run resumed with a new batch size or decoder goes on (cmr_reader.reports.generation.run_key).
SPEED_SETTINGS = ("batch_size", "decoding")


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
    decoding: str = "drop_finished"  # one of DECODERS

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ValueError("max_new_tokens must be at least 1")
        if self.batch_size != "auto" and (
            isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int) or self.batch_size < 1
        ):
            raise ValueError('batch_size must be at least 1, or "auto"')
        if self.temperature <= 0 or not 0 < self.top_p <= 1:
            raise ValueError("temperature must be > 0 and top_p in (0, 1]")
        if self.decoding not in DECODERS:
            raise ValueError(f"decoding must be one of {', '.join(DECODERS)}, not {self.decoding!r}")

    def as_dict(self) -> dict:
        return asdict(self)
