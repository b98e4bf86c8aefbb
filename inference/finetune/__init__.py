"""LoRA fine-tuning of a site's report model on its own (study inputs, reference report) pairs.

``python -m inference finetune train`` reads the manifests that ``manage.py
prepare_finetune_data`` wrote (their hashes checked, no reader-study case in them), renders each
case through the same input pipeline and prompt as generation (``data``), trains language-model
LoRA adapters with PEFT (``train``; resumable, seeded), and saves merged weights with a training
record and a model card (``merge``, ``record``, ``model_card``) that generation loads unchanged.
``python -m inference finetune evaluate`` writes a model's reports on the held-out split for
``manage.py evaluate_finetune`` to score. No Django (decisions/0029).
"""
