"""The extractor is a pure package: no Django, only allowed values, deterministic."""

import ast
from pathlib import Path

from cmr_reader.domain import entities
from cmr_reader.domain.entities import FIELDS, extract_entities
from cmr_reader.domain.entities.record import is_allowed_value
from cmr_reader.domain.entities.scoring import HOLDOUT_REPORTS, LABELLED_REPORTS, load_labelled_reports

PACKAGE = Path(entities.__file__).parent


def test_package_never_imports_django():
    for module in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(name.split(".")[0] == "django" for name in names), module.name


def test_modules_stay_small():
    for module in PACKAGE.glob("*.py"):
        assert len(module.read_text().splitlines()) <= 400, module.name


def test_every_extracted_value_is_allowed_and_repeatable():
    for report in load_labelled_reports(LABELLED_REPORTS) + load_labelled_reports(HOLDOUT_REPORTS):
        record = extract_entities(report["text"])
        assert list(record) == list(FIELDS)
        assert record == extract_entities(report["text"])
        for field, value in record.items():
            assert is_allowed_value(field=field, value=value), (report["id"], field, value)


def test_empty_text_gives_an_empty_record():
    assert extract_entities("") == dict.fromkeys(FIELDS)
