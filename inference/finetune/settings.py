"""The fine-tuning run's settings: recorded in the training record and checked on resume. No torch."""

from dataclasses import asdict, dataclass

# The language model's projections in Qwen2-VL / Qwen2.5-VL; the vision tower's (``model.visual``)
# are left out unless ``train_vision`` (its qkv / proj / fc1 / fc2, or Qwen2.5's gate/up/down).
LANGUAGE_TARGETS = r".*language_model\..*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"
VISION_TARGETS = r".*visual\.blocks\..*\.(qkv|proj|fc1|fc2|gate_proj|up_proj|down_proj)"


@dataclass(frozen=True)
class FinetuneSettings:
    steps: int = 200
    batch_size: int = 1
    accumulate: int = 8  # micro-batches per optimiser step
    learning_rate: float = 2e-4
    warmup_steps: int = 10
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    lora_rank: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    train_vision: bool = False
    seed: int = 0
    save_every: int = 50  # steps between resumable checkpoints
    validate_every: int = 50  # steps between validation losses (0: never)
    validation_cases: int = 64  # at most this many validation cases per validation pass
    gradient_checkpointing: bool = True  # on CUDA only; the CPU runs small models

    def __post_init__(self) -> None:
        if min(self.steps, self.batch_size, self.accumulate, self.lora_rank, self.save_every) < 1:
            raise ValueError("steps, batch size, accumulate, LoRA rank and save_every must be at least 1")
        if self.learning_rate <= 0 or not 0 <= self.lora_dropout < 1:
            raise ValueError("the learning rate must be positive and the LoRA dropout in [0, 1)")

    def target_modules(self) -> str:
        return f"({LANGUAGE_TARGETS})|({VISION_TARGETS})" if self.train_vision else LANGUAGE_TARGETS

    def as_dict(self) -> dict:
        return asdict(self)
