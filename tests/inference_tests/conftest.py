"""Tiny Qwen2-VL / Qwen2.5-VL / Qwen3-VL / Gemma-3 checkpoints, built once per session, for every
inference test; two stored synthetic cases and a site checkpoint for the generation tests."""

import shutil
from pathlib import Path

import pytest

from cmr_reader.imaging.ingest import import_sources
from cmr_reader.imaging.models import Case
from cmr_reader.imaging.pseudonyms import Pseudonymizer
from cmr_reader.imaging.sources import iter_path_sources
from cmr_reader.reports import generation


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


@pytest.fixture(scope="session")
def tiny_qwen3_vl(tmp_path_factory, offline_hub) -> Path:
    from inference.tiny import build_tiny

    return build_tiny(tmp_path_factory.mktemp("tiny") / "qwen3_vl", family="qwen3_vl", seed=0)


@pytest.fixture(scope="session")
def tiny_gemma3(tmp_path_factory, offline_hub) -> Path:
    from inference.tiny import build_tiny

    return build_tiny(tmp_path_factory.mktemp("tiny") / "gemma3", family="gemma3", seed=0)


@pytest.fixture
def stored_cases(tmp_path, settings, private_storage):
    from cmr_reader.domain.synthetic import write_cases

    folders = write_cases(tmp_path / "synthetic", cases=2, seed=21, matrix=32, phases=6)
    import_sources(
        iter_path_sources(sorted(p for folder in folders for p in folder.glob("*.dcm"))),
        pseudonymizer=Pseudonymizer(settings.PSEUDONYM_KEY),
        storage_root=private_storage,
    )
    return list(Case.objects.order_by("case_id"))


@pytest.fixture
def model(tiny_qwen2_5_vl, tmp_path):
    path = tmp_path / "site-checkpoint"
    shutil.copytree(tiny_qwen2_5_vl, path)
    generation._BACKENDS.clear()
    return str(path)
