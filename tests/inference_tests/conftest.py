"""Tiny Qwen2-VL / Qwen2.5-VL checkpoints, built once per session, for every inference test."""

from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def offline_hub():
    """Inference tests never reach the Hugging Face Hub: everything they load is built locally."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("TRANSFORMERS_OFFLINE", "1")
        # huggingface_hub reads the variable once, at import, which may already have happened.
        import huggingface_hub.constants

        patch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
        yield


@pytest.fixture(scope="session")
def tiny_qwen2_vl(tmp_path_factory, offline_hub) -> Path:
    from inference.tiny import build_tiny

    return build_tiny(tmp_path_factory.mktemp("tiny") / "qwen2_vl", family="qwen2_vl", seed=0)


@pytest.fixture(scope="session")
def tiny_qwen2_5_vl(tmp_path_factory, offline_hub) -> Path:
    from inference.tiny import build_tiny

    return build_tiny(tmp_path_factory.mktemp("tiny") / "qwen2_5_vl", family="qwen2_5_vl", seed=0)
