"""Pages that answer readers' questions: an indicator over the years and beside other
agencies, agency scorecards, lists on year and strategy pages, late reports, history in
indicator terms. Series and families are tested on synthetic content (the bundled content
links none: no source says which indicators continue each other)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from conftest import CONTENT, REPO, soup, text_of
from kpisite import gather, publish, synthetic
from kpisite.incremental import Preview
from test_quality import SHOTS, WCAG, vnu_errors
from test_safety import tree

# 15 June 2025 (B.E. 2568), noon in Bangkok: fiscal year 2568's quarters 1 and 2 are past
# due, 2567 is open (it ended less than a year before), 2566 and earlier are closed.
EPOCH = "1749963600"
N = 400  # 70 agencies a year: five years, each district office's indicator in a series


@pytest.fixture(scope="module")
def synthetic_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("answers")
    synthetic.write_corpus(root / "content", N)
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        built = publish.build(gather.Project(root / "content"), root / "site")
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    return root, built


def page_of(root: Path, rel: str):
    return soup(root / "site" / rel)


def series_member(built, year="2566"):
    """A district office's indicator in the middle of its series."""
    return next(i for i in built.catalog.indicators if i.year_key == year and i.family
                and i.continues)


def test_an_indicator_page_shows_its_other_years(synthetic_site):
    root, built = synthetic_site
    ind = series_member(built)
    page = page_of(root, ind.path)
    table = page.select_one("table.series")
    rows = table.select("tbody tr")
    assert [r.th.get_text(strip=True) for r in rows] == ["2564", "2565", "2566", "2567", "2568"]
    here = table.select_one('[aria-current="page"]')
    assert here.get_text(strip=True) == "2566"
    links = [a["href"] for a in table.select("a")]
    assert len(links) == 4 and all((root / "site" / ind.path).parent.joinpath(h).resolve()
                                   .is_file() for h in links)
    desc = page.select_one("figure.compare desc").get_text()
    assert all(year in desc for year in ("2564", "2568"))


def test_an_indicator_in_a_family_says_where_it_stands_and_links_the_comparison(synthetic_site):
    root, built = synthetic_site
    ind = series_member(built)
    members = [i for i in built.catalog.indicators
               if i.family == ind.family and i.year_key == ind.year_key]
    standing = text_of(page_of(root, ind.path).select_one("p.standing"))
    assert f"จาก {sum(1 for m in members if m.achieved_value is not None)} หน่วยงาน" in standing
    assert f"มี {len(members)} หน่วยงานที่วัดตัวชี้วัดนี้" in standing
    compare = root / "site" / f"compare/{ind.family}/{ind.year_key}.html"
    page = soup(compare)
    rows = page.select("table.sortable tbody tr")
    assert len(rows) == len(members) == 50  # every district office
    values = [m.achieved_value for m in sorted(members, key=lambda m: -m.achieved_value)]
    shown = [r.select("td.num")[2].get_text(strip=True) for r in rows]
    assert [v for v in values] and all(f"{v:,}" in cell for v, cell in zip(values, shown))
    assert len(shown) == len(values)  # best first, without JavaScript
    assert len(page.select("figure.compare rect.bar")) == 50
    assert page.select_one("figure.compare svg")["role"] == "img"


def test_agency_scorecard_and_sortable_index(synthetic_site):
    root, built = synthetic_site
    code = "5001"
    page = page_of(root, f"agencies/{code}.html")
    card = page.select_one("table.scorecard")
    inds = built.catalog.by_agency[code]
    rows = card.select("tbody tr")
    assert len(rows) == 5
    first_year = [i for i in inds if i.year_key == "2564"]
    cells = [td.get_text(strip=True) for td in rows[0].select("td")]
    assert cells[0] == str(len(first_year))
    assert cells[1] == str(sum(1 for i in first_year if i.status == "met"))
    assert page.select("section#fy-2566 table caption")  # grouped by status
    index = page_of(root, "agencies/index.html")
    assert "sortable" in index.select_one("table")["class"]
    assert any(s["src"].endswith("static/sort.js") for s in index.select("script[src]"))
    heads = [th.get_text(strip=True) for th in index.select("thead th")]
    assert "สัดส่วนที่บรรลุ" in heads


def test_year_and_strategy_pages_list_their_indicators(synthetic_site):
    root, built = synthetic_site
    year = page_of(root, "years/2566.html")
    assert len(year.select("table.indicators tbody tr")) == len(built.catalog.by_year["2566"])
    node = built.site.strategy.roots[0]
    page = page_of(root, f"strategy/{node.number}.html")
    assert len(page.select("table.indicators tbody tr")) == len(built.catalog.in_subtree(node))


