"""Open data as its users take it: a data package that validates, a workbook that opens right,
JSON documents that say what they are, metadata that names every file, and a page's facts
rebuilt from the downloads alone. Then the site's essentials: robots.txt, 404, meta tags and
the office's own pages."""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from conftest import soup, text_of
from kpisite import cli, markup, model, opendata, publish
from test_safety import edit, tree

REF = "indicators/2564/5042-2007.html"
LICENCE = ("licence:\n  name: Creative Commons Attribution 4.0\n"
           "  url: https://creativecommons.org/licenses/by/4.0/\n  id: CC-BY-4.0\n")


def _rows(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_the_data_package_validates_with_its_foreign_keys(built_site, tmp_path):
    from frictionless import validate

    package = json.loads((built_site / "data/datapackage.json").read_text(encoding="utf-8"))
    assert [r["name"] for r in package["resources"]] == [t.name for t in opendata.TABLES]
    quarters = next(r for r in package["resources"] if r["name"] == "quarters")
    assert {"fields": ["indicator_id"], "reference": {"resource": "indicators",
                                                      "fields": ["id"]}} in [
        {"fields": [k["fields"]] if isinstance(k["fields"], str) else k["fields"],
         "reference": {"resource": k["reference"]["resource"],
                       "fields": [k["reference"]["fields"]]}}
        for k in quarters["schema"]["foreignKeys"]]
    titles = {f["name"]: f["title"] for f in quarters["schema"]["fields"]}
    assert titles["report"] == "รายงานผลการดำเนินงานไตรมาส"  # Thai titles (English beside)
    assert "formula" in package["description"] or "สูตร" in package["description"]
    report = validate(str(built_site / "data/datapackage.json"))
    assert report.valid, report.flatten(["type", "message"])[:5]
    # The validator does resolve the keys: a quarter of an indicator that is not there fails.
    broken = tmp_path / "data"
    shutil.copytree(built_site / "data", broken)
    text = (broken / "quarters.csv").read_text(encoding="utf-8-sig")
    (broken / "quarters.csv").write_text(text.replace("2564/5042-2007,", "2564/nowhere,", 1),
                                         encoding="utf-8-sig")
    types = {t for t, _ in validate(str(broken / "datapackage.json")).flatten(["type", "message"])}
    assert "foreign-key" in types


def test_the_tables_carry_every_field(built_site):
    indicators = _rows(built_site / "data/indicators.csv")
    names = list(indicators[0])
    for field in ("id", "definition", "definition_text", "calculation", "summary_text",
                  "data_collection", "notes", "evaluation_dimension", "continues", "family",
                  "imported_from", "imported_not_captured", "q3_result", "status"):
        assert field in names
    assert "imported_remarks" not in names  # the gatherer's remarks are never published
    ref = next(r for r in indicators if r["id"] == "2564/5042-2007")
    assert ref["definition_text"].startswith("เครือข่ายประชาสังคมเขต หมายถึง")
    rubric = [r for r in _rows(built_site / "data/rubric.csv") if r["indicator_id"] == ref["id"]]
    assert [(r["level"], r["weight"]) for r in rubric][0] == ("5", "100")
    quarters = [r for r in _rows(built_site / "data/quarters.csv")
                if r["indicator_id"] == ref["id"]]
    assert quarters[2]["report"].startswith("คณะกรรมการเครือข่ายชุมชนระดับเขตสายไหม")
    links = [r for r in _rows(built_site / "data/strategy_links.csv")
             if r["indicator_id"] == ref["id"]]
    assert [r["node"] for r in links] == ["5.2.1.1"]
    agencies = _rows(built_site / "data/agencies.csv")
    assert {"code": "0700", "name": "สำนักการแพทย์", "name_en": ""} in agencies
    strategy = {r["number"]: r for r in _rows(built_site / "data/strategy.csv")}
    assert strategy["5.2.1.1"]["parent"] == "5.2.1" and strategy["5"]["parent"] == ""
    lists = _rows(built_site / "data/lists.csv")
    assert {r["field"] for r in lists} <= {f.name for f in opendata.LISTS}
    year = _rows(built_site / "data/years/2564.csv")
    assert sorted(r["code"] for r in year) == sorted(
        r["code"] for r in indicators if r["fiscal_year"] == "2564")


def test_json_documents_say_what_they_are(built_site):
    whole = json.loads((built_site / "data/indicators.json").read_text(encoding="utf-8"))
    assert whole["format"] == "kpisite-data" and whole["version"] == opendata.VERSION
    assert whole["generated"] and whole["licence"] is None  # the bundled site states none
    assert len(whole["indicators"]) == 11 and whole["agencies"] and whole["strategy"]
    ref = next(r for r in whole["indicators"] if r["code"] == "5042-2007")
    assert ref["q1_result"] == 2.0 and ref["q4_result"] is None and ref["target"] == 5
    assert [q["quarter"] for q in ref["quarters"]] == [1, 2, 3, 4]
    assert '"q1_result": 2.00' in (built_site / "data/indicators.json").read_text(encoding="utf-8")
    one = json.loads((built_site / "data/indicators/2564/5042-2007.json").read_text("utf-8"))
    assert one["indicator"] == ref and one["generated"] == whole["generated"]
    agency = json.loads((built_site / "data/agencies/5042.json").read_text(encoding="utf-8"))
    assert sorted(r["code"] for r in agency["indicators"]) == ["5042-2007", "5042-2008"]


def test_the_workbook_opens_with_codes_as_text(built_site):
    import openpyxl

    book = openpyxl.load_workbook(built_site / "data/indicators.xlsx")
    assert book.sheetnames == [t.name for t in opendata.TABLES]
    sheet = book["indicators"]
    assert sheet.freeze_panes == "A3"  # two header rows stay in view
    heads = [c.value for c in sheet[1]]
    names = [c.value for c in sheet[2]]
    assert names == [c.name for c in opendata.INDICATORS.columns]
    assert heads[names.index("agency_code")] == "รหัสหน่วยงาน"
    rows = [dict(zip(names, (c.value for c in row))) for row in sheet.iter_rows(min_row=3)]
    medical = next(r for r in rows if r["code"] == "0700-0787")
    assert medical["agency_code"] == "0700"  # text: Excel would make it 700
    ref = next(r for r in rows if r["code"] == "5042-2007")
    assert ref["name"].startswith("ระดับความสำเร็จของการสร้างเครือข่ายประชาสังคม")
    assert ref["q3_result"] == 5 and ref["agency_name"] == "สำนักงานเขตสายไหม"
    formulas = [c.coordinate for ws in book for row in ws.iter_rows() for c in row
                if c.data_type == "f"]
    assert formulas == []
    agencies = [[c.value for c in row] for row in book["agencies"].iter_rows(min_row=3)]
    assert ["0700", "สำนักการแพทย์", None] in agencies


def test_a_formula_in_the_content_is_never_a_formula_in_the_workbook(project, tmp_path):
    import openpyxl

    edit(project, "indicators/2564/5042-2007.yaml", "name: ระดับความสำเร็จ",
         "name: =HYPERLINK(1)ระดับความสำเร็จ")
    publish.build(project, tmp_path / "site")
    sheet = openpyxl.load_workbook(tmp_path / "site/data/indicators.xlsx")["indicators"]
    names = [c.value for c in sheet[2]]
    cells = [row[names.index("name")] for row in sheet.iter_rows(min_row=3)]
    cell = next(c for c in cells if "HYPERLINK" in c.value)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK(1)")  # as written
    document = json.loads((tmp_path / "site/data/indicators.json").read_text("utf-8"))
    assert any(r["name"].startswith("=HYPERLINK(1)") for r in document["indicators"])


def _page_facts_from_downloads(site: Path, id_: str) -> list[str]:
    """What the indicator's page must show, from the downloads alone."""
    whole = json.loads((site / "data/indicators.json").read_text("utf-8"), parse_float=Decimal)
    ind = next(r for r in whole["indicators"] if r["id"] == id_)
    nodes = {n["number"]: n for n in whole["strategy"]}
    agency = next(a for a in whole["agencies"] if a["code"] == ind["agency_code"])
    facts = [ind["code"], ind["name"], agency["name"], ind["unit"], ind["status_th"],
             model.fmt(ind["target"]), model.fmt(ind["achieved"])]
    for q in ind["quarters"]:
        facts += [model.fmt(v) for v in (q["result"], q["score"]) if v is not None]
        facts += markup.plain(q["report"] or "").split("\n")
    for level in ind["rubric"]:
        facts += [level["description"], model.fmt(level["weight"])]
    for name in ("summary", "definition", "calculation", "data_collection", "notes"):
        facts += markup.plain(ind[name] or "").split("\n")
    facts += [item["text"] for item in ind["lists"]]
    for link in ind["strategy_links"]:
        node = nodes[link["node"]]
        while node:
            facts.append(node["name"].rstrip("%").rstrip("."))
            node = nodes.get(node["parent"])
    return [" ".join(f.split()) for f in facts if f and f.strip()]


def test_the_downloads_alone_rebuild_an_indicator_page(built_site):
    page = text_of(soup(built_site / REF).select_one("main"))
    facts = _page_facts_from_downloads(built_site, "2564/5042-2007")
    assert len(facts) > 30
    missing = [f for f in facts if f not in page]
    assert missing == []
    # and the page shows nothing of its sections that the downloads lack
    sections = soup(built_site / REF).select("article section")
    shown = {text_of(s.find(["h2"])) for s in sections}
    assert {"นิยาม หรือความหมายของตัวชี้วัด", "สนับสนุนยุทธศาสตร์กรุงเทพมหานครฯ"} <= shown


def test_each_indicator_page_names_its_downloads_in_json_ld(built_site):
    page = soup(built_site / REF)
    dataset = json.loads(page.find("script", type="application/ld+json").string)
    assert dataset["@type"] == "Dataset" and dataset["identifier"] == "2564/5042-2007"
    assert dataset["temporalCoverage"] == "2020-10-01/2021-09-30"
    named = {d["contentUrl"] for d in dataset["distribution"]}
    folder = (built_site / REF).parent
    assert all((folder / url).resolve().is_file() for url in named)
    expected = {"../../data/indicators/2564/5042-2007.json", "../../data/agencies/5042.csv",
                "../../data/agencies/5042.json", "../../data/years/2564.csv"}
    assert named == expected
    links = {a["href"] for a in page.select("section.data-of a[download]")}
    assert links == expected  # the reader sees the same files


def test_json_ld_cannot_be_closed_by_content(project, tmp_path):
    edit(project, "indicators/2564/5042-2007.yaml", "name: ระดับความสำเร็จ",
         "name: </script><script>alert(1)</script>ระดับความสำเร็จ")
    publish.build(project, tmp_path / "site")
    page = soup(tmp_path / "site" / REF)
    scripts = page.find_all("script", type="application/ld+json")
    assert len(scripts) == 1 and "alert(1)" in json.loads(scripts[0].string)["name"]
    assert not [s for s in page.find_all("script") if "alert" in (s.string or "")
                and s.get("type") != "application/ld+json"]


def test_an_indicators_document_begins_as_the_whole_one_does(project, tmp_path):
    """Both open with what the document says of itself, laid out alike (a licence over
    lines, as json writes it with an indent), though one is made once a build."""
    edit(project, "site.yaml", "branch: main\n", "branch: main\n" + LICENCE)
    publish.build(project, tmp_path / "site")
    data = tmp_path / "site/data"
    one = next((data / "indicators").rglob("*.json")).read_text("utf-8")
    head = one[:one.index(',\n "indicator": ')]
    assert (data / "indicators.json").read_text("utf-8").startswith(head + ',\n "')
    assert '\n "licence": {\n  "' in head
    assert json.loads(head + "\n}")["licence"]["id"] == "CC-BY-4.0"


def test_licence_publisher_and_contact_come_from_site_yaml(project, tmp_path):
    edit(project, "site.yaml", "branch: main\n", "branch: main\n" + LICENCE +
         "contact: data@example.org\nthai_gdc:\n  owner_org: bma\n  objective: [พันธกิจหน่วยงาน]\n"
         "base_url: https://kpi.example.org\n")
    edit(project, "site.yaml", "base_url:\n", "")
    publish.build(project, tmp_path / "site")
    data = tmp_path / "site/data"
    whole = json.loads((data / "indicators.json").read_text("utf-8"))
    assert whole["licence"]["id"] == "CC-BY-4.0" and whole["url"] == "https://kpi.example.org"
    package = json.loads((data / "datapackage.json").read_text("utf-8"))
    assert package["licenses"] == [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution "
                                    "4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}]
    page = soup(data / "index.html")
    assert page.find("a", rel="license")["href"] == "https://creativecommons.org/licenses/by/4.0/"
    assert page.find("a", href="mailto:data@example.org")
    dcat = json.loads((data / "catalog.jsonld").read_text("utf-8"))
    first = dcat["dcat:dataset"][0]
    assert first["dct:license"] == {"@id": "https://creativecommons.org/licenses/by/4.0/"}
    urls = [d["dcat:downloadURL"] for ds in dcat["dcat:dataset"] for d in ds["dcat:distribution"]]
    assert all(u.startswith("https://kpi.example.org/data/") for u in urls)
    for url in urls:
        assert (tmp_path / "site" / url.removeprefix("https://kpi.example.org/")).is_file()
    gdc = json.loads((data / "thai-gdc.json").read_text("utf-8"))["packages"][0]
    assert gdc["owner_org"] == "bma" and gdc["objective"] == ["พันธกิจหน่วยงาน"]
    assert gdc["maintainer_email"] == "data@example.org" and "CSV" in gdc["data_format"]
    assert gdc["first_year_of_data"] == "2562" and gdc["last_year_of_data"] == "2564"
    for resource in gdc["resources"]:
        assert (tmp_path / "site" / resource["url"].removeprefix("https://kpi.example.org/")
                ).is_file()
    robots = (tmp_path / "site/robots.txt").read_text()
    assert "Sitemap: https://kpi.example.org/sitemap.xml" in robots
    missing = soup(tmp_path / "site/404.html")
    assert missing.find("link", rel="stylesheet")["href"] == "https://kpi.example.org/static/site.css"
    assert missing.find("link", rel="canonical") is None


def test_the_downloads_page_lists_every_site_file_with_its_size(built_site):
    page = soup(built_site / "data/index.html")
    rows = page.find(id="files").find_next("table").select("tbody tr")
    listed = {}
    for row in rows:
        link = row.find("a", download=True)
        listed[link["href"]] = text_of(row.select("td")[-1])
    for table in opendata.TABLES:
        assert f"../data/{table.name}.csv" in listed
    for name in ("indicators.json", "indicators.xlsx", "datapackage.json", "catalog.jsonld",
                 "thai-gdc.json"):
        href = f"../data/{name}"
        size = (built_site / "data" / name).stat().st_size
        shown = listed[href]
        assert shown.endswith(("B", "kB", "MB"))
        value = float(shown.split()[0].replace(",", ""))
        scale = {"B": 1, "kB": 1e3, "MB": 1e6}[shown.split()[1]]
        assert abs(value * scale - size) <= 0.06 * scale, (name, shown, size)


def test_every_page_has_a_description_and_a_link_preview(built_site):
    for rel in ("index.html", REF, "agencies/5042.html", "data/index.html", "en/index.html"):
        head = soup(built_site / rel).head
        description = head.find("meta", attrs={"name": "description"})["content"]
        assert description.strip()
        assert head.find("meta", property="og:title")["content"].strip()
        assert head.find("meta", property="og:description")["content"] == description
    ref = soup(built_site / REF).head.find("meta", attrs={"name": "description"})["content"]
    assert ref.startswith("ระดับความสำเร็จของการสร้างเครือข่ายประชาสังคม") and "หมายถึง" in ref
    assert (built_site / "robots.txt").read_text().startswith("User-agent: *")


def test_the_office_pages_are_linked_from_every_footer(built_site):
    for rel in ("index.html", REF, "data/index.html", "404.html", "en/index.html"):
        footer = soup(built_site / rel).find("footer")
        assert footer.find("a", href=lambda h: h and h.endswith("pages/accessibility.html"))
    page = soup(built_site / "pages/accessibility.html")
    assert text_of(page.find("h1")) == "การเข้าถึงเว็บไซต์"
    assert "WCAG 2.1" in text_of(page.find("main"))
    english = soup(built_site / "en/pages/accessibility.html")
    assert text_of(english.find("h1")) == "Accessibility"
    assert not (built_site / "pages/licence.html").exists()  # no source gives the bundled one


def test_a_page_without_a_title_line_is_refused_with_its_file_and_line(project, capsys):
    (project.content / "pages/about.md").write_text("no title here\n", encoding="utf-8")
    status = cli.main(["build", "--content", str(project.content),
                       "--out", str(project.content.parent / "site")])
    err = capsys.readouterr().err
    assert status == 1 and "content/pages/about.md:1" in err and "Traceback" not in err
    assert not (project.content.parent / "site").exists()


def test_a_page_of_the_office_holds_no_script(project, tmp_path):
    (project.content / "pages/about.md").write_text(
        "# เกี่ยวกับ\n\n<script>alert(1)</script>\n\n## ส่วนที่ 1\n\n[x](javascript:alert(2))\n",
        encoding="utf-8")
    publish.build(project, tmp_path / "site")
    page = soup(tmp_path / "site/pages/about.html")
    assert not [s for s in page.find_all("script") if "alert" in (s.string or "")]
    assert text_of(page.find("main").find("h2")) == "ส่วนที่ 1"
    assert not page.find("a", href=lambda h: h and h.startswith("javascript"))


def test_starter_scaffolds_pages_with_visible_placeholders(tmp_path):
    from kpisite import newsite

    newsite.init(tmp_path / "new")
    written = sorted(p.name for p in (tmp_path / "new/content/pages").iterdir())
    assert written == ["about.md", "accessibility.md", "contact.md", "licence.md"]
    assert "[แก้ข้อความนี้" in (tmp_path / "new/content/pages/licence.md").read_text("utf-8")


def test_workbook_written_aside_is_that_of_one_process(tmp_path):
    """A build with enough indicators writes its workbook in a forked process while the
    parent writes the other data files: the site holds the bytes a one-process build
    writes (the downloads page too), and the catalog states the files' true sizes. In a
    fresh interpreter: earlier tests leave threads in this one, and a process with threads
    rightly does not fork."""
    code = (f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import "
            f"test_opendata; test_opendata.workbook_aside_case({str(tmp_path)!r})")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=600, env={**os.environ, "SOURCE_DATE_EPOCH": "1764547200"})
    assert run.returncode == 0, run.stderr


def workbook_aside_case(folder: str) -> None:
    from kpisite import gather, synthetic, workers

    tmp_path = Path(folder)
    content = tmp_path / "content"
    synthetic.write_corpus(content, workers.PARALLEL_MIN)  # (generated content)
    writers = {}  # which process wrote the file written aside, in each build
    write_download = publish._write_download

    def noted(stage, path, data):
        (tmp_path / "writer").write_text(str(os.getpid()))
        return write_download(stage, path, data)

    publish._write_download = noted
    publish.build(gather.Project(content), tmp_path / "two", jobs=2)
    writers["two"] = (tmp_path / "writer").read_text()
    publish.build(gather.Project(content), tmp_path / "one", jobs=1)
    writers["one"] = (tmp_path / "writer").read_text()
    assert writers["one"] == str(os.getpid()) != writers["two"]
    one = tmp_path / "one"
    assert tree(tmp_path / "two") == tree(one)  # the same files, the same bytes
    catalog = json.loads((one / "data/catalog.jsonld").read_text("utf-8"))
    sized = {d["dcat:downloadURL"]: d["dcat:byteSize"] for entry in catalog["dcat:dataset"]
             for d in entry.get("dcat:distribution", [])}
    assert "data/indicators.xlsx" in sized
    for path, size in sized.items():
        assert size == (one / path).stat().st_size, path
