"""What readers take away: open data, the chart, sitemap and canonical links, the bundle."""
from __future__ import annotations

import csv
import io
import zipfile

from conftest import REPO, soup, text_of
from kpisite import cli, opendata, publish
from kpisite.theme import Theme
from test_safety import edit


def test_csv_opens_with_the_right_columns_and_thai_text(built_site):
    raw = (built_site / "data/indicators.csv").read_bytes()
    assert raw.startswith("\ufeff".encode("utf-8"))  # Excel reads Thai only with the BOM
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(rows[0]) == [column.name for column in opendata.COLUMNS]
    assert len(rows) == 11
    ref = next(r for r in rows if r["code"] == "5042-2007")
    assert ref["name"] == "ระดับความสำเร็จของการสร้างเครือข่ายประชาสังคมเขตเพื่อร่วมผลักดันการพัฒนาพื้นที่"
    assert ref["agency_name"] == "สำนักงานเขตสายไหม" and ref["agency_code"] == "5042"
    assert (ref["q1_result"], ref["q2_result"], ref["q3_result"], ref["q4_result"]) == ("2.00", "4.00", "5.00", "")
    assert (ref["q4_score"], ref["q4_points"], ref["q4_full"]) == ("95", "0", "0")
    assert ref["status"] == "met" and ref["strategy"] == "5.2.1.1"
    assert next(r for r in rows if r["code"] == "0700-0787")["agency_code"] == "0700"
    assert next(r for r in rows if r["code"] == "5010-0957")["agency_name"] == ""


def test_csv_text_never_starts_a_spreadsheet_formula(project, tmp_path):
    edit(project, "indicators/2564/5042-2007.yaml", "name: ระดับความสำเร็จ", "name: =HYPERLINK(1)ระดับความสำเร็จ")
    publish.build(project, tmp_path / "site")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "site/data/indicators.csv").read_text(encoding="utf-8-sig"))))
    ref = next(r for r in rows if r["code"] == "5042-2007")
    assert ref["name"].startswith("'=HYPERLINK(1)")
    assert ref["target"] == "5"  # numbers untouched


def test_per_agency_files_and_the_columns_explained(built_site):
    agency = list(csv.DictReader(io.StringIO(
        (built_site / "data/agencies/5042.csv").read_text(encoding="utf-8-sig"))))
    assert sorted(r["code"] for r in agency) == ["5042-2007", "5042-2008"]
    page = text_of(soup(built_site / "data/index.html"))
    thai = Theme(site=REPO).words("th")  # kpisite's words, with this site's own over them
    for table in opendata.TABLES:
        for column in table.columns:
            assert column.name in page and thai.message(column.text) in page


def test_chart_has_a_text_alternative(built_site):
    page = soup(built_site / "indicators/2564/5042-2007.html")
    svg = page.select_one("figure.chart svg")
    assert svg["role"] == "img"
    assert text_of(svg.find("desc")) == ("ไตรมาสที่ 1: 2.00; ไตรมาสที่ 2: 4.00; ไตรมาสที่ 3: 5.00; "
                                         "ไตรมาสที่ 4: ยังไม่รายงาน; ค่าเป้าหมาย ระดับ 5")
    assert len(svg.select("rect.bar:not(.missing)")) == 3
    goal = soup(built_site / "indicators/2562-2563/170.html")
    assert goal.select_one("figure.chart") is None  # a goal indicator has no quarters


def test_sitemap_and_canonical_links_only_with_a_base_url(project, tmp_path, built_site):
    assert not (built_site / "sitemap.xml").exists()
    assert soup(built_site / "index.html").find("link", rel="canonical") is None
    edit(project, "site.yaml", "base_url:\n", "base_url: https://kpi.example.org/site\n")
    out = tmp_path / "site"
    publish.build(project, out)
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>https://kpi.example.org/site/indicators/2564/5042-2007.html</loc>" in sitemap
    assert ".print.html" not in sitemap
    link = soup(out / "indicators/2564/5042-2007.html").find("link", rel="canonical")
    assert link["href"] == "https://kpi.example.org/site/indicators/2564/5042-2007.html"
    assert "https://kpi.example.org/site/indicators/2564/5042-2007.html" in (
        out / "data/indicators.csv").read_text(encoding="utf-8-sig")


def test_bundle_is_one_folder_and_reproducible(project, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795392000")
    args = ["bundle", "--content", str(project.content), "--out", str(tmp_path / "site")]
    assert cli.main(args + ["--output", str(tmp_path / "a.zip")]) == 0
    assert cli.main(args + ["--output", str(tmp_path / "b.zip")]) == 0
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    names = zipfile.ZipFile(tmp_path / "a.zip").namelist()
    assert names == sorted(names) and {n.split("/")[0] for n in names} == {"kpi-site"}
    assert "kpi-site/index.html" in names and "kpi-site/search-index.js" in names
    assert not [n for n in names if ".kpisite" in n]
    (tmp_path / "notes.txt").write_text("mine")
    assert cli.main(args + ["--output", str(tmp_path / "notes.txt")]) == 2  # never overwritten
    assert (tmp_path / "notes.txt").read_text() == "mine"