def test_late_reports_are_listed_and_noticed(synthetic_site):
    root, built = synthetic_site
    late = next(i for i in built.catalog.indicators if i.year_key == "2568"
                and 2 not in i.reported_quarters and i.type != "goal")
    notice = text_of(page_of(root, late.path).select_one(".overdue"))
    assert "ไตรมาสที่ 2 เลยกำหนดรายงาน" in notice and "30 เมษายน 2568" in notice
    closed = next(i for i in built.catalog.indicators if i.year_key == "2565"
                  and 4 not in i.reported_quarters and i.type != "goal")
    assert "ไตรมาสที่ 4 ไม่ได้รายงานผล" in text_of(page_of(root, closed.path).select_one(".overdue"))
    done = next(i for i in built.catalog.indicators if i.reported_quarters == {1, 2, 3, 4})
    assert page_of(root, done.path).select_one(".overdue") is None
    report = page_of(root, "reporting.html")
    assert "30 วันหลังสิ้นไตรมาส" in text_of(report)
    section = report.select_one(f"#agency-{late.agency}").parent
    assert late.code in text_of(section)


def test_history_shows_changes_in_indicator_terms_never_authors_or_hashes(tmp_path):
    root = tmp_path / "site"
    shutil.copytree(CONTENT, root / "content")
    git = lambda *a, when="2026-03-02T10:00:00+07:00": subprocess.run(  # noqa: E731
        ["git", *a], cwd=root, check=True, capture_output=True, text=True,
        env={**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}).stdout
    env = ["-c", "user.name=Somchai Tester", "-c", "user.email=somchai@example.org"]
    git("init", "-q")
    git("add", ".")
    git(*env, "commit", "-qm", "Initial import of everything", when="2026-03-01T10:00:00+07:00")
    ref = root / "content/indicators/2564/5042-2007.yaml"
    ref.write_text(ref.read_text(encoding="utf-8").replace("result: 5.00", "result: 4.00"),
                   encoding="utf-8")
    git(*env, "commit", "-qam", "Update 5042-2007.yaml")
    commit = git("rev-parse", "HEAD").strip()
    publish.build(gather.Project(root / "content"), root / "out")
    for path in (root / "out").rglob("*"):
        if path.suffix in (".html", ".xml", ".json") and path.is_file():
            text = path.read_text(encoding="utf-8")
            for secret in ("Somchai", "somchai@", "Update 5042-2007.yaml", commit[:7]):
                assert secret not in text or path.name in ("feed.xml", "feed.json") and \
                    secret == commit[:7] and f"urn:kpisite:{commit}" in text, (path, secret)
    page = soup(root / "out/indicators/2564/5042-2007.html")
    assert "ผลงานไตรมาสที่ 3: 5.00 → 4.00" in text_of(page.select_one("section.history"))
    changes = soup(root / "out/changes.html")
    assert "ผลงานไตรมาสที่ 3: 5.00 → 4.00" in text_of(changes)
    feed = json.loads((root / "out/feed.json").read_text(encoding="utf-8"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert any("5.00 → 4.00" in item["content_text"] for item in feed["items"])
    assert soup(root / "out/index.html").select_one('link[type="application/feed+json"]')


def test_a_series_or_family_that_points_nowhere_is_reported(project):
    from kpisite import cli

    ref = project.content / "indicators/2564/5042-2008.yaml"
    text = ref.read_text(encoding="utf-8")
    ref.write_text(text.replace("name: ", "continues: 2563/5042-9999\nfamily: dust\nname: ", 1),
                   encoding="utf-8")
    done = subprocess.run(["python", "-m", "kpisite", "check", "--content", str(project.content)],
                          capture_output=True, text=True, env={**os.environ,
                                                               "PYTHONPATH": str(REPO)})
    assert done.returncode == 1, done.stderr
    line = ref.read_text(encoding="utf-8").splitlines().index("continues: 2563/5042-9999") + 1
    assert f"5042-2008.yaml:{line}" in done.stderr and "continues" in done.stderr
    assert "'dust'" in done.stderr  # a family of one: a warning
    assert "Traceback" not in done.stderr
    ref.write_text(text.replace("name: ", "continues: 2564/5042-2007\nname: ", 1),
                   encoding="utf-8")  # the same year: not earlier
    assert cli.main(["check", "--content", str(project.content)]) == 1


def test_the_menu_marks_the_section(synthetic_site):
    root, _built = synthetic_site
    nav = page_of(root, "agencies/5001.html").select_one(".site-header nav")
    current = nav.select("[aria-current]")
    assert [a.get_text(strip=True) for a in current] == ["หน่วยงาน"]
    assert page_of(root, "agencies/index.html").select_one(
        '.site-header nav [aria-current="page"]')


def test_a_data_warning_stands_next_to_the_figure_it_contradicts(built_site):
    facts = soup(built_site / "indicators/2563/5001-0735.html").select_one("dl.facts")
    achieved = facts.select("div")[1]  # the figure itself: "ผลงานที่ทำได้"
    assert "ผลงานที่ทำได้" in text_of(achieved.dt)
    warning = achieved.select_one(".data-warning")
    assert warning and "ไตรมาส" in text_of(warning)
    assert not facts.select("div")[0].select_one(".data-warning")  # not beside the target


def test_an_edit_in_the_preview_updates_the_related_pages(tmp_path):
    """One indicator's result changes: its series partners' pages, the comparison, the
    scorecard and the late-report page follow, exactly as a full build makes them."""
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        synthetic.write_corpus(tmp_path / "content", 350)
        project = gather.Project(tmp_path / "content")
        live = Preview(project, tmp_path / "live", jobs=1)
        live.build()
        ind = next(i for i in live.catalog.indicators if i.family and i.continues
                   and i.year_key == "2568" and 2 not in i.reported_quarters)
        path = project.root / ind.source
        text = path.read_text(encoding="utf-8")
        before = (tmp_path / "live" / ind.path).read_text(encoding="utf-8")
        late = "  - quarter: 2\n    result:\n"
        assert late in text
        path.write_text(text.replace(f"achieved: {ind.achieved}", "achieved: 123456", 1)
                        .replace(late, "  - quarter: 2\n    result: 7\n"), encoding="utf-8")
        written = live.update({path})
        earlier = next(i for i in live.catalog.indicators
                       if (i.year_key + "/" + i.code) == ind.continues)
        for rel in (earlier.path, f"compare/{ind.family}/{ind.year_key}.html",
                    f"agencies/{ind.agency}.html", "reporting.html"):
            assert rel in written, rel
        assert "123,456" in (tmp_path / "live" / earlier.path).read_text(encoding="utf-8")
        assert before != (tmp_path / "live" / ind.path).read_text(encoding="utf-8")
        shutil.rmtree(tmp_path / "full", ignore_errors=True)
        publish.build(project, tmp_path / "full")
        assert tree(tmp_path / "live") == tree(tmp_path / "full")
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]


NEW_KINDS = {"indicator-in-a-series": None, "comparison": "compare/synthetic-0/2566.html",
             "agency-scorecard": "agencies/5001.html", "reporting": "reporting.html",
             "changes": "changes.html", "year-list": "years/2566.html"}


def test_new_page_kinds_are_valid_html(synthetic_site):
    root, built = synthetic_site
    paths = [root / "site" / (rel or series_member(built).path) for rel in NEW_KINDS.values()]
    assert vnu_errors(*paths) == []


@pytest.mark.browser
@pytest.mark.parametrize("kind", NEW_KINDS)
def test_new_page_kinds_pass_axe_and_are_looked_at(page, synthetic_site, kind):
    root, built = synthetic_site
    page.goto((root / "site" / (NEW_KINDS[kind] or series_member(built).path)).as_uri())
    assert page.errors == []  # (axe's own requests for stylesheets fail from file://)
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG}})
    violations = [f"{v['id']}: {v['help']} ({len(v['nodes'])}x, e.g. "
                  f"{v['nodes'][0]['html'][:120]})" for v in results.response["violations"]]
    assert violations == []
    for width, name in ((390, "phone"), (1280, "desktop")):
        page.set_viewport_size({"width": width, "height": 900})
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{kind}.{name}.png"), full_page=True)


