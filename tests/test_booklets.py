"""PDF booklets: printed by Chromium from the printable views, read back with poppler's tools
(pdfinfo, pdffonts, pdftotext) and pypdf."""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from kpisite import booklets, chromium, cli, gather, publish

from conftest import CONTENT, compounds_across_lines, narrative_texts, soup

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def booklet_site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("booklets") / "site"
    publish.build(gather.Project(CONTENT), out, booklets=True)
    return out


@pytest.fixture(scope="module")
def pieces_site(tmp_path_factory) -> Path:
    """The same booklets, each printed one indicator at a time and joined (as a booklet of
    more than CHUNK indicators is)."""
    out = tmp_path_factory.mktemp("pieces") / "site"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(booklets, "CHUNK", 1)
        publish.build(gather.Project(CONTENT), out, booklets=True)
    return out


def run(tool: str, pdf: Path, *args: str) -> str:
    return subprocess.run([tool, *args, str(pdf), *(["-"] if tool == "pdftotext" else [])],
                          capture_output=True, text=True, check=True).stdout


def page_texts(pdf: Path) -> list[str]:
    return run("pdftotext", pdf, "-layout").split("\f")[:-1]


def indicators_of(year: str, agency: str | None = None) -> list[dict]:
    files = sorted((CONTENT / "indicators" / year).glob("*.yaml"))
    data = [yaml.safe_load(f.read_text(encoding="utf-8")) for f in files]
    return [d for d in data if agency is None or str(d["agency"]) == agency]


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("path,year,agency", [("booklets/2564/5042.pdf", "2564", "5042"),
                                              ("booklets/2563.pdf", "2563", None)])
def test_a_booklet_has_a_cover_contents_and_each_indicator_on_its_own_pages(
        booklet_site, path, year, agency):
    pdf = booklet_site / path
    info = run("pdfinfo", pdf)
    pages = page_texts(pdf)
    assert f"Pages:           {len(pages)}" in info and "A4" in info and "Tagged:          yes" in info
    title = re.search(r"Title:\s+(.*)", info).group(1)
    assert f"ปีงบประมาณ {year}" in title and title in flat(pages[0])  # the cover says it
    assert ("สำนักงานเขตสายไหม" in title) == (agency == "5042")
    reader = PdfReader(pdf)
    assert reader.trailer["/Root"]["/Lang"] == "th"
    inds = indicators_of(year, agency)
    assert len(inds) >= 2
    assert flat(pages[1]).startswith("สารบัญ")
    starts = []
    for ind in inds:  # the contents give the page where its section starts: and it does
        row = re.search(r"^\s*" + re.escape(ind["code"]) + r"\s+(.+?)\s+(\d+)\s*$", pages[1],
                        re.MULTILINE)
        assert row, ind["code"]
        assert flat(ind["name"])[:30] in row.group(1)  # the Thai extracts as written
        starts.append(int(row.group(2)))
        first = flat(pages[starts[-1] - 1])
        assert flat(ind["name"]) in first, ind["code"]
    order = sorted(zip(starts, [ind["code"] for ind in inds]))
    assert order[0][0] == 3 and len(set(starts)) == len(starts)  # after the cover, contents
    for (start, code), end in zip(order, [s for s, _ in order[1:]] + [len(pages) + 1]):
        for number in range(start, end):  # every sheet of its section names it at the top
            assert flat(pages[number - 1]).startswith(code), (code, number)
    for number, text in enumerate(pages, 1):
        assert f"หน้า {number} / {len(pages)}" in text
        assert "file:" not in text


def test_each_chart_in_a_booklet_is_described_by_its_own_text(booklet_site):
    """Every printable view has the same ids ("chart-desc", "h-data-notes"): in a booklet each
    part's are its own, so each chart's text alternative in the tagged PDF is its indicator's,
    not the first indicator's."""
    reader, alts = PdfReader(booklet_site / "booklets/2563.pdf"), []

    def walk(element):
        element = element.get_object()
        if isinstance(element, dict):
            if element.get("/S") == "/Figure" and "/Alt" in element:
                alts.append(flat(str(element["/Alt"])))
            kids = element.get("/K", [])
            [walk(kid) for kid in (kids if isinstance(kids, list) else [kids])]
    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    descriptions = [flat(soup(page).select_one("#chart-desc").get_text())
                    for page in sorted((booklet_site / "indicators/2563").glob("*.print.html"))]
    assert len(set(descriptions)) == len(descriptions) >= 3
    assert sorted(sum(d in alt for alt in alts) for d in descriptions) == [1] * len(descriptions)


