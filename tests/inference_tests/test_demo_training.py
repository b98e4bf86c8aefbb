"""Training the demo model: the vision probes read the images' findings during training, change
nothing about the report's own loss, and leave no trace in the checkpoint."""

import pytest
import torch

from inference.backend import Backend
from inference.demo_reports import DEMO_INPUT_CONFIG, lv_dilated, target_report
from inference.demo_training import (
    CASE_TYPES,
    THICKNESS_CENTRE_MM,
    THICKNESS_SCALE_MM,
    VisionProbes,
    _loss_with_probes,
    build_model,
    build_processor,
    build_tokenizer,
    collate,
    encode_example,
    load_cases,
    probe_targets,
)
from inference.prompts import PromptTemplate, render_prompt


@pytest.fixture(scope="module")
def tiny_setup(tmp_path_factory):
    data = load_cases(cases=4, seed=3, config=DEMO_INPUT_CONFIG)
    template = PromptTemplate.load("en")
    prompts = [render_prompt(template, inputs) for inputs, _truth in data]
    targets = [target_report(truth) for _inputs, truth in data]
    tokenizer = build_tokenizer([p.text for p in prompts] + targets + [template.text])
    processor = build_processor(tokenizer, config=DEMO_INPUT_CONFIG)
    model = build_model(tokenizer, seed=0)
    backend = Backend.from_loaded(model, processor, model_path=tmp_path_factory.mktemp("demo"))
    examples = [
        encode_example(backend, prompt.parts, target, probe_targets(truth))
        for prompt, target, (_inputs, truth) in zip(prompts, targets, data, strict=True)
    ]
    return model, tokenizer, examples, [truth for _inputs, truth in data]


def test_probe_targets_are_the_ground_truth_the_report_states():
    truth = {
        "lge": "present",
        "case_type": "hcm_apical",
        "max_wall_thickness_mm": 20.0,
        "lv_edv_index_ml_m2": 120.0,
        "patient": {"sex": "F"},
    }

    targets = probe_targets(truth)

    assert targets["lge"] == 1.0 and CASE_TYPES[int(targets["case_type"])] == "hcm_apical"
    assert targets["dilated"] == 1.0 == float(lv_dilated(truth))
    assert targets["thickness"] * THICKNESS_SCALE_MM + THICKNESS_CENTRE_MM == pytest.approx(20.0)
    smaller = probe_targets({**truth, "lge": "absent", "lv_edv_index_ml_m2": 90.0})
    assert smaller["lge"] == 0.0 and smaller["dilated"] == 0.0


def test_the_report_loss_is_the_same_with_the_vision_tower_run_once_for_the_probes(tiny_setup):
    model, tokenizer, examples, _truths = tiny_setup
    batch = collate(examples, pad_id=tokenizer.pad_token_id)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        probes = VisionProbes(model.config.text_config.hidden_size)
    model.eval()
    with torch.no_grad():
        plain = model(**batch).loss
        report_loss, parts = _loss_with_probes(model, probes, examples, batch)

    assert report_loss.item() == pytest.approx(plain.item(), rel=1e-6)
    assert set(parts) == {"lge", "case_type", "dilated", "thickness"}
    assert all(p.item() > 0 for p in parts.values())


def test_the_image_probes_train_the_vision_tower_and_not_the_text_layers(tiny_setup):
    model, tokenizer, examples, _truths = tiny_setup
    batch = collate(examples, pad_id=tokenizer.pad_token_id)
    probes = VisionProbes(model.config.text_config.hidden_size)
    model.zero_grad(set_to_none=True)

    _report_loss, parts = _loss_with_probes(model, probes, examples, batch)
    sum(parts.values()).backward()

    vision = [p.grad for p in model.model.visual.parameters()]
    text = [p.grad for p in model.model.language_model.parameters()]
    assert any(g is not None and g.abs().sum() > 0 for g in vision)
    assert all(g is None or g.abs().sum() == 0 for g in text)
    model.zero_grad(set_to_none=True)


def test_the_probes_tell_cases_apart_after_a_few_steps(tiny_setup):
    """A sanity check that the probe losses carry the findings: fitting four cases drives the
    probes' loss well down, which a probe reading nothing case-specific could not do."""
    model, tokenizer, examples, _truths = tiny_setup
    batch = collate(examples, pad_id=tokenizer.pad_token_id)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        probes = VisionProbes(model.config.text_config.hidden_size)
    parameters = list(model.model.visual.parameters()) + list(probes.parameters())
    saved = {k: v.clone() for k, v in model.state_dict().items()}
    optimiser = torch.optim.AdamW(parameters, lr=3e-3)
    losses = []
    try:
        model.train()
        for _step in range(40):
            _report_loss, parts = _loss_with_probes(model, probes, examples, batch)
            probe_loss = sum(parts.values())
            optimiser.zero_grad(set_to_none=True)
            probe_loss.backward()
            optimiser.step()
            losses.append(probe_loss.item())
    finally:
        model.load_state_dict(saved)
        model.eval()

    assert losses[-1] < 0.5 * losses[0]


def test_a_case_without_cines_or_lge_is_left_out_of_that_probe_only():
    probes = VisionProbes(8)
    tokens = torch.randn(5, 8)
    targets = {
        "lge": torch.tensor([1.0, 0.0]),
        "case_type": torch.tensor([2.0, 0.0]),
        "dilated": torch.tensor([0.0, 1.0]),
        "thickness": torch.tensor([0.5, -0.5]),
    }

    both = probes.losses(image_tokens=[tokens, None], video_tokens=[None, tokens], targets=targets)
    only_first = probes.losses(
        image_tokens=[tokens], video_tokens=[None], targets={k: v[:1] for k, v in targets.items()}
    )
    none = probes.losses(image_tokens=[None, None], video_tokens=[None, None], targets=targets)

    assert set(both) == {"lge", "case_type", "dilated", "thickness"}
    assert both["lge"].item() == pytest.approx(only_first["lge"].item())
    assert set(only_first) == {"lge"} and none == {}
