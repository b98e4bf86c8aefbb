"""Tiny, randomly initialised multimodal checkpoints built fully offline: Qwen2-VL, Qwen2.5-VL,
Qwen3-VL, and Gemma-3 (a processor that takes one image list per prompt and has no video
processor, as MedGemma).

They exercise the real loading and generation path (AutoProcessor, AutoModelForImageTextToText,
chat template, vision tokens, multimodal RoPE, frame timestamps) in tests and on machines without
the real weights. Their text is noise: never use them to judge report quality.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

FAMILIES = ("qwen2_vl", "qwen2_5_vl", "qwen3_vl", "gemma3")
QWEN_FAMILIES = ("qwen2_vl", "qwen2_5_vl", "qwen3_vl")

# The split regex Qwen2's tokenizer applies before byte-level BPE; `Qwen2Tokenizer` rebuilds its
# pipeline with it on load, so training with the same one keeps the saved merges meaningful.
PRETOKENIZE_REGEX = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""

# Qwen2-VL's added tokens, in the checkpoint's order. The processor needs the vision ones; the
# chat template needs <|im_start|>/<|im_end|>; <|endoftext|> pads.
SPECIAL_TOKENS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
)

# Qwen2-VL's ChatML template: image and video parts become a vision_start/pad/vision_end triple
# that the processor expands into one pad token per merged patch.
CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}"
    "{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}"
    "<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}"
    "{% endif %}{% endfor %}<|im_end|>\n"
    "{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

CORPUS = (
    "Cine SSFP images show normal left ventricular size and global systolic function.",
    "The left ventricular ejection fraction is 58 percent with no regional wall motion abnormality.",
    "Mildly dilated left ventricle with reduced ejection fraction of 38 percent.",
    "Hypokinesia of the basal to mid inferior and inferolateral segments.",
    "Late gadolinium enhancement shows subendocardial scar in the circumflex territory.",
    "Transmural late gadolinium enhancement of the anterior wall and apex, consistent with infarction.",
    "Mid-wall linear enhancement of the basal septum, suggestive of non-ischaemic cardiomyopathy.",
    "No late gadolinium enhancement to suggest myocardial fibrosis or infarction.",
    "Asymmetric septal hypertrophy with maximal wall thickness of 19 mm.",
    "The right ventricle is normal in size and function; RVEF 55 percent.",
    "Dilated right ventricle with free wall hypokinesia.",
    "Small pericardial effusion without haemodynamic significance.",
    "The aortic root measures 34 mm at the sinuses of Valsalva.",
    "Short-axis stack, two-, three- and four-chamber cine views were acquired.",
    "Impression: ischaemic cardiomyopathy with viable myocardium in the LAD territory.",
    "Impression: normal cardiac MRI study.",
    "Findings are consistent with acute myocarditis.",
    "Left atrium is mildly dilated. Mitral regurgitation is trivial.",
    "Patchy epicardial enhancement of the lateral wall with myocardial oedema on T2-weighted images.",
    "Native T1 is elevated at 1080 ms; extracellular volume fraction is 32 percent.",
    "电影序列显示左心室大小及整体收缩功能正常。",
    "左心室射血分数为百分之五十八，未见节段性室壁运动异常。",
    "左心室轻度扩大，射血分数减低至百分之三十八。",
    "基底段至中段下壁及下侧壁运动减弱。",
    "延迟钆增强显示回旋支供血区心内膜下瘢痕。",
    "前壁及心尖透壁性延迟强化，符合心肌梗死。",
    "室间隔基底段肌壁间线样强化，提示非缺血性心肌病。",
    "未见延迟强化，无心肌纤维化或梗死征象。",
    "非对称性室间隔肥厚，最大室壁厚度十九毫米。",
    "右心室大小及功能正常。",
    "少量心包积液。",
    "印象：缺血性心肌病，前降支供血区心肌存活。",
    "印象：心脏磁共振检查未见异常。",
    "表现符合急性心肌炎。",
)

VOCAB_SIZE = 1024
TEXT_HIDDEN = 64
TEXT_HEADS = 4
# Multimodal RoPE splits the rotary half of each head (head_dim / 2 = 8) into
# temporal, height and width sections.
MROPE_SECTION = [2, 3, 3]
IMAGE_PIXELS = {"shortest_edge": 56 * 56, "longest_edge": 112 * 112}
VIDEO_PIXELS = {"shortest_edge": 56 * 56, "longest_edge": 84 * 84}
# Qwen3-VL: 16-pixel patches merged 2 x 2 (a 32-pixel grid); its video budget counts the pixels of
# all frames together, so it is set for 32 frames of 96 x 96.
QWEN3_IMAGE_PIXELS = {"shortest_edge": 64 * 64, "longest_edge": 128 * 128}
QWEN3_VIDEO_PIXELS = {"shortest_edge": 2 * 32 * 32, "longest_edge": 32 * 96 * 96}
# Gemma-3: every image is resized to one square and becomes a fixed number of soft tokens
# (real: 896 px, 256 tokens; here 56 px = 4 x 4 patches pooled to 2 x 2 = 4 tokens).
GEMMA3_IMAGE_SIDE = 56
GEMMA3_TOKENS_PER_IMAGE = 4
GEMMA3_SPECIAL_TOKENS = (
    "<pad>",
    "<eos>",
    "<bos>",
    "<unk>",
    "<mask>",
    "<start_of_turn>",
    "<end_of_turn>",
    "<start_of_image>",
    "<end_of_image>",
    "<image_soft_token>",
)
# Gemma's turn markup; an image part becomes <start_of_image>, which the processor expands into
# the image's soft tokens between blank lines.
GEMMA3_CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "<start_of_turn>{{ 'model' if message['role'] == 'assistant' else message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' %}<start_of_image>"
    "{% elif content['type'] == 'text' %}{{ content['text'] }}"
    "{% endif %}{% endfor %}{% endif %}<end_of_turn>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)
# Larger than Qwen's 0.02 so that the random model's next token depends visibly on its input;
# with 0.02 every prompt decodes to much the same text and ordering bugs would go unseen.
INITIALIZER_RANGE = 0.2


def build_tiny(out: Path, *, family: str = "qwen2_5_vl", seed: int = 0) -> Path:
    """Write a tiny random checkpoint of `family` into `out` and return `out`.

    The same seed gives byte-identical files. Nothing is downloaded.
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; expected one of {', '.join(FAMILIES)}")
    import torch
    from transformers import GenerationConfig

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = _build_gemma_tokenizer() if family == "gemma3" else _build_tokenizer()
    processor = _build_processor(family, tokenizer)
    config = _build_config(family, tokenizer)

    model_class = _model_class(family)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = model_class(config).eval()
    ends = ("<end_of_turn>", "<eos>") if family == "gemma3" else ("<|im_end|>", "<|endoftext|>")
    end_ids = [tokenizer.convert_tokens_to_ids(t) for t in ends]
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id if family == "gemma3" else end_ids[1],
        eos_token_id=end_ids,
        pad_token_id=tokenizer.pad_token_id,
        do_sample=False,
    )
    model.save_pretrained(out, safe_serialization=True)
    processor.save_pretrained(out)
    return out


