"""The built bundled site: the reference indicator's facts, links, offline use, Thai."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from conftest import soup, text_of

REF = "indicators/2564/5042-2007.html"
REF_PRINT = "indicators/2564/5042-2007.print.html"


def facts(page) -> dict[str, str]:
    return {text_of(d.find("dt")): text_of(d.find("dd")) for d in page.select("dl.facts > div")}


def html_files(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if ".kpisite" not in p.parts)


@pytest.fixture(scope="module")
def ref(built_site):
    return soup(built_site / REF)


def test_reference_heading_and_headline_facts(ref):
    assert text_of(ref.h1) == "ระดับความสำเร็จของการสร้างเครือข่ายประชาสังคมเขตเพื่อร่วมผลักดันการพัฒนาพื้นที่"
    kicker = text_of(ref.select_one(".indicator .kicker"))
    assert "ตัวชี้วัดเชิงยุทธศาสตร์ (7)" in kicker and "5042-2007" in kicker
    f = facts(ref)
    assert f["ค่าเป้าหมาย (ระดับ)"] == "5"
    assert f["ผลงานที่ทำได้ (ระดับ)"] == "5"
    assert f["ประเภทตัวชี้วัด"] == "ตัวชี้วัดเชิงยุทธศาสตร์ (ตัวชี้วัดระดับผลผลิต (output))"
    assert f["สยป. ตรวจประเมินตัวชี้วัด"] == "ไตรมาสที่ 1: 95"
    assert f["หน่วยงาน"].startswith("สำนักงานเขตสายไหม")
    assert f["ปีงบประมาณ"].startswith("2564")
    assert f["สถานะ"].startswith("บรรลุเป้าหมาย")


def test_reference_quarters(ref):
    rows = [[text_of(c) for c in tr.find_all(["th", "td"])]
            for tr in ref.select("table.quarters tbody tr")]
    assert [r[0].split()[1] for r in rows] == ["1", "2", "3", "4"]  # "ไตรมาสที่ 1 ต.ค.-ธ.ค. 2563"
    assert [r[1] for r in rows] == ["2.00", "4.00", "5.00", "ยังไม่รายงาน"]
    assert [r[2] for r in rows] == ["95", "100", "100", "95"]
    assert [r[3] for r in rows] == ["95 / 100", "100 / 100", "100 / 100", "0 / 0"]
    # quarter 1 of fiscal year 2564 is October-December 2563 (Buddhist Era)
    assert "ต.ค.-ธ.ค. 2563" in rows[0][0] and "ก.ค.-ก.ย. 2564" in rows[3][0]
    # the Q4 score does not match its 0 / 0 pair: published, and pointed out
    assert "ไตรมาสที่ 4: ผลประเมิน 95 ไม่ตรงกับคะแนน 2.1 / 2.2 (0 / 0)" in text_of(ref.select_one(".flags"))


def test_reference_reports_and_texts_as_written(ref):
    body = text_of(ref.select_one("article"))
    assert "จัดทำแผนปฏิบัติงานและมอบหมายความรับผิดชอบในการจัดเวทีชุมชน" in body
    assert "คณะกรรมการเครือข่ายชุมชนระดับเขตสายไหมเรียบร้อยเเล้ว" in body  # typo kept
    assert "เพื่อบรรจุในเเผนตัวชี้วัดกรุงเทพมหานครในปีงบประมาณถัดไป" in body
    reports = ref.select_one("#h-reports").parent
    q4 = [h for h in reports.find_all("h3") if h.get_text().endswith("4")][0]
    assert "ยังไม่มีรายงาน" in text_of(q4.find_next_sibling())
    assert "ยังไม่มีสรุปผล" in text_of(ref.select_one("#h-summary").parent)
    assert "เครือข่ายประชาสังคมเขต หมายถึง เครือข่ายประชาชนในระดับพื้นที่" in body


def test_reference_rubric_with_achieved_level(ref):
    rows = ref.select("table.rubric tbody tr")
    levels = [(text_of(r.th), text_of(r.find_all("td")[-1])) for r in rows]
    assert levels == [("ระดับ 5", "ร้อยละ 100"), ("ระดับ 4", "ร้อยละ 80"), ("ระดับ 3", "ร้อยละ 60"),
                      ("ระดับ 2", "ร้อยละ 40"), ("ระดับ 1", "ร้อยละ 20")]
    reached = ref.select("table.rubric tr.reached")
    assert len(reached) == 1 and text_of(reached[0].th) == "ระดับ 5"
    assert "มีการประสานเครือข่ายประชาสังคมระดับในพื้นที่เขต" in text_of(rows[-1])


def test_reference_evidence_and_strategy_path(ref, built_site):
    evidence = [text_of(li) for li in ref.select("ol.evidence li")]
    assert evidence == ["ประเด็นสำคัญที่ได้จากเครือข่ายประชาสังคม",
                        "แผนงาน/โครงการในการพัฒนาพื้นที่เขต",
                        "แผนงาน/โครงการที่ได้รับการคัดเลือกให้นำไปสู่การปฏิบัติ"]
    links = ref.select("ol.strategy-path a")
    assert [text_of(a.select_one(".node-number")) for a in links] == [
        "ด้านที่ ๕", "มิติที่ ๕.๒", "เป้าหมายที่ ๕.๒.๑", "๕.๒.๑.๑"]
    assert "มหานครประชาธิปไตย" in text_of(links[0]) and "Bangkok as a Democratic City" in text_of(links[0])
    assert "สภาประชาชนกรุงเทพมหานคร" in text_of(links[3])
    target = (built_site / REF).parent / links[3]["href"]
    assert "5042-2007" in target.read_text(encoding="utf-8")
    assert "ไม่มีโครงการ/กิจกรรมที่ระบุ" in text_of(ref.select_one("#h-projects").parent)


def test_sections_in_reference_order(ref):
    order = ["ค่าเป้าหมาย", "ผลงานที่ทำได้", "ประเภทตัวชี้วัด", "พิมพ์ข้อมูล", "สยป. ตรวจประเมินตัวชี้วัด",
             "ผลงานเทียบกับเป้าหมายรายไตรมาส", "รายงานผลฯ ไตรมาสที่ 1", "รายงานผลฯ ไตรมาสที่ 4",
             "สรุปผลการดำเนินงาน", "นิยาม หรือความหมายของตัวชี้วัด", "วิธีการคำนวณ หรือ เกณฑ์การประเมิน",
             "วิธีการการเก็บข้อมูล/แหล่งข้อมูล", "สนับสนุนยุทธศาสตร์กรุงเทพมหานครฯ",
             "โครงการ/กิจกรรมที่สนับสนุนตัวชี้วัด", "Back Home"]
    text = text_of(ref)
    positions = [text.find(heading) for heading in order]
    assert -1 not in positions and positions == sorted(positions), dict(zip(order, positions))


def test_printable_view(built_site, ref):
    link = ref.find("a", string="พิมพ์ข้อมูล")
    assert (built_site / REF).parent.joinpath(link["href"]).resolve() == (built_site / REF_PRINT).resolve()
    page = soup(built_site / REF_PRINT)
    assert page.find("nav") is None and page.select_one(".site-header") is None
    text = text_of(page)
    for fact in ("95 / 100", "ร้อยละ 80", "ประเด็นสำคัญที่ได้จากเครือข่ายประชาสังคม", "๕.๒.๑.๑"):
        assert fact in text
    # The sheet's header and foot (code, name, site, date) are the print style's margin boxes:
    # test_quality prints them; no path of the machine is in the page.
    style = page.find("style", media="print").string
    assert "@top-left" in style and "@bottom-left" in style and "file:" not in str(page)
    css = (built_site / "static/site.css").read_text()
    assert re.search(r"@page\s*{[^}]*size:\s*A4", css)


def test_every_internal_link_and_fragment_resolves(built_site):
    ids: dict[Path, set[str]] = {}

    def ids_of(path: Path) -> set[str]:
        if path not in ids:
            ids[path] = {el["id"] for el in soup(path).find_all(id=True)}
        return ids[path]

    for page in html_files(built_site):
        doc = soup(page)
        for tag, attr in (("a", "href"), ("link", "href"), ("script", "src"), ("img", "src")):
            for el in doc.find_all(tag):
                url = el.get(attr)
                if not url or urlsplit(url).scheme in ("http", "https", "mailto"):
                    continue
                parts = urlsplit(url)
                target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
                assert target.is_file(), f"{page.relative_to(built_site)}: {url} is missing"
                assert target.is_relative_to(built_site.resolve())
                if tag == "a" and parts.path:
                    assert parts.path.endswith(".html") or target.suffix != "", url
                if parts.fragment:
                    assert unquote(parts.fragment) in ids_of(target), f"{page}: {url}"


def test_no_page_loads_anything_from_another_host(built_site):
    loaders = {"script": "src", "img": "src", "iframe": "src", "source": "src", "audio": "src",
               "video": "src", "embed": "src", "object": "data"}
    for page in html_files(built_site):
        doc = soup(page)
        for tag, attr in loaders.items():
            for el in doc.find_all(tag):
                assert not urlsplit(el.get(attr, "")).netloc, f"{page}: {el}"
        for el in doc.find_all("link"):
            if "canonical" not in el.get("rel", []):
                assert not urlsplit(el["href"]).netloc, f"{page}: {el}"
        assert "//" not in " ".join(s.get_text() for s in doc.find_all("style"))
    for css in built_site.rglob("*.css"):
        for url in re.findall(r"url\(([^)]*)\)", css.read_text()):
            assert "//" not in url, f"{css}: {url}"


def test_every_indicator_reachable_from_home(built_site):
    """Walk links from index.html; every indicator page and printable view is reached."""
    seen, todo = set(), [(built_site / "index.html").resolve()]
    while todo:
        page = todo.pop()
        if page in seen or page.suffix != ".html":
            continue
        seen.add(page)
        for a in soup(page).find_all("a", href=True):
            if not urlsplit(a["href"]).scheme:
                todo.append((page.parent / unquote(urlsplit(a["href"]).path)).resolve())
    indicators = {p.resolve() for p in (built_site / "indicators").rglob("*.html")}
    assert len(indicators) == 22
    assert indicators <= seen


def test_each_indicator_listed_by_agency_year_and_strategy(built_site):
    year = soup(built_site / "years/2564.html")
    link = year.find("a", string="สำนักงานเขตสายไหม")
    assert link["href"] == "../agencies/5042.html#fy-2564"
    agency = soup(built_site / "agencies/5042.html")
    assert "5042-2007" in text_of(agency.find(id="fy-2564"))
    assert "5042-2007" in text_of(soup(built_site / "strategy/5-2-1-1.html"))
    unlinked = text_of(soup(built_site / "strategy/none.html"))
    assert "1900-6502" in unlinked and "5042-2007" not in unlinked
    assert "170" in text_of(soup(built_site / "years/2562-2563.html").select_one(
        "#indicators table.indicators"))  # the year lists its indicators, with or without agency


def test_strategy_index_shows_counts_and_empty_nodes(built_site):
    page = soup(built_site / "strategy/index.html")
    items = {text_of(li.a): " ".join(li.find("span", class_="count").get_text().split())
             for li in page.select("ul.tree li") if li.find("span", class_="count")}
    assert items["ด้านที่ ๕ มหานครประชาธิปไตย : Bangkok as a Democratic City"] == (
        "(2 ตัวชี้วัด: บรรลุเป้าหมาย 1 · ตัวชี้วัดเป้าประสงค์ 1)")  # 170: a goal, no results
    assert items["มิติที่ ๑.๑ ปลอดมลพิษ"] == "(ยังไม่มีตัวชี้วัด)"
    truncated = [k for k in items if k.startswith("เป้าหมายที่ ๕.๒.๑")][0]
    assert "ทำางาน" in truncated and truncated.endswith("…")  # as written, marked as cut short


def test_unknown_agency_shown_by_code(built_site):
    page = soup(built_site / "agencies/5010.html")
    assert text_of(page.h1) == "หน่วยงานรหัส 5010"


def test_thai_language_fonts_and_dates(built_site):
    for page in html_files(built_site):
        if page.relative_to(built_site).parts[0] == "en":
            continue  # the English pages: tests/test_english.py
        assert soup(page).html["lang"] == "th"
    css = (built_site / "static/site.css").read_text()
    assert "Sarabun" in css and "sans-serif" in css
    assert (built_site / "static/fonts/OFL.txt").is_file()
    for font in re.findall(r"url\((fonts/[^)]+)\)", css):
        assert (built_site / "static" / font).is_file()
    year = text_of(soup(built_site / "years/2564.html"))
    assert "1 ตุลาคม 2563 ถึง 30 กันยายน 2564" in year
