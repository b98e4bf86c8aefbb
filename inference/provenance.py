"""Everything needed to trace a generated report back to its model, prompt, inputs and run."""

from cmr_reader.domain.package_versions import package_versions

LIBRARIES = ("torch", "torchvision", "transformers", "tokenizers", "numpy", "pydicom", "pillow")


def library_versions() -> dict[str, str]:
    return package_versions(LIBRARIES)


def report_provenance(
    *,
    model: dict,
    weights_sha256: str,
    template,
    prompt,
    settings,
    input_config,
    inputs,
    generated,
    generate_seconds: float,
) -> dict:
    """One report's provenance: model and its content hash, processor settings, prompt template and
    rendered prompt hash, generation parameters, input selection and fingerprint, library
    versions, device, token counts and timings."""
    return {
        "model": {**model, "weights_sha256": weights_sha256},
        "prompt": {
            "template": template.name,
            "template_sha256": template.sha256,
            "language": template.language,
            "rendered_sha256": prompt.sha256,
        },
        "generation": settings.as_dict(),
        "inputs": {
            "config": input_config.as_dict(),
            "fingerprint": inputs.fingerprint,
            "items": [
                {
                    "kind": item.kind,
                    "position": item.position,
                    "modality": item.modality,
                    "frames": int(len(item.frames)),
                    "size": list(item.frames.shape[-2:]),
                    "fps": item.fps,
                    "series_uid": item.series_uid,
                }
                for item in inputs.items
            ],
            "skipped": list(inputs.skipped),
            "cache_hit": inputs.cache_hit,
        },
        "libraries": library_versions(),
        "tokens": {"prompt": generated.prompt_tokens, "generated": generated.generated_tokens},
        "timings": {
            "decode_seconds": round(inputs.decode_seconds, 4),
            "generate_seconds": round(generate_seconds, 4),
        },
    }