def _build_tokenizer():
    return build_tokenizer(CORPUS, vocab_size=VOCAB_SIZE, model_max_length=32768)


def build_tokenizer(corpus, *, vocab_size: int, model_max_length: int):
    """A byte-level BPE with Qwen2's pre-tokenizer (digits split one by one) and chat markup,
    trained on ``corpus`` here, offline (the tiny test checkpoints and the demo model)."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import Qwen2Tokenizer

    backend = Tokenizer(models.BPE())
    backend.normalizer = normalizers.NFC()
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(PRETOKENIZE_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(corpus, trainer=trainer)
    return Qwen2Tokenizer(
        tokenizer_object=backend,
        # transformers' signature says str; byte-level BPE needs no unknown token.
        unk_token=None,  # type: ignore[arg-type]
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        padding_side="left",
        model_max_length=model_max_length,
        chat_template=CHAT_TEMPLATE,
    )


def _build_processor(family: str, tokenizer):
    from transformers import (
        Gemma3ImageProcessor,
        Gemma3Processor,
        Qwen2_5_VLProcessor,
        Qwen2VLImageProcessor,
        Qwen2VLProcessor,
        Qwen2VLVideoProcessor,
        Qwen3VLProcessor,
        Qwen3VLVideoProcessor,
    )

    if family == "gemma3":
        side = GEMMA3_IMAGE_SIDE
        return Gemma3Processor(
            image_processor=Gemma3ImageProcessor(size={"height": side, "width": side}),
            tokenizer=tokenizer,
            chat_template=GEMMA3_CHAT_TEMPLATE,
            image_seq_length=GEMMA3_TOKENS_PER_IMAGE,
        )
    if family == "qwen3_vl":
        return Qwen3VLProcessor(
            image_processor=Qwen2VLImageProcessor(
                size=dict(QWEN3_IMAGE_PIXELS), patch_size=16, merge_size=2, temporal_patch_size=2
            ),
            tokenizer=tokenizer,
            # The real Qwen3-VL defaults: 16-pixel patches, sampling at 2 frames/s (which the
            # backend turns off: a cine's frames are chosen by the input pipeline).
            video_processor=Qwen3VLVideoProcessor(
                size=dict(QWEN3_VIDEO_PIXELS), patch_size=16, merge_size=2, cap_pixels_per_frame=True
            ),
            chat_template=CHAT_TEMPLATE,
        )
    image_processor = Qwen2VLImageProcessor(size=dict(IMAGE_PIXELS))
    # cap_pixels_per_frame=True is qwen-vl-utils' reference behaviour and silences the
    # transformers 5.x deprecation warning about the uncapped default.
    video_processor = Qwen2VLVideoProcessor(size=dict(VIDEO_PIXELS), cap_pixels_per_frame=True)
    processor_class = Qwen2VLProcessor if family == "qwen2_vl" else Qwen2_5_VLProcessor
    return processor_class(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=video_processor,
        chat_template=CHAT_TEMPLATE,
    )


def _build_gemma_tokenizer():
    """A Gemma-style tokenizer (spaces as "▁", byte fallback) trained here on the corpus, with
    Gemma-3's turn and image markup."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import GemmaTokenizer

    backend = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True))
    backend.normalizer = normalizers.Replace(" ", "\u2581")
    backend.pre_tokenizer = pre_tokenizers.Split(" ", behavior="merged_with_previous")
    backend.decoder = decoders.Sequence(
        [decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse()]
    )
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE, special_tokens=list(GEMMA3_SPECIAL_TOKENS), show_progress=False
    )
    backend.train_from_iterator(CORPUS, trainer=trainer)
    trained = json.loads(backend.to_str())["model"]
    vocab = dict(trained["vocab"])
    # Byte fallback spells any character outside the corpus as <0xNN> byte tokens (ordinary tokens).
    for value in range(256):
        vocab.setdefault(f"<0x{value:02X}>", len(vocab))
    return GemmaTokenizer(
        vocab=vocab,
        merges=[
            tuple(merge) if isinstance(merge, list) else tuple(merge.split(" "))
            for merge in trained["merges"]
        ],
        extra_special_tokens={
            "boi_token": "<start_of_image>",
            "eoi_token": "<end_of_image>",
            "image_token": "<image_soft_token>",
        },
        additional_special_tokens=["<start_of_turn>", "<end_of_turn>"],
        padding_side="left",
        model_max_length=32768,
        chat_template=GEMMA3_CHAT_TEMPLATE,
    )


