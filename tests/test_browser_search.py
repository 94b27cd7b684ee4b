"""Search and filters in headless Chromium, opened from file:// with no server."""
from __future__ import annotations

import zipfile

import pytest



def search(page, site, query):
    """Type the query a character at a time, as a reader does (each one narrows the last)."""
    page.goto((site / "search.html").as_uri())
    page.locator("#q").press_sequentially(query)
    return [a.inner_text() for a in page.locator("#results a").all()]


def test_thai_query_finds_the_indicator(page, built_site):
    found = search(page, built_site, "เครือข่ายประชาสังคม")
    assert found == ["5042-2007 ระดับความสำเร็จของการสร้างเครือข่ายประชาสังคมเขตเพื่อร่วมผลักดันการพัฒนาพื้นที่"]
    assert page.locator("#result-count").inner_text() == "พบ 1 ตัวชี้วัด"
    meta = page.locator("#results .meta").first.inner_text()  # target, achieved and status
    assert "ค่าเป้าหมาย 5 ระดับ" in meta and "ผลงานที่ทำได้ 5 ระดับ" in meta
    assert "บรรลุเป้าหมาย" in meta
    page.locator("#results a").first.click()
    assert page.url.endswith("/indicators/2564/5042-2007.html")
    assert not page.errors


@pytest.mark.parametrize("query, code", [
    ("ฝุ่นละออง", "5042-2008"),               # Thai words run together: substring search
    ("๕๐๔๒-๒๐๐๗", "5042-2007"),              # Thai digits find Arabic ones
    ("ทำงานของกรุงเทพ", "5042-2007"),          # the node name is written ทำางาน: forgiven
    ("เเผนพัฒนาชุมชน", "170"),                 # เเ typed for แ
    ("สายไหม 2564 ฝุ่น", "5042-2008"),          # agency, year and words together
    ("สภาประชาชน", "5042-2007"),               # the strategy node's name
    ("๕.๒.๑.๑", "5042-2007"),                 # the strategy node's number
    ("เบี้ยยังชีพ ๒๕๖๓ พระนคร", "5001-0735"),
])
def test_forgiving_queries(page, built_site, query, code):
    found = search(page, built_site, query)
    assert found and found[0].startswith(code + " "), found


def test_sara_am_spellings_match(page, built_site):
    decomposed = "ระดับความส\u0e4d\u0e32เร็จของการสร้างเครือข่าย"  # ํ + า instead of ำ
    assert search(page, built_site, decomposed)[0].startswith("5042-2007")


def test_search_filters(page, built_site):
    search(page, built_site, "ร้อยละ")
    total = page.locator("#results li").count()
    page.select_option("#search-filters select >> nth=3", "met")  # status
    met = [a.inner_text().split()[0] for a in page.locator("#results a").all()]
    assert 0 < len(met) < total
    assert "5010-0957" not in met and "2400-1014" in met


def test_list_filters_on_an_agency_page(page, built_site):
    page.goto((built_site / "agencies/5042.html").as_uri())
    rows = page.locator("table.indicators tbody tr")
    assert rows.count() == 2
    page.select_option(".filters select", "not-met")
    visible = [r.inner_text() for r in rows.all() if r.is_visible()]
    assert len(visible) == 1 and "5042-2008" in visible[0]
    assert page.locator(".filters + p").inner_text() == "แสดง 1 จาก 2 ตัวชี้วัด"


def test_search_page_without_javascript(browser, built_site):
    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    tab.goto((built_site / "search.html").as_uri())
    assert "การค้นหาต้องใช้ JavaScript" in tab.inner_text("main")
    assert tab.locator("main a[href$='strategy/index.html']").count() == 1
    context.close()


def test_search_works_from_the_unzipped_bundle(page, tmp_path, built_site):
    from kpisite.bundle import write_zip

    write_zip(built_site, tmp_path / "site.zip")
    zipfile.ZipFile(tmp_path / "site.zip").extractall(tmp_path / "unzipped")
    found = search(page, tmp_path / "unzipped/kpi-site", "ฝุ่น")
    assert found[0].startswith("5042-2008")
    assert all(url.startswith("file://") for url in page.requests)
