"""The input pipeline: a study's DICOM series to the frames a multimodal model reads (no torch).

``load_study_inputs`` finds the study's files (``study_files``), classifies each series with the
site's rules, chooses slices and phases in reading order (``item_plan``, ``sax_stack``), decodes,
resizes and windows them to uint8 (``pixels``) and caches the result (``inference.frame_cache``).
"""

from inference.inputs.items import InputConfig, InputError, PatientInfo, StudyInputs, VisualItem
from inference.inputs.study import load_study_inputs

__all__ = ["InputConfig", "InputError", "PatientInfo", "StudyInputs", "VisualItem", "load_study_inputs"]
