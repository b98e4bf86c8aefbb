"""Batched generation with a Qwen2-VL-style multimodal checkpoint.

The one module of `inference` that imports torch and transformers at module level, so the rest
of the package (and the web process that imports it) stays light.
"""

from __future__ import annotations

import logging
import platform
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import transformers
from transformers import AutoModelForImageTextToText, AutoProcessor, GenerationConfig
from transformers.utils import is_flash_attn_2_available

# Parts and settings are torch-free, so prompts can be built and settings recorded without torch;
# they are re-exported here as the backend's vocabulary.
from inference.batching import MemoryBudget, collate, plan_batches
from inference.checkpoint import checkpoint_sha256
from inference.conversation import TIME_POSITION_CONVENTION, Part, nominal_cine_fps
from inference.decoding import DecodeCounts, RowStop, decode, decode_with_generate, unapplied_knobs
from inference.generation_settings import GenerationSettings

__all__ = [
    "Backend",
    "EncodedPrompt",
    "Generated",
    "GenerationSettings",
    "Part",
    "PromptEncoder",
    "preferred_attention",
    "vision_grid_factor",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Generated:
    text: str
    prompt_tokens: int
    generated_tokens: int
    seconds: float
    batch_size: int = 1  # rows in the batch it was generated in


@dataclass
class _Prompt:
    """One conversation rendered for the processor."""

    text: str
    images: list[np.ndarray] = field(default_factory=list)
    videos: list[np.ndarray] = field(default_factory=list)
    video_metadata: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class EncodedPrompt:
    """The processor's output for one conversation, unpadded (a batch of one), as numpy arrays:
    cheap to send back from an input worker, and joined into batches by
    ``inference.batching.collate``."""

    tensors: dict[str, np.ndarray]

    @property
    def length(self) -> int:
        return int(self.tensors["input_ids"].shape[1])


class PromptEncoder:
    """Renders conversations with the chat template and runs the processor on them.

    Picklable with its processor, so the pipeline hands one to each input worker once (the
    pool's initializer argument) and the workers run the processor, once per case, while the
    model generates in the main process.
    """

    def __init__(self, processor, *, supports_video: bool, nominal_fps: float) -> None:
        self.processor = processor
        self.supports_video = supports_video
        self.nominal_fps = nominal_fps

    def enter_worker(self) -> None:
        """Called once in each input worker: one thread for the processor's torch operations, so
        the workers do not compete with the model's threads for the cores."""
        torch.set_num_threads(1)

    def encode(self, parts: Sequence[Part]) -> EncodedPrompt:
        tensors = self.processor_inputs([self.prompt(parts)], padding=False)
        return EncodedPrompt({name: _as_numpy(value) for name, value in tensors.items()})

    def processor_inputs(self, prompts: list[_Prompt], *, padding: bool):
        # One image list per prompt: Gemma-3 and Idefics-style processors match images to prompts
        # by these lists (a flat list reads as all belonging to the first prompt); the Qwen
        # processors flatten them in the same order.
        images = [list(prompt.images) for prompt in prompts] if any(p.images for p in prompts) else None
        videos = [video for prompt in prompts for video in prompt.videos]
        video_kwargs = {}
        if videos:
            video_kwargs = {
                "videos": videos,
                "video_metadata": [metadata for prompt in prompts for metadata in prompt.video_metadata],
                # The input pipeline chose the frames: the processor must not sample again
                # (Qwen3-VL's default of 2 frames/s turns a 16-frame cine into 4 frames while the
                # prompt still says 16).
                "do_sample_frames": False,
            }
        return self.processor(
            text=[prompt.text for prompt in prompts],
            images=images,
            padding=padding,
            return_tensors="pt",
            **video_kwargs,
        )

    def prompt(self, parts: Sequence[Part]) -> _Prompt:
        prompt = _Prompt(text="")
        content: list[dict] = []
        for part in parts:
            if part.kind == "text":
                content.append({"type": "text", "text": part.text})
            elif part.kind == "image":
                for frame in _frame_stack(_checked_frames(part)):
                    content.append({"type": "image"})
                    prompt.images.append(_rgb(frame))
            elif self.supports_video:
                frames = _frame_stack(_checked_frames(part))
                content.append({"type": "video"})
                prompt.videos.append(_rgb(frames))
                # The processor reads the frame rate from the metadata: Qwen2.5-VL turns it into
                # second_per_grid_ts (its temporal RoPE spacing), Qwen3-VL into the "<t seconds>"
                # stamps between temporal patches. It gets the nominal rate of the time-position
                # convention (decision 0028), not the cine's real one: the prompt's text states that.
                prompt.video_metadata.append(
                    {
                        "total_num_frames": frames.shape[0],
                        "fps": self.nominal_fps,
                        "frames_indices": list(range(frames.shape[0])),
                        "height": frames.shape[1],
                        "width": frames.shape[2],
                    }
                )
            else:
                for label, frame in _labelled_frames(part):
                    content.append({"type": "text", "text": label})
                    content.append({"type": "image"})
                    prompt.images.append(_rgb(frame))
        message = {"role": "user", "content": content}
        prompt.text = self.processor.apply_chat_template(
            [message], add_generation_prompt=True, tokenize=False
        )
        return prompt


def _as_numpy(value) -> np.ndarray:
    return value.numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


def preferred_attention(device: torch.device) -> str:
    """flash_attention_2 on CUDA where transformers finds a usable flash-attn, else SDPA.

    transformers' own check (``is_flash_attn_2_available``) imports the package and checks its
    version and the GPU, where merely finding a ``flash_attn`` folder took a broken or CPU-only
    build for a working one and the checkpoint then failed to load.
    """
    if device.type != "cuda":
        return "sdpa"
    return "flash_attention_2" if is_flash_attn_2_available() else "sdpa"


def _load(model_path: Path, *, dtype: torch.dtype, attn_implementation: str):
    return AutoModelForImageTextToText.from_pretrained(
        model_path, local_files_only=True, dtype=dtype, attn_implementation=attn_implementation
    )


def _load_with_best_attention(model_path: Path, *, dtype: torch.dtype, device: torch.device):
    """The model with ``preferred_attention``; where flash attention still fails to load (a
    package built for another torch or GPU), with SDPA, said in the log. The implementation
    used is recorded with every run (``Backend.describe``)."""
    preferred = preferred_attention(device)
    try:
        return _load(model_path, dtype=dtype, attn_implementation=preferred)
    except (ImportError, ValueError, RuntimeError) as error:
        if preferred == "sdpa":
            raise
        logger.warning(
            "flash attention could not be used (%s: %s); loading with SDPA", type(error).__name__, error
        )
        return _load(model_path, dtype=dtype, attn_implementation="sdpa")


class Backend:
    """A checkpoint loaded once, generating for batches of conversations."""

    def __init__(
        self, model_path: Path | str, *, device: str = "auto", attn_implementation: str | None = None
    ) -> None:
        self.model_path = Path(model_path)
        self.device = torch.device(
            ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
        )
        on_cuda = self.device.type == "cuda"
        # fp32 on CPU: bf16 matmuls there are slow and make greedy decoding depend on batch shape.
        self.dtype = torch.bfloat16 if on_cuda else torch.float32
        processor = AutoProcessor.from_pretrained(self.model_path, local_files_only=True)
        if attn_implementation is None:
            model = _load_with_best_attention(self.model_path, dtype=self.dtype, device=self.device)
        else:
            # Asked for by name: loaded as asked, or the error says why not.
            model = _load(self.model_path, dtype=self.dtype, attn_implementation=attn_implementation)
        self._attach(model, processor)

    @classmethod
    def from_loaded(cls, model, processor, *, model_path: Path | str) -> Backend:
        """A backend around a model already in memory (benchmarks build random 7B models on the GPU
        without writing 16 GB to disk). ``model_path`` holds its config and processor files."""
        backend = cls.__new__(cls)
        backend.model_path = Path(model_path)
        backend.device = next(model.parameters()).device
        backend.dtype = next(model.parameters()).dtype
        backend._attach(model, processor)
        return backend

    def _attach(self, model, processor) -> None:
        self.processor = processor
        tokenizer = self.processor.tokenizer
        # Batched decoder-only generation needs the prompts flush against the new tokens.
        tokenizer.padding_side = "left"
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        self.model = model
        self.model.to(self.device).eval()
        temporal_patch = getattr(
            getattr(self.processor, "video_processor", None), "temporal_patch_size", None
        )
        nominal_fps = nominal_cine_fps(temporal_patch_size=temporal_patch or 2)
        self._end_ids = _end_token_ids(self.model.generation_config, tokenizer)
        self._weights_hash: str | None = None
        # Decoding work over all batches (rows computed, tokens kept): benchmarks read it.
        self.decode_counts = DecodeCounts()
        # Benchmarks only: given a batch's input_ids and attention mask, when to stop each row
        # (random weights never say "end"; bench_inference_gpu.py draws report lengths).
        self.row_stop: Callable[[torch.Tensor, torch.Tensor], RowStop] | None = None
        if unapplied := unapplied_knobs(self.model.generation_config):
            logger.warning(
                "the checkpoint's generation_config sets %s, which decoding='drop_finished' does not "
                "apply (decoding='transformers' does)",
                ", ".join(unapplied),
            )
        # Renders prompts and runs the processor, here or (pickled) in the pipeline's input workers.
        self.encoder = PromptEncoder(
            self.processor,
            supports_video=getattr(self.processor, "video_processor", None) is not None,
            nominal_fps=nominal_fps,
        )

    @property
    def supports_video(self) -> bool:
        """Cines go to the processor as video (else as labelled stills); the encoder decides."""
        return self.encoder.supports_video

    @supports_video.setter
    def supports_video(self, value: bool) -> None:
        self.encoder.supports_video = value

    @property
    def nominal_fps(self) -> float:
        """The frame rate handed to the processor for every cine (decision 0028)."""
        return self.encoder.nominal_fps

    @nominal_fps.setter
    def nominal_fps(self, value: float) -> None:
        self.encoder.nominal_fps = value

    def describe(self) -> dict:
        """What produced the reports: checkpoint, numerics, preprocessing and library versions."""
        config = self.model.config
        vision = getattr(config, "vision_config", None)
        tokens_per_second = getattr(vision, "tokens_per_second", None)
        return {
            "model_path": str(self.model_path),
            "model_class": type(self.model).__name__,
            "model_type": config.model_type,
            "dtype": str(self.dtype).removeprefix("torch."),
            "device": str(self.device),
            "device_name": _device_name(self.device),
            "attn_implementation": config._attn_implementation,
            "processor": {
                "class": type(self.processor).__name__,
                "image": _vision_settings(self.processor.image_processor),
                "video": _vision_settings(self.processor.video_processor) if self.supports_video else None,
                "video_fallback": None if self.supports_video else "labelled image sequence",
                "fps_handling": {
                    "convention": TIME_POSITION_CONVENTION,
                    "nominal_fps": self.nominal_fps if self.supports_video else None,
                    "frame_sampling": "off (do_sample_frames=False)" if self.supports_video else None,
                    "tokens_per_second": tokens_per_second,
                    "temporal_positions": (
                        "tokens_per_second * temporal_patch_size / nominal_fps per temporal patch"
                        if tokens_per_second is not None
                        else "temporal patch index, or the processor's timestamps (fps unused in RoPE)"
                    ),
                },
                "grid_factor": vision_grid_factor(self.processor),
            },
            "versions": {
                "python": platform.python_version(),
                "torch": torch.__version__,
                "transformers": transformers.__version__,
            },
        }

    def weights_hash(self) -> str:
        """sha256 of the checkpoint folder's weight, config, tokenizer, processor and chat template
        files (`inference.checkpoint.checkpoint_sha256`, streamed), computed once per instance."""
        if self._weights_hash is None:
            self._weights_hash = checkpoint_sha256(self.model_path)
        return self._weights_hash

    def generate(
        self,
        conversations: Sequence[Sequence[Part] | EncodedPrompt],
        settings: GenerationSettings,
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[Generated]:
        """One reply per conversation, in input order.

        Each conversation is its parts, encoded here (the processor once per conversation), or
        already an ``EncodedPrompt`` (the pipeline's input workers encode them). Prompts of
        similar length share a batch (``inference.batching.plan_batches``: sorted by length, a
        fixed size or "auto" from the free GPU memory), joined by ``collate`` (left padding).
        Greedy unless `settings.do_sample`; a seed makes sampling repeatable. Each batch decodes
        with ``settings.decoding``: by default ``inference.decoding.decode``, which drops a row from
        the batch once it has finished, or transformers' ``generate``. Token counts exclude
        padding; generated tokens run up to and including the first end token.
        """
        prompts = [
            item if isinstance(item, EncodedPrompt) else self.encoder.encode(item) for item in conversations
        ]
        total = len(prompts)
        batches = plan_batches(
            [prompt.length for prompt in prompts],
            batch_size=settings.batch_size,
            max_new_tokens=settings.max_new_tokens,
            memory=self.memory_budget(),
        )
        generation_config = self._generation_config(settings)
        results: dict[int, Generated] = {}
        done = 0
        with torch.random.fork_rng(devices=self._rng_devices()):
            if settings.seed is not None:
                torch.manual_seed(settings.seed)
            for batch in batches:
                generated = self._generate_batch([prompts[i] for i in batch], settings, generation_config)
                for index, one in zip(batch, generated, strict=True):
                    results[index] = one
                done += len(batch)
                if progress is not None:
                    progress(done, total)
        return [results[index] for index in range(total)]

    def memory_budget(self) -> MemoryBudget | None:
        """Free GPU memory and what a token costs there, for "auto" batches; None on the CPU."""
        if self.device.type != "cuda":
            return None
        free, _total = torch.cuda.mem_get_info(self.device)
        # Blocks torch's allocator holds but no tensor uses are free to this process too.
        free += torch.cuda.memory_reserved(self.device) - torch.cuda.memory_allocated(self.device)
        shape = model_shape(self.model.config)
        value_bytes = torch.finfo(self.dtype).bits // 8
        kv = 2 * shape["layers"] * shape["kv_heads"] * shape["head_dim"] * value_bytes
        # Prefill transients per position: a few hidden-size vectors and the MLP intermediate
        # (gate, up and their product), doubled as a margin for the vision tower and the allocator.
        activations = 2 * (4 * shape["hidden"] + 3 * shape["intermediate"]) * value_bytes
        return MemoryBudget(
            free_bytes=int(free), kv_bytes_per_token=kv, activation_bytes_per_token=activations
        )

    def _rng_devices(self) -> list[int]:
        # fork_rng restores these devices' generators afterwards: a seeded run leaves the caller's
        # random state as it found it.
        if self.device.type != "cuda":
            return []
        return [self.device.index if self.device.index is not None else torch.cuda.current_device()]

    def _generate_batch(
        self, prompts: list[EncodedPrompt], settings: GenerationSettings, generation_config: GenerationConfig
    ) -> list[Generated]:
        started = time.perf_counter()
        joined = collate(
            [prompt.tensors for prompt in prompts], pad_token_id=self.processor.tokenizer.pad_token_id
        )
        inputs = {name: torch.from_numpy(value).to(self.device) for name, value in joined.items()}
        stop = self.row_stop(inputs["input_ids"], inputs["attention_mask"]) if self.row_stop else None
        with torch.inference_mode():
            if settings.decoding == "transformers":
                decoded = decode_with_generate(
                    self.model, inputs, generation_config, end_ids=self._end_ids, stop=stop
                )
            else:
                decoded = decode(self.model, inputs, settings, end_ids=self._end_ids, stop=stop)
        self.decode_counts.add(decoded)
        new_tokens = decoded.tokens
        texts = self.processor.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
        seconds = (time.perf_counter() - started) / len(prompts)
        return [
            Generated(
                text=text.strip(),
                prompt_tokens=prompt.length,
                generated_tokens=len(tokens),
                seconds=seconds,
                batch_size=len(prompts),
            )
            for text, prompt, tokens in zip(texts, prompts, new_tokens, strict=True)
        ]

    def _generation_config(self, settings: GenerationSettings) -> GenerationConfig:
        # generate() fills every knob left unset from the checkpoint's generation_config.json, and
        # Qwen ships top_k=1 and repetition_penalty=1.05 there. Setting each knob that acts on this
        # decoding (top_k=0 disables it; greedy ignores the sampling ones) keeps `settings` the
        # whole story of how a report was decoded.
        defaults = self.model.generation_config
        sampling = {}
        if settings.do_sample:
            sampling = {"temperature": settings.temperature, "top_p": settings.top_p, "top_k": 0}
        return GenerationConfig(
            max_new_tokens=settings.max_new_tokens,
            min_new_tokens=settings.min_new_tokens or None,
            do_sample=settings.do_sample,
            num_beams=1,
            repetition_penalty=1.0,
            **sampling,
            bos_token_id=defaults.bos_token_id,
            eos_token_id=sorted(self._end_ids),
            pad_token_id=self.processor.tokenizer.pad_token_id,
        )

    # The encoder's methods under their old names: fine-tuning and demo training encode
    # (prompt + answer) pairs with them.
    def _prompt(self, parts: Sequence[Part]) -> _Prompt:
        return self.encoder.prompt(parts)

    def _processor_inputs(self, prompts: list[_Prompt], *, padding: bool):
        return self.encoder.processor_inputs(prompts, padding=padding)


def _checked_frames(part: Part) -> np.ndarray:
    # The processors rescale by 1/255 and read a trailing 3 as channels: anything but uint8 grey
    # frames would be silently misread.
    frames = part.frames
    if not isinstance(frames, np.ndarray) or frames.dtype != np.uint8 or frames.ndim not in (2, 3):
        raise ValueError(f"a {part.kind} part needs uint8 grey frames shaped (H,W) or (T,H,W)")
    if part.fps is not None and not part.fps > 0:
        raise ValueError(f"a video's fps must be positive, not {part.fps}")
    return frames


def _frame_stack(frames: np.ndarray) -> np.ndarray:
    return frames[np.newaxis] if frames.ndim == 2 else frames


def _rgb(grey: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.repeat(grey[..., np.newaxis], 3, axis=-1))


def _labelled_frames(part: Part) -> Iterator[tuple[str, np.ndarray]]:
    """A video as captioned stills, for processors without a video processor."""
    frames = _frame_stack(_checked_frames(part))
    for index, frame in enumerate(frames):
        when = f", t={index / part.fps:.3f} s" if part.fps else ""
        yield f"Frame {index + 1}/{len(frames)}{when}: ", frame


def _device_name(device: torch.device) -> str:
    """The GPU's name (e.g. "NVIDIA H100 80GB HBM3"), or the CPU's architecture."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{platform.machine()} CPU"


def _end_token_ids(generation_config: GenerationConfig, tokenizer) -> frozenset[int]:
    configured = generation_config.eos_token_id
    ids = set(configured if isinstance(configured, list) else [configured])
    ids.add(tokenizer.eos_token_id)
    ids.discard(None)
    return frozenset(ids)


def model_shape(config) -> dict[str, int]:
    """The language model's sizes that set KV-cache and activation memory."""
    text = getattr(config, "text_config", None) or config
    heads = text.num_attention_heads
    return {
        "layers": text.num_hidden_layers,
        "kv_heads": getattr(text, "num_key_value_heads", None) or heads,
        "head_dim": getattr(text, "head_dim", None) or text.hidden_size // heads,
        "hidden": text.hidden_size,
        "intermediate": text.intermediate_size,
    }


def vision_grid_factor(processor) -> int | None:
    """The side, in pixels, that frames should be a multiple of so that the processor need not
    resize them: patch size x merge size (Qwen2/2.5-VL 14 x 2 = 28, Qwen3-VL 16 x 2 = 32); None
    for processors that resize every image to a fixed square (Gemma-3)."""
    vision = getattr(processor, "video_processor", None) or getattr(processor, "image_processor", None)
    patch, merge = getattr(vision, "patch_size", None), getattr(vision, "merge_size", None)
    if not isinstance(patch, int) or not isinstance(merge, int):
        return None
    return patch * merge


def _vision_settings(processor) -> dict:
    size = dict(getattr(processor, "size", None) or {})
    settings = {
        "class": type(processor).__name__,
        "min_pixels": size.get("shortest_edge", getattr(processor, "min_pixels", None)),
        "max_pixels": size.get("longest_edge", getattr(processor, "max_pixels", None)),
        "patch_size": getattr(processor, "patch_size", None),
        "temporal_patch_size": getattr(processor, "temporal_patch_size", None),
        "merge_size": getattr(processor, "merge_size", None),
    }
    for name in ("do_sample_frames", "fps", "min_frames", "max_frames"):
        if hasattr(processor, name):
            settings[name] = getattr(processor, name)
    return settings
