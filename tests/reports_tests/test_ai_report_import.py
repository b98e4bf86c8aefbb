import csv
import hashlib
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from cmr_reader.imaging.models import Case
from cmr_reader.imaging.site_pseudonyms import site_pseudonymizer
from cmr_reader.reports import generation
from cmr_reader.reports.models import GenerationRun, Report
from cmr_reader.studies import assign
from cmr_reader.studies.models import ReaderStudy
from cmr_reader.studies.pairs import eligible_pairs
from inference.generation_settings import GenerationSettings
from inference.inputs import InputConfig
from inference.prompts import PromptTemplate

pytestmark = pytest.mark.django_db

HEADER = [
    "case_id",
    "accession_number",
    "study_instance_uid",
    "model_name",
    "model_version",
    "generated_at",
    "provenance",
    "text",
]
CHINESE_REPORT = "左心室大小及功能正常，左心室射血分数62%。未见延迟强化。"


def accession(n: int) -> str:
    return f"ACC2025011700{n}"


def study_uid(n: int) -> str:
    return f"1.2.826.0.1.3680043.2.1125.1.{4240 + n}"


@pytest.fixture
def cases() -> list[Case]:
    """Three imported cases, linked to their RIS identifiers by the site's keyed hashes."""
    pseudonymizer = site_pseudonymizer()
    return [
        Case.objects.create(
            case_id=f"CMR-AI{n:06d}",
            patient_pseudonym=f"P{n}",
            study_instance_uid=f"2.25.{7000 + n}",
            accession_hash=pseudonymizer.hash_identifier(accession(n)),
            original_study_uid_hash=pseudonymizer.hash_identifier(study_uid(n)),
        )
        for n in range(3)
    ]


def write_csv(path: Path, rows, *, header=HEADER, encoding: str = "utf-8") -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_jsonl(path: Path, lines: list) -> Path:
    """Each item a line: objects as JSON, strings as they are (broken lines)."""
    text = "\n".join(
        line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines
    )
    path.write_text(text + "\n", encoding="utf-8")
    return path


def import_ai(path: Path, *options: str) -> dict:
    out = io.StringIO()
    call_command("import_ai_reports", "--input", str(path), "--json", *options, stdout=out)
    return json.loads(out.getvalue())


def row(case_id="", *, accession_number="", uid="", model="vendor-x", version="1.0", at="", prov="", text=""):
    return [case_id, accession_number, uid, model, version, at, prov, text]


