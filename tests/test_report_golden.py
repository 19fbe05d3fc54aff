"""The report of one finished tiny study, written again from its stored inputs, byte for byte
as it was written when they were made (but the line that gives the time of writing): a guard
that a refactoring of the documents changes no word of them.

tests/data/tiny_study/ holds the inputs the `report` rule read in a run of the tiny workflow of
tests/test_workflow.py (its params in study.json, the JSON files it read, below results/ and
resources/) and the report it wrote (expected_report.txt: its text alone, the pictures it links
are not stored). A change of the report on purpose rewrites it:
    python -m pytest tests/test_report_golden.py --rewrite-golden-report
"""

import json
import os
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

from conftest import REPO
from embedgan.documents.report import REPORT, write_document
from embedgan.documents.study import read_study

STORED = REPO / "tests" / "data" / "tiny_study"
WRITTEN_AT = re.compile(r"^Written \S+ by", re.M)  # the one line that changes with every writing


def without_time(report: str) -> str:
    return WRITTEN_AT.sub("Written (time) by", report)


def test_the_tiny_studys_report_is_written_again_word_for_word(tmp_path, monkeypatch, request):
    shutil.copytree(STORED, tmp_path / "study")
    monkeypatch.chdir(tmp_path / "study")  # the inputs' paths are the workflow folder's
    stored = json.loads(Path("study.json").read_text())
    study = read_study(stored["plan"], SimpleNamespace(**stored["inputs"]), Path("results"))
    write_document(study, REPORT, "results/report.md")
    written = Path("results/report.md").read_text()
    if request.config.getoption("--rewrite-golden-report"):
        (STORED / "expected_report.txt").write_text(written)
    assert without_time(written) == without_time((STORED / "expected_report.txt").read_text())
    assert not any(p.suffix == ".png" for p in Path(".").rglob("*"))  # written from the numbers alone
    assert os.path.getsize("results/report.md") > 10_000


def test_the_report_as_one_page_renders_every_table_heading_and_list():
    from embedgan.documents.html import to_html

    lines = (STORED / "expected_report.txt").read_text().splitlines()
    page = to_html(lines, STORED, "report")
    tables = sum(1 for i, line in enumerate(lines) if line.startswith("| ---"))
    assert page.count("<table>") == tables
    assert page.count("<h2>") == sum(line.startswith("## ") for line in lines)
    assert page.count("<tr>") == sum(line.startswith("| ") for line in lines) - tables  # but the separators
    assert "<em>accuracy</em>" in page and "mu + sigma * eps" in page  # a lone star is no emphasis
    assert "| " not in page.replace("||", "")  # no markdown table line left