def test_a_booklet_breaks_no_thai_word_across_lines(booklet_site):
    """As on screen (test_thai_breaks.py): no line ends inside a word, but in narrative
    paragraphs, which are the browser's to break."""
    lines = run("pdftotext", booklet_site / "booklets/2564/5042.pdf").splitlines()
    narrative = [text for path in sorted((booklet_site / "indicators/2564").glob("5042-*.print.html"))
                 for text in narrative_texts(path)]
    assert sum(line.count("ตัวชี้วัด") for line in lines) >= 5
    assert not compounds_across_lines(lines, narrative)


def test_a_booklet_embeds_its_fonts_and_has_bookmarks(booklet_site):
    pdf = booklet_site / "booklets/2564/5042.pdf"
    fonts = run("pdffonts", pdf).splitlines()[2:]
    assert fonts and any("Sarabun" in line for line in fonts)
    assert all(line.split()[-5:-2] == ["yes", "yes", "yes"] for line in fonts)  # emb sub uni
    reader = PdfReader(pdf)
    marks = [item for item in reader.outline if not isinstance(item, list)]
    titles = [m.title for m in marks]
    for ind in indicators_of("2564", "5042"):
        assert ind["name"].strip() in titles  # a bookmark each, leading to its first page
        mark = marks[titles.index(ind["name"].strip())]
        page = reader.get_destination_page_number(mark)
        assert ind["code"] in reader.pages[page].extract_text()
    assert "สารบัญ" in titles


def tagged_pages(pdf: Path) -> list[tuple]:
    """Each page's tagged content: for each marked piece on it, the path of its structure
    element from the root ("Document/NonStruct/.../P"), and for each link, its element and
    where it leads. Also checks what a joined structure tree could get wrong: a parent-tree
    key given twice or missing, an element's /P not its parent, an id not unique."""
    reader = PdfReader(pdf, strict=True)
    tree = reader.trailer["/Root"]["/StructTreeRoot"]
    nums = tree["/ParentTree"]["/Nums"]
    parents = dict(zip([int(key) for key in nums[::2]], nums[1::2]))
    assert len(parents) == len(nums) // 2 and int(tree["/ParentTreeNextKey"]) > max(parents)

    def path(element) -> str:
        steps = []
        while element.get("/Type") != "/StructTreeRoot":
            parent = element["/P"]
            kids = parent["/K"] if isinstance(parent["/K"], list) else [parent["/K"]]
            assert any(kid.get_object() is element for kid in kids)  # /P is its parent
            steps.append(str(element["/S"]))
            element = parent
        return "/".join(reversed(steps))

    pages = []
    for page in reader.pages:
        marked = [path(e.get_object()) for e in parents[int(page["/StructParents"])]]
        links = [(path(parents[int(a["/StructParent"])].get_object()),
                  reader.get_destination_page_number(reader.named_destinations[a["/Dest"]])
                  if "/Dest" in a else str(a["/A"].get("/URI")))
                 for a in (annot.get_object() for annot in page.get("/Annots") or [])]
        pages.append((marked, links))
    names = []
    for leaf in [tree["/IDTree"]] + list(tree["/IDTree"].get("/Kids", [])):
        names += leaf.get_object().get("/Names", [])
    ids = [str(name) for name in names[::2]]
    assert len(set(ids)) == len(ids)
    assert all(str(e.get_object()["/ID"]) == i for i, e in zip(ids, names[1::2]))
    headers = []  # a table cell's header cells, by their ids

    def walk(element):
        element = element.get_object()
        if isinstance(element, dict):
            attributes = element.get("/A", [])
            for owned in attributes if isinstance(attributes, list) else [attributes]:
                headers.extend(str(h) for h in owned.get_object().get("/Headers", []))
            kids = element.get("/K", [])
            [walk(kid) for kid in (kids if isinstance(kids, list) else [kids])]
    walk(tree)
    assert headers and set(headers) <= set(ids)
    return pages