def test_a_csv_file_imports_reports_into_one_imported_run_per_model_and_version(cases, tmp_path):
    path = write_csv(
        tmp_path / "vendor.csv",
        [
            row(
                cases[0].case_id,
                at="2025-01-17T09:30:00+08:00",
                prov='{"site": "B", "temperature": 0.2}',
                text="Normal LV size and function. LVEF 62%.",
            ),
            row(
                accession_number=accession(1),
                text=f"Patient accession {accession(1)}: asymmetric septal hypertrophy, 19 mm.",
            ),
            row(uid=study_uid(2), model="vendor-x", version="2.0", text=CHINESE_REPORT),
        ],
    )

    summary = import_ai(path)

    assert (summary["imported"], summary["duplicates"], summary["rejected"]) == (3, 0, [])
    assert (summary["format"], summary["encoding"], summary["rows"]) == ("csv", "utf-8", 3)
    runs = {run.model_version: run for run in GenerationRun.objects.all()}
    assert set(runs) == {"1.0", "2.0"}
    for run in runs.values():
        assert run.origin == GenerationRun.Origin.IMPORTED
        assert run.model_name == "vendor-x"
        assert run.state == GenerationRun.State.DONE
        assert (run.run_key, run.checkpoint_sha256, run.checkpoint_path) == ("", "", "")
        (record,) = run.import_files
        assert record["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert (record["file_name"], record["rows"]) == ("vendor.csv", 3)
        assert record["imported_at"]
    assert (runs["1.0"].cases_done, runs["2.0"].cases_done) == (2, 1)
    first = Report.objects.get(case=cases[0])
    assert first.source == Report.Source.AI and first.generation_run == runs["1.0"]
    assert first.text == "Normal LV size and function. LVEF 62%."
    assert first.language == "en"
    assert first.provenance == {"site": "B", "temperature": 0.2, "generated_at": "2025-01-17T09:30:00+08:00"}
    scrubbed = Report.objects.get(case=cases[1])
    assert accession(1) not in scrubbed.text and "[removed]" in scrubbed.text
    assert scrubbed.provenance == {}
    chinese = Report.objects.get(case=cases[2])
    assert (chinese.language, chinese.text, chinese.generation_run) == ("zh", CHINESE_REPORT, runs["2.0"])


def test_a_jsonl_file_imports_reports_with_provenance_objects(cases, tmp_path):
    path = write_jsonl(
        tmp_path / "vendor.jsonl",
        [
            {
                "case_id": cases[0].case_id,
                "model_name": "cardio-llm",
                "model_version": 3,
                "generated_at": "2025-02-01T10:00:00Z",
                "provenance": {"prompt": "v7", "weights": {"sha256": "ab12"}},
                "text": "Dilated LV, LVEF 30%.",
            },
            {
                "accession_number": accession(1),
                "model_name": "cardio-llm",
                "model_version": "3",
                "text": CHINESE_REPORT,
            },
        ],
    )

    summary = import_ai(path)

    assert (summary["imported"], summary["format"], summary["rejected"]) == (2, "jsonl", [])
    run = GenerationRun.objects.get()
    assert (run.origin, run.model_name, run.model_version) == ("imported", "cardio-llm", "3")
    assert summary["runs"] == [
        {
            "id": run.pk,
            "model_name": "cardio-llm",
            "model_version": "3",
            "created": True,
            "imported": 2,
            "duplicates": 0,
        }
    ]
    report = Report.objects.get(case=cases[0])
    assert report.provenance == {
        "prompt": "v7",
        "weights": {"sha256": "ab12"},
        "generated_at": "2025-02-01T10:00:00+00:00",
    }
    assert Report.objects.get(case=cases[1]).language == "zh"


def test_importing_the_same_file_again_changes_nothing(cases, tmp_path):
    path = write_csv(
        tmp_path / "vendor.csv",
        [
            row(cases[0].case_id, text="Normal study."),
            row(cases[1].case_id, prov='{"a": 1}', text="LVEF 40%."),
        ],
    )
    import_ai(path)
    runs_before = list(GenerationRun.objects.values())
    reports_before = list(Report.objects.values())

    summary = import_ai(path)

    assert (summary["imported"], summary["duplicates"], summary["rejected"]) == (0, 2, [])
    assert summary["runs"][0]["created"] is False
    assert list(GenerationRun.objects.values()) == runs_before
    assert list(Report.objects.values()) == reports_before


def test_a_second_file_for_the_same_model_and_version_reuses_its_run(cases, tmp_path):
    import_ai(write_csv(tmp_path / "first.csv", [row(cases[0].case_id, text="Normal study.")]))
    second = write_csv(
        tmp_path / "second.csv",
        [row(cases[0].case_id, text="Normal study."), row(cases[1].case_id, text="LVEF 40%.")],
    )

    summary = import_ai(second)

    run = GenerationRun.objects.get()
    assert (summary["imported"], summary["duplicates"]) == (1, 1)
    assert [record["file_name"] for record in run.import_files] == ["first.csv", "second.csv"]
    assert run.import_files[1]["reports_added"] == 1
    assert run.cases_done == 2


def test_a_different_text_for_the_same_case_and_run_is_rejected_not_overwritten(cases, tmp_path):
    import_ai(write_csv(tmp_path / "first.csv", [row(cases[0].case_id, text="Normal study.")]))
    changed = write_csv(tmp_path / "changed.csv", [row(cases[0].case_id, text="Severe LV dysfunction.")])

    summary = import_ai(changed)

    run = GenerationRun.objects.get()
    assert summary["imported"] == 0
    assert summary["rejected"] == [
        {
            "line": 2,
            "reason": f"case {cases[0].case_id} already has a different AI report from vendor-x 1.0 (run {run.pk})",
        }
    ]
    assert Report.objects.get().text == "Normal study."
    assert len(run.import_files) == 1


def test_a_gb18030_file_is_read_and_the_summary_says_so(cases, tmp_path):
    path = write_csv(
        tmp_path / "export.csv",
        [row(cases[0].case_id, model="心脏模型", text=CHINESE_REPORT)],
        encoding="gb18030",
    )
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")

    summary = import_ai(path)

    assert (summary["encoding"], summary["imported"]) == ("gb18030", 1)
    report = Report.objects.get()
    assert (report.text, report.language, report.generation_run.model_name) == (
        CHINESE_REPORT,
        "zh",
        "心脏模型",
    )


def test_a_utf8_file_with_a_byte_order_mark_is_read_and_the_summary_says_so(cases, tmp_path):
    path = write_csv(
        tmp_path / "excel.csv", [row(cases[0].case_id, text=CHINESE_REPORT)], encoding="utf-8-sig"
    )
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    summary = import_ai(path)

    assert (summary["encoding"], summary["imported"], summary["rejected"]) == ("utf-8-sig", 1, [])
    assert Report.objects.get().text == CHINESE_REPORT


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"case_id,text\n\x80\x80,x\n", "neither UTF-8 nor GB18030"), ("case_id\n".encode("utf-16"), "UTF-16")],
)
def test_a_file_in_another_encoding_cannot_be_read(db, tmp_path, content, message):
    path = tmp_path / "export.csv"
    path.write_bytes(content)

    with pytest.raises(CommandError, match=message) as error:
        import_ai(path)

    assert error.value.returncode != 0  # what manage.py exits with
    assert not GenerationRun.objects.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("no-version.csv", "case_id,model_name,text\nCMR-AI000000,m,Normal.\n"),
        ("no-case.csv", "model_name,model_version,text\nm,1,Normal.\n"),
        ("no-text.jsonl", '{"case_id": "CMR-AI000000", "model_name": "m", "model_version": "1"}\n'),
        ("empty.csv", ""),
        ("not-json-lines.jsonl", "[1]\n[2]\n"),
    ],
)
def test_a_file_without_the_needed_columns_is_refused(cases, tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")

    with pytest.raises(CommandError):
        import_ai(path)
    assert not Report.objects.exists()


def test_bad_csv_rows_are_rejected_by_line_and_good_ones_imported(cases, tmp_path):
    c0, c1, c2 = (case.case_id for case in cases)
    path = write_csv(
        tmp_path / "vendor.csv",
        [
            row(c0, text="Normal LV size and function."),  # line 2
            row("CMR-NOPE", text="Normal."),  # 3
            row(accession_number="ACC999", text="Normal."),  # 4
            row(c1, text="   "),  # 5
            row(c1, model=" ", text="Normal."),  # 6
            row(c0, text="Normal LV size and function."),  # 7
            row(c1, prov="{site: B", text="Normal."),  # 8
            row(c1, prov='["a"]', text="Normal."),  # 9
            row(c2, model="lonely-model", at="17/01/2025", text="Normal."),  # 10
            row(
                c1, accession_number=accession(1), prov=json.dumps({"acc": accession(1)}), text="Normal."
            ),  # 11
            row(c1, accession_number=accession(2), text="Normal."),  # 12
            row(text="Normal."),  # 13
            row(uid=study_uid(1), text="Mildly dilated RV.\nNo LGE."),  # 14-15
        ],
    )

    summary = import_ai(path)

    assert (summary["imported"], summary["duplicates"], summary["rows"]) == (2, 0, 13)
    reasons = {rejection["line"]: rejection["reason"] for rejection in summary["rejected"]}
    assert list(reasons) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]
    assert reasons[3] == "no case CMR-NOPE on this site"
    assert "no imported study matches" in reasons[4]
    assert reasons[5] == "text is empty or missing"
    assert reasons[6] == "model_name is empty"
    assert reasons[7] == f"case {c0} appears again for this model and version (first on line 2)"
    assert reasons[8].startswith("provenance is not valid JSON")
    assert reasons[9] == "provenance must be a JSON object"
    assert reasons[10] == "generated_at '17/01/2025' is not an ISO 8601 date and time"
    assert "identifiers" in reasons[11]
    assert "point to different studies" in reasons[12]
    assert reasons[13] == "none of case_id, accession_number and study_instance_uid is given"
    assert dict(Report.objects.values_list("case__case_id", "text")) == {
        c0: "Normal LV size and function.",
        c1: "Mildly dilated RV.\nNo LGE.",
    }
    # A rejected row leaves nothing behind, not even the run it would have made.
    assert list(GenerationRun.objects.values_list("model_name", flat=True)) == ["vendor-x"]


