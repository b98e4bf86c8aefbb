"""Which attention a checkpoint loads with: flash attention only where it really works, else SDPA.

A flash_attn package that is installed but unusable (built for another torch or GPU, or a
CPU-only wheel) used to break loading; here it is simulated on the CPU, where transformers refuses
flash_attention_2 the same way."""

import logging

import pytest
import torch

from inference import backend as backend_module
from inference.backend import Backend, preferred_attention


def test_sdpa_off_cuda_whatever_is_installed(monkeypatch):
    monkeypatch.setattr(backend_module, "is_flash_attn_2_available", lambda: True)
    assert preferred_attention(torch.device("cpu")) == "sdpa"


def test_flash_attention_on_cuda_only_when_transformers_finds_it_usable(monkeypatch):
    cuda = torch.device("cuda")
    monkeypatch.setattr(backend_module, "is_flash_attn_2_available", lambda: False)
    assert preferred_attention(cuda) == "sdpa"
    monkeypatch.setattr(backend_module, "is_flash_attn_2_available", lambda: True)
    assert preferred_attention(cuda) == "flash_attention_2"


def test_a_flash_attention_that_fails_to_load_falls_back_to_sdpa_and_says_so(
    tiny_qwen2_5_vl, monkeypatch, caplog
):
    monkeypatch.setattr(backend_module, "preferred_attention", lambda device: "flash_attention_2")

    with caplog.at_level(logging.WARNING, logger="inference.backend"):
        loaded = Backend(tiny_qwen2_5_vl, device="cpu")

    assert loaded.describe()["attn_implementation"] == "sdpa"
    assert "flash attention could not be used" in caplog.text


def test_an_attention_asked_for_by_name_is_not_changed_behind_the_callers_back(tiny_qwen2_5_vl):
    with pytest.raises((ImportError, ValueError)):
        Backend(tiny_qwen2_5_vl, device="cpu", attn_implementation="flash_attention_2")