def _build_config(family: str, tokenizer):
    if family == "gemma3":
        return _gemma3_config(tokenizer)
    from transformers import Qwen2_5_VLConfig, Qwen2VLConfig, Qwen3VLConfig

    token_id = tokenizer.convert_tokens_to_ids
    text_config = {
        "vocab_size": len(tokenizer),
        "hidden_size": TEXT_HIDDEN,
        "intermediate_size": 2 * TEXT_HIDDEN,
        "num_hidden_layers": 2,
        "num_attention_heads": TEXT_HEADS,
        "num_key_value_heads": 2,
        "max_position_embeddings": 4096,
        "initializer_range": INITIALIZER_RANGE,
        "rope_parameters": {
            "rope_type": "default",
            "rope_theta": 1_000_000.0,
            "mrope_section": MROPE_SECTION,
        },
        "bos_token_id": token_id("<|endoftext|>"),
        "eos_token_id": token_id("<|im_end|>"),
        "pad_token_id": token_id("<|endoftext|>"),
    }
    vision_ids = {
        "image_token_id": token_id("<|image_pad|>"),
        "video_token_id": token_id("<|video_pad|>"),
        "vision_start_token_id": token_id("<|vision_start|>"),
        "vision_end_token_id": token_id("<|vision_end|>"),
    }
    common_vision: dict[str, Any] = {
        "depth": 2,
        "num_heads": 4,
        "patch_size": 14,
        "temporal_patch_size": 2,
        "spatial_merge_size": 2,
        "initializer_range": INITIALIZER_RANGE,
    }
    if family == "qwen2_vl":
        vision_config = {**common_vision, "embed_dim": 32, "mlp_ratio": 2, "hidden_size": TEXT_HIDDEN}
        return Qwen2VLConfig(text_config=text_config, vision_config=vision_config, **vision_ids)
    if family == "qwen3_vl":
        text_config["head_dim"] = TEXT_HIDDEN // TEXT_HEADS
        text_config["rope_parameters"] = {**text_config["rope_parameters"], "mrope_interleaved": True}
        vision_config = {
            **common_vision,
            "patch_size": 16,
            "hidden_size": 32,
            "intermediate_size": 64,
            "out_hidden_size": TEXT_HIDDEN,
            "num_position_embeddings": 64,  # learned 8 x 8 grid, interpolated to each image
            "deepstack_visual_indexes": [0],
        }
        return Qwen3VLConfig(text_config=text_config, vision_config=vision_config, **vision_ids)
    vision_config = {
        **common_vision,
        "hidden_size": 32,
        "intermediate_size": 64,
        "out_hidden_size": TEXT_HIDDEN,
        # 56 px = 2x2 merged patches per attention window; block 1 attends globally, as
        # every 8th block does in the real model.
        "window_size": 56,
        "fullatt_block_indexes": [1],
        "tokens_per_second": 2,
    }
    return Qwen2_5_VLConfig(text_config=text_config, vision_config=vision_config, **vision_ids)


