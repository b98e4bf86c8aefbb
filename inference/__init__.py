"""Pre-generating AI cardiac MR reports with a multimodal model; a library that never imports Django.

Torch is imported only by the model backend, never by the input pipeline (``inference.inputs``),
so the web process may read this package's inputs and provenance without a GPU stack.
"""

from inference.inputs import InputConfig, InputError, PatientInfo, StudyInputs, VisualItem, load_study_inputs

__all__ = ["InputConfig", "InputError", "PatientInfo", "StudyInputs", "VisualItem", "load_study_inputs"]