@pytest.mark.parametrize("path", ["booklets/2563.pdf", "booklets/2564/5042.pdf"])
def test_a_booklet_printed_in_pieces_and_joined_is_the_same_document(booklet_site, pieces_site,
                                                                     path):
    """A long booklet is printed CHUNK indicators at a time (here one) and the pieces joined:
    the same pages, text, page numbers, bookmarks, links and tagged structure as the booklet
    printed at once."""
    whole, joined = booklet_site / path, pieces_site / path
    assert [flat(t) for t in page_texts(joined)] == [flat(t) for t in page_texts(whole)]
    assert "Tagged:          yes" in run("pdfinfo", joined)
    assert tagged_pages(joined) == tagged_pages(whole)
    readers = [PdfReader(whole), PdfReader(joined)]
    marks, dests = [], []
    for reader in readers:
        marks.append([(m.title, reader.get_destination_page_number(m))
                      for m in reader.outline if not isinstance(m, list)])
        dests.append({name: reader.get_destination_page_number(dest) for name, dest
                      in reader.named_destinations.items() if name.startswith("/b-")})
    assert marks[0] == marks[1] and dests[0] == dests[1]
    assert readers[1].metadata.title == readers[0].metadata.title
    assert readers[1].trailer["/Root"]["/Lang"] == "th"
    fonts = run("pdffonts", joined).splitlines()[2:]
    assert fonts and all(line.split()[-5:-2] == ["yes", "yes", "yes"] for line in fonts)


def test_booklets_are_linked_from_the_agency_year_and_data_pages(booklet_site, built_site):
    agency = soup(booklet_site / "agencies/5042.html")
    links = {a["href"] for a in agency.select("#fy-2564 a")}
    assert "../booklets/2564/5042.pdf" in links
    assert any(a["href"] == "../booklets/2564.pdf" for a in soup(
        booklet_site / "years/2564.html").find_all("a"))
    data = {a["href"] for a in soup(booklet_site / "data/index.html").find_all("a")}
    assert {"../booklets/2564.pdf", "../booklets/2563.pdf"} <= data
    for link in links | data:
        if "booklets/" in link:
            assert (booklet_site / "data" / link).resolve().is_file()
    # A build without them links none.
    assert not (built_site / "booklets").exists()
    assert "booklets/" not in (built_site / "agencies/5042.html").read_text(encoding="utf-8")


def test_a_rebuild_prints_again_only_the_booklets_whose_indicators_changed(project, tmp_path):
    out = tmp_path / "site"
    publish.build(project, out, booklets=True)
    before = {p.relative_to(out): p.stat().st_ino for p in (out / "booklets").rglob("*.pdf")}
    publish.build(project, out, booklets=True)
    assert {p.relative_to(out): p.stat().st_ino
            for p in (out / "booklets").rglob("*.pdf")} == before  # every one reused
    source = project.indicators / "2564" / "5042-2007.yaml"
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("ระดับความสำเร็จของการสร้างเครือข่าย",
                                   "ระดับความสำเร็จของการสร้างเครือข่ายใหม่", 1), "utf-8")
    publish.build(project, out, booklets=True)
    after = {p.relative_to(out): p.stat().st_ino for p in (out / "booklets").rglob("*.pdf")}
    changed = {str(p) for p in after if after[p] != before[p]}
    assert changed == {"booklets/2564/5042.pdf", "booklets/2564.pdf"}
    assert "เครือข่ายใหม่" in flat(run("pdftotext", out / "booklets/2564/5042.pdf"))
    assert not list(out.rglob(".*.html"))  # the HTML it was printed from is gone