def _gemma3_config(tokenizer):
    from transformers import Gemma3Config

    token_id = tokenizer.convert_tokens_to_ids
    head_dim = TEXT_HIDDEN // TEXT_HEADS
    text_config = {
        "vocab_size": len(tokenizer),
        "hidden_size": TEXT_HIDDEN,
        "intermediate_size": 2 * TEXT_HIDDEN,
        "num_hidden_layers": 2,
        "num_attention_heads": TEXT_HEADS,
        "num_key_value_heads": 2,
        "head_dim": head_dim,
        "query_pre_attn_scalar": head_dim,
        "sliding_window": 64,
        "layer_types": ["sliding_attention", "full_attention"],
        "max_position_embeddings": 4096,
        "initializer_range": INITIALIZER_RANGE,
        "pad_token_id": tokenizer.pad_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "bos_token_id": tokenizer.bos_token_id,
        "tie_word_embeddings": False,
    }
    vision_config = {
        "model_type": "siglip_vision_model",
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "image_size": GEMMA3_IMAGE_SIDE,
        "patch_size": 14,
    }
    return Gemma3Config(
        text_config=text_config,
        vision_config=vision_config,
        mm_tokens_per_image=GEMMA3_TOKENS_PER_IMAGE,
        boi_token_index=token_id("<start_of_image>"),
        eoi_token_index=token_id("<end_of_image>"),
        image_token_index=token_id("<image_soft_token>"),
        initializer_range=INITIALIZER_RANGE,
        # Untied, unlike the real model: with tied random embeddings the residual stream predicts
        # the token it was given, and a tiny Gemma repeats its last prompt token for ever.
        tie_word_embeddings=False,
    )


def _model_class(family: str):
    from transformers import (
        Gemma3ForConditionalGeneration,
        Qwen2_5_VLForConditionalGeneration,
        Qwen2VLForConditionalGeneration,
        Qwen3VLForConditionalGeneration,
    )

    return {
        "qwen2_vl": Qwen2VLForConditionalGeneration,
        "qwen2_5_vl": Qwen2_5_VLForConditionalGeneration,
        "qwen3_vl": Qwen3VLForConditionalGeneration,
        "gemma3": Gemma3ForConditionalGeneration,
    }[family]


def build_tiny_cli(args: list[str]) -> int:
    """`python -m inference build-tiny OUT [--family F] [--seed N]`."""
    parser = argparse.ArgumentParser(prog="inference build-tiny", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="checkpoint folder to write")
    parser.add_argument("--family", choices=FAMILIES, default="qwen2_5_vl")
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args(args)
    path = build_tiny(options.out, family=options.family, seed=options.seed)
    print(json.dumps({"checkpoint": str(path), "family": options.family, "seed": options.seed}))
    return 0


# Older name of the same entry point.
main_build_tiny = build_tiny_cli