def test_bad_jsonl_lines_are_rejected_by_line_and_good_ones_imported(cases, tmp_path):
    good = {"model_name": "m", "model_version": "1", "text": "Normal."}
    path = write_jsonl(
        tmp_path / "vendor.jsonl",
        [
            {**good, "case_id": cases[0].case_id},  # line 1
            '{"case_id": "CMR-AI000001", "text": ',  # 2
            "",  # 3: blank, skipped
            '["a list"]',  # 4
            {"case_id": cases[1].case_id, "model_name": "m", "model_version": "1"},  # 5
            {**good, "case_id": cases[1].case_id, "provenance": [1, 2]},  # 6
            '{"case_id": "CMR-AI000001", "model_name": "m", "model_version": "1", "text": "x", "provenance": {"t": NaN}}',  # 7
            {**good, "case_id": cases[1].case_id, "model_name": ""},  # 8
            {**good, "case_id": cases[1].case_id, "generated_at": "yesterday"},  # 9
            {**good, "case_id": cases[0].case_id},  # 10
            {**good, "case_id": cases[1].case_id, "text": {"en": "x"}},  # 11
            {**good, "case_id": cases[2].case_id, "provenance": {"ok": True}},  # 12
        ],
    )

    summary = import_ai(path)

    reasons = {rejection["line"]: rejection["reason"] for rejection in summary["rejected"]}
    assert summary["imported"] == 2
    assert list(reasons) == [2, 4, 5, 6, 7, 8, 9, 10, 11]
    assert reasons[2].startswith("not valid JSON")
    assert reasons[4] == "the line is not a JSON object"
    assert reasons[5] == "text is empty or missing"
    assert reasons[6] == "provenance must be a JSON object"
    assert reasons[7].startswith("not valid JSON") and "NaN" in reasons[7]
    assert reasons[8] == "model_name is empty"
    assert "generated_at 'yesterday'" in reasons[9]
    assert "first on line 1" in reasons[10]
    assert reasons[11] == "text must be text"
    assert set(Report.objects.values_list("case__case_id", flat=True)) == {cases[0].case_id, cases[2].case_id}