def test_site_yaml_turns_booklets_on(project, tmp_path):
    site = project.content / "site.yaml"
    site.write_text(site.read_text(encoding="utf-8") + "\nbooklets: true\n", encoding="utf-8")
    out = tmp_path / "site"
    publish.build(project, out)
    assert (out / "booklets/2564/5042.pdf").is_file()
    publish.build(project, out, booklets=False)  # --no-booklets
    assert not (out / "booklets").exists()


def test_without_chromium_the_build_says_so_and_writes_nothing(project, tmp_path, capsys,
                                                               monkeypatch):
    monkeypatch.setenv("KPISITE_CHROMIUM", str(tmp_path / "no-such-browser"))
    out = tmp_path / "site"
    code = cli.main(["build", "--content", str(project.content), "--out", str(out),
                     "--booklets"])
    assert code == 2
    assert "Chromium" in capsys.readouterr().err
    assert not out.exists()


def strings_in(pdf: bytes) -> list[str]:
    """Every string of every object in the file, whether anything refers to it or not."""
    from pypdf.generic import IndirectObject

    reader, found = PdfReader(io.BytesIO(pdf)), []

    def walk(value):
        if isinstance(value, str):
            found.append(str(value))
        elif isinstance(value, dict):
            [walk(v) for v in value.values() if not isinstance(v, IndirectObject)]
        elif isinstance(value, list):
            [walk(v) for v in value if not isinstance(v, IndirectObject)]
    for number in booklets.object_spans(pdf):
        walk(reader.get_object(IndirectObject(number, 0, reader)))
    return found


def test_links_to_the_sites_pages_become_public_addresses_or_go(tmp_path):
    """A link in a printed part that leads to a page of the site: with base_url, its public
    address; without one, no link (never a file:// path of the machine that built it)."""
    root = tmp_path / "stage"
    (root / "agencies").mkdir(parents=True)
    (root / "agencies/5042.html").write_text("<p>agency</p>", encoding="utf-8")
    page = root / "booklets/2564/x.html"
    page.parent.mkdir(parents=True)
    page.write_text('<!DOCTYPE html><html lang="th"><head><meta charset="utf-8"><title>t'
                    '</title></head><body><p><a href="../../agencies/5042.html#fy-2564">เขต</a> '
                    '<a href="https://example.org/">ภายนอก</a></p></body></html>', "utf-8")
    with chromium.Browser() as browser:
        printed = browser.pdf(page.read_text(encoding="utf-8"), page.as_uri())

    def uris(pdf: bytes) -> list[str]:
        reader = PdfReader(io.BytesIO(pdf))
        return [str(a.get_object()["/A"]["/URI"]) for p in reader.pages
                for a in p.get("/Annots") or [] if "/A" in a.get_object()]

    assert any(u.startswith("file:") for u in uris(printed))  # what Chromium wrote
    public = booklets.finish(printed, {}, "https://kpi.example.go.th", root)
    assert sorted(uris(public)) == ["https://example.org/",
                                    "https://kpi.example.go.th/agencies/5042.html#fy-2564"]
    private = booklets.finish(printed, {}, "", root)
    assert uris(private) == ["https://example.org/"]
    # Nowhere in the file (an update appended to it would leave the old object there), and
    # the file is whole: every page reads.
    assert not [s for s in strings_in(public) + strings_in(private) if "file:" in s]
    assert len(PdfReader(io.BytesIO(private), strict=True).pages) == len(
        PdfReader(io.BytesIO(printed)).pages)


def test_the_preview_prints_no_booklets(project, tmp_path):
    from kpisite.incremental import Preview

    site = project.content / "site.yaml"
    site.write_text(site.read_text(encoding="utf-8") + "\nbooklets: true\n", encoding="utf-8")
    preview = Preview(project, tmp_path / "site")
    preview.build()
    assert (tmp_path / "site/index.html").is_file()
    assert not (tmp_path / "site/booklets").exists()


def test_booklets_leave_no_browser_behind(booklet_site):
    """Chromium ran with its profile in a temporary folder that is gone, and no process of it
    is left."""
    assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob("kpisite-chromium-*"))
    if shutil.which("pgrep"):
        left = subprocess.run(["pgrep", "-f", "kpisite-chromium-"], capture_output=True,
                              text=True).stdout
        assert not left.strip()
