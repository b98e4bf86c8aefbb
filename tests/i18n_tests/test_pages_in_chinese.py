"""Key pages in Simplified Chinese: the browser's language picks it, every role's page shows it."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from cmr_reader.analysis import runs
from cmr_reader.reports.models import Report
from cmr_reader.studies.models import Assignment
from tests.studies_tests.conftest import build_study

pytestmark = pytest.mark.django_db

CHINESE_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.5"}


def chinese_client(user=None) -> Client:
    client = Client(**CHINESE_BROWSER)
    if user is not None:
        client.force_login(user)
    return client


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_a_chinese_browser_gets_the_login_page_in_chinese():
    body = page(chinese_client(), reverse("login"))

    assert '<html lang="zh-hans">' in body
    assert "<h1>登录</h1>" in body and "用户名" in body and "密码" in body
    assert "Log in" not in body


def test_an_english_browser_gets_english():
    body = page(Client(HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9"), reverse("login"))

    assert '<html lang="en">' in body and "<h1>Log in</h1>" in body


def test_the_login_page_offers_the_language_switch_with_the_current_language_marked():
    body = page(chinese_client(), reverse("login"))

    assert f'action="{reverse("set_language")}"' in body
    assert 'value="zh-hans" lang="zh-hans" aria-current="true">简体中文</button>' in body
    assert 'value="en" lang="en">English</button>' in body


def test_the_coordinator_home_is_in_chinese(coordinator):
    body = page(chinese_client(coordinator), reverse("home"))

    assert "研究协调员" in body and "上传DICOM" in body and "浏览病例" in body and "阅片研究" in body
    assert "退出登录" in body


def test_the_reader_home_and_reading_page_are_in_chinese(reader, other_reader):
    study = build_study(readers=[reader, other_reader]).study
    client = chinese_client(reader)

    home = page(client, reverse("reading:home"))
    assert "我的阅片" in home and study.name in home and "开始" in home

    assignment = Assignment.objects.filter(reader=reader, study=study).order_by("position").first()
    reading = page(client, reverse("reading:case", args=[assignment.public_id]))
    for text in (
        "报告A",
        "报告B",
        "是否存在有临床意义的错误？",
        "提交病例",
        "图像查看器",
        "窗宽窗位",
        "查看器快捷键",
        "空格键",
    ):
        assert text in reading, text
    assert "Report A" not in reading


def test_the_analysis_dashboard_is_in_chinese(reader, other_reader, statistician):
    study = build_study(readers=[reader, other_reader]).study
    runs.run_analysis(runs.create_run(study=study, bootstrap=0, seed=1))

    body = page(chinese_client(statistician), reverse("analysis:dashboard", args=[study.pk]))

    for text in (
        "运行分析",
        "最新结果",
        "阅片者间一致性",
        "AI与参考报告比较",
        "95% 置信区间",
        "统计仅使用已提交的首次阅片",
    ):
        assert text in body, text
    assert 'alt="按评价标准和报告的评分（所有阅片者）"' in body  # the plots' alternative text


def test_the_javascript_catalogue_is_served_in_chinese():
    body = page(chinese_client(), reverse("javascript-catalog"))

    assert '"Pause": "\\u6682\\u505c"' in body  # 暂停
    assert "const v = 0;" in body  # one plural form


def test_both_report_texts_carry_the_pairs_language_and_its_section_titles(reader, other_reader):
    """A pair is in one language (studies/pairs.py): both texts get its lang attribute and titles,
    so neither the markup nor the titles can set the two reports apart."""
    study = build_study(readers=[reader, other_reader]).study
    assignment = Assignment.objects.filter(reader=reader, study=study).order_by("position").first()
    case = assignment.study_case.case
    Report.objects.filter(case=case, source="reference").update(
        language="zh",
        text="左心室壁增厚，最大室壁厚度18毫米，位于室间隔基底段。左心室射血分数65%。诊断：肥厚型心肌病。",
    )
    Report.objects.filter(case=case, source="ai").update(
        language="zh", text="检查所见：左心室壁增厚。\n结论：肥厚型心肌病。"
    )

    body = page(chinese_client(reader), reverse("reading:case", args=[assignment.public_id]))

    tags = re.findall(r'<div class="report-text"[^>]*>', body)
    langs = {
        re.search(r'id="report-(\w)-text"', tag)[1]: re.search(r'lang="([^"]+)"', tag)[1] for tag in tags
    }
    assert langs == {"A": "zh-Hans", "B": "zh-Hans"}
    texts = re.findall(r'<div class="report-text"[^>]*>(.*?)</div>', body, re.S)
    assert all("<p>检查所见：<br>" in text and "<p>诊断意见：<br>" in text for text in texts)