def test_a_row_is_written_whole_or_not_at_all(cases, tmp_path, monkeypatch):
    path = write_csv(
        tmp_path / "vendor.csv",
        [
            row(cases[0].case_id, text="Normal."),
            row(cases[1].case_id, model="crashing-model", text="LVEF 40%."),
        ],
    )
    create = Report.objects.create

    def crash_on_second_model(**fields):
        if fields["generation_run"].model_name == "crashing-model":
            raise RuntimeError("the process died here")
        return create(**fields)

    monkeypatch.setattr(Report.objects, "create", crash_on_second_model)

    with pytest.raises(RuntimeError):
        import_ai(path)

    # The first row is in; the second row's run, made in the same transaction as its report, is not.
    assert list(Report.objects.values_list("case__case_id", flat=True)) == [cases[0].case_id]
    assert list(GenerationRun.objects.values_list("model_name", flat=True)) == ["vendor-x"]


def test_cells_that_look_like_formulas_are_stored_as_plain_text(cases, tmp_path):
    texts = ["=HYPERLINK(LV) normal size.", "-LVEF 45%, mildly reduced.", "+RV dilated.\n@LGE none."]
    path = write_csv(
        tmp_path / "vendor.csv",
        [row(case.case_id, text=text) for case, text in zip(cases, texts, strict=True)],
    )

    assert import_ai(path)["imported"] == 3

    assert [Report.objects.get(case=case).text for case in cases] == texts