@pytest.mark.browser
def test_sorting_and_filters_kept_in_the_address(page, synthetic_site):
    root, _built = synthetic_site
    page.goto((root / "site/compare/synthetic-0/2566.html").as_uri())
    page.click("thead th:nth-child(2) button")  # by agency
    codes = page.eval_on_selector_all("tbody th .code", "els => els.map(e => e.textContent)")
    assert codes == sorted(codes)
    assert page.get_attribute("thead th:nth-child(2)", "aria-sort") == "ascending"
    year = (root / "site/years/2566.html").as_uri()
    page.goto(year + "#status=met")
    shown = page.locator("table.indicators tbody tr:not([hidden])")
    assert shown.count() > 0
    assert all(s == "met" for s in page.eval_on_selector_all(
        "table.indicators tbody tr:not([hidden])", "rs => rs.map(r => r.dataset.status)"))
    assert "แสดง" in page.inner_text("table.indicators caption")
    page.select_option("select >> nth=-1", "not-met")  # the status filter
    assert page.evaluate("location.hash") == "#status=not-met"


def test_a_rebuild_renders_again_the_unchanged_files_that_show_a_changed_one(tmp_path):
    """The build reuses an unchanged file's pages, except when what they show of its series
    or family changed: then they match a build from scratch."""
    synthetic.write_corpus(tmp_path / "content", 350)
    project = gather.Project(tmp_path / "content")
    built = publish.build(project, tmp_path / "site")
    ind = next(i for i in built.catalog.indicators if i.family and i.continues)
    earlier = next(i for i in built.catalog.indicators
                   if (i.year_key + "/" + i.code) == ind.continues)
    path = project.root / ind.source
    path.write_text(path.read_text(encoding="utf-8").replace(
        f"achieved: {ind.achieved}", "achieved: 123456", 1), encoding="utf-8")
    publish.build(project, tmp_path / "site")
    assert "123,456" in (tmp_path / "site" / earlier.path).read_text(encoding="utf-8")
    publish.build(project, tmp_path / "fresh")
    assert tree(tmp_path / "site") == tree(tmp_path / "fresh")