def test_an_imported_run_is_never_picked_up_by_generation(cases, tmp_path):
    import_ai(write_csv(tmp_path / "vendor.csv", [row(cases[0].case_id, text="Normal.")]))
    imported = GenerationRun.objects.get()
    checkpoint = tmp_path / "checkpoint"
    checkpoint.mkdir()
    (checkpoint / "config.json").write_text('{"model_type": "tiny"}')
    plan = generation.GenerationPlan(
        model_path=checkpoint,
        template=PromptTemplate.load("en"),
        input_config=InputConfig(),
        settings=GenerationSettings(),
    )

    run = generation.plan_run(plan)

    assert run.pk != imported.pk and run.origin == GenerationRun.Origin.GENERATED
    # The case's imported report is no report from this checkpoint: the site's model still writes one.
    assert cases[0] in generation.cases_lacking_report(run)
    assert generation.settle_run(imported.pk).state == GenerationRun.State.DONE
    for state in (GenerationRun.State.QUEUED, GenerationRun.State.RUNNING):
        with pytest.raises(IntegrityError), transaction.atomic():
            GenerationRun.objects.filter(pk=imported.pk).update(state=state)
    with pytest.raises(IntegrityError), transaction.atomic():
        GenerationRun.objects.filter(pk=imported.pk).update(run_key=run.run_key)
    imported.refresh_from_db()
    assert imported.state == GenerationRun.State.DONE and not imported.chunks.exists()


def test_imported_ai_reports_are_eligible_for_a_reader_study_like_generated_ones(cases, tmp_path):
    generated = GenerationRun.objects.create(model_name="site-model")
    for case in cases[:2]:
        Report.objects.create(case=case, source="reference", language="en", text="Reference: LVEF 60%.")
    Report.objects.create(
        case=cases[1], source="ai", language="en", text="LVEF 58%.", generation_run=generated
    )
    import_ai(write_csv(tmp_path / "vendor.csv", [row(cases[0].case_id, text="Vendor: LVEF 59%.")]))
    imported_report = Report.objects.get(case=cases[0], source="ai")

    pairs = eligible_pairs([case.pk for case in cases])

    assert set(pairs) == {cases[0].pk, cases[1].pk}
    assert pairs[cases[0].pk][1] == imported_report.pk
    study = ReaderStudy.objects.create(name="Vendor study")
    assert assign.add_cases(study, [case.pk for case in cases]) == 2
    assert study.study_cases.get(case=cases[0]).ai_report == imported_report


def test_the_format_comes_from_the_extension_unless_given(cases, tmp_path):
    path = write_jsonl(
        tmp_path / "vendor.txt",
        [{"case_id": cases[0].case_id, "model_name": "m", "model_version": "1", "text": "Normal."}],
    )

    with pytest.raises(CommandError, match="--format"):
        import_ai(path)
    assert import_ai(path, "--format", "jsonl")["imported"] == 1


def test_the_plain_summary_names_the_encoding_the_runs_and_rejections_by_line(cases, tmp_path):
    path = write_csv(
        tmp_path / "vendor.csv",
        [row(cases[0].case_id, text=CHINESE_REPORT), row("CMR-NOPE", text="Normal.")],
        encoding="gb18030",
    )
    out = io.StringIO()

    call_command("import_ai_reports", "--input", str(path), stdout=out)

    run = GenerationRun.objects.get()
    lines = out.getvalue().splitlines()
    assert lines[0] == "vendor.csv (csv, GB18030, 2 rows):"
    assert lines[1] == "Imported 1 AI reports, 0 duplicates, 1 rejected."
    assert lines[2] == f"  run {run.pk} (new): vendor-x 1.0, 1 imported, 0 duplicates"
    assert lines[3] == "  line 3: no case CMR-NOPE on this site"
