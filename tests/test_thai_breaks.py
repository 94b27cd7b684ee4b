"""Thai line breaks (linebreaks.py): laid out by Chromium at three widths, and printed, no line
breaks inside a word; with the mechanism turned off, the browser's own dictionary does."""
from __future__ import annotations

import functools
import itertools
import re
import subprocess
from html.parser import HTMLParser

import pytest
from markupsafe import Markup

from kpisite import gather, linebreaks, publish

from conftest import CONTENT, REPO, THAI_COMPOUNDS, compounds_across_lines, narrative_texts

pytestmark = pytest.mark.browser

PAGES = ["index.html", "strategy/index.html", "strategy/5-2-1-1.html", "agencies/index.html",
         "agencies/5042.html", "years/index.html", "years/2564.html",
         "indicators/2564/5042-2007.html", "indicators/2564/5042-2007.print.html",
         "indicators/2563/5001-0735.html", "search.html", "data/index.html", "reporting.html",
         "changes.html", "404.html", "pages/accessibility.html"]
WIDTHS = [320, 390, 1280]
INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060\ufeff]")  # soft hyphen, zero widths, joiners
# Narrative paragraphs (Markdown) are the browser's to break; the rest is not laid out as
# lines of text a reader sees (hidden, or drawn in a chart).
LEFT_ALONE = (".prose, .lead, .content-page > :not(h1), svg, script, style, .visually-hidden, "
              "[hidden], option")

# Every occurrence of each word in the page's text (across elements, as a reader reads it)
# and whether its characters' boxes lie on more than one line.
BROKEN_WORDS = """([words, skip]) => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {acceptNode:
    n => n.parentElement.closest(skip) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
  const nodes = [], starts = [];
  let text = "";
  for (let n; (n = walker.nextNode());) { starts.push(text.length); nodes.push(n); text += n.data; }
  const at = i => { let k = 0; while (k + 1 < nodes.length && starts[k + 1] <= i) k++;
                    return [nodes[k], i - starts[k]]; };
  const broken = [];
  let seen = 0;
  for (const word of words) {
    for (let i = text.indexOf(word); i >= 0; i = text.indexOf(word, i + 1)) {
      const range = document.createRange(), [last, offset] = at(i + word.length - 1);
      range.setStart(...at(i));
      range.setEnd(last, offset + 1);
      const boxes = [...range.getClientRects()].filter(r => r.width > 0);
      if (!boxes.length) continue;
      seen++;
      if (boxes.some(r => r.top >= boxes[0].bottom - 1))
        broken.push(word + ": " + text.slice(Math.max(0, i - 15), i + word.length + 15));
    }
  }
  return {seen, broken};
}"""


@pytest.fixture(scope="module")
def unmarked_site(tmp_path_factory):
    """The bundled content built with the mechanism turned off: Thai runs left as written."""
    out = tmp_path_factory.mktemp("unmarked") / "site"
    linebreaks._marked.cache_clear()  # neither the marks made before nor those left as written
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(linebreaks, "run_html", lambda run: run)
        publish.build(gather.Project(CONTENT), out)
    linebreaks._marked.cache_clear()
    return out


def broken_words(browser, site, width: int) -> tuple[int, list[str]]:
    tab = browser.new_page(viewport={"width": width, "height": 900})
    seen, broken = 0, []
    try:
        for path in PAGES:
            tab.goto((site / path).as_uri())
            found = tab.evaluate(BROKEN_WORDS, [THAI_COMPOUNDS, LEFT_ALONE])
            seen += found["seen"]
            broken += [f"{path} at {width} px: {b}" for b in found["broken"]]
    finally:
        tab.close()
    return seen, broken


@pytest.mark.parametrize("width", WIDTHS)
def test_no_line_breaks_inside_a_word_on_any_page(browser, built_site, width):
    seen, broken = broken_words(browser, built_site, width)
    assert seen > 200  # the words are there, laid out
    assert not broken


def test_without_the_mechanism_the_browser_does_break_inside_words(browser, unmarked_site):
    broken = [b for width in WIDTHS for b in broken_words(browser, unmarked_site, width)[1]]
    assert len(broken) >= 3, broken


def test_marking_adds_no_character_to_the_text(page, built_site, unmarked_site):
    """What a reader copies (the page's text as Chromium gives it), the search index and the
    downloads are the text as written: no invisible character anywhere."""
    for path in PAGES:
        copied = []
        for site in (built_site, unmarked_site):
            page.goto((site / path).as_uri())
            copied.append(page.evaluate("document.body.innerText"))
        assert "<w->" in (built_site / path).read_text(encoding="utf-8")
        assert copied[0] == copied[1], path
        assert not INVISIBLE.findall(copied[0]), path
    for path in ["search-index.js", "search-texts.js", "data/indicators.csv",
                 "data/indicators.json"]:
        assert (built_site / path).read_bytes() == (unmarked_site / path).read_bytes(), path
        assert not INVISIBLE.findall((built_site / path).read_text(encoding="utf-8-sig")), path


def test_a_printed_page_breaks_no_word_across_lines(page, built_site, tmp_path):
    pdf = tmp_path / "print.pdf"
    page.set_viewport_size({"width": 1280, "height": 900})
    html = built_site / "indicators/2564/5042-2007.print.html"
    page.goto(html.as_uri())
    page.pdf(path=str(pdf), prefer_css_page_size=True)
    lines = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    assert sum(line.count("ตัวชี้วัด") for line in lines) >= 5
    assert not compounds_across_lines(lines, narrative_texts(html))


def test_the_line_check_does_find_a_broken_word():
    assert compounds_across_lines(["ระดับความสำเร็จของการสร้างเครือ", "ข่ายประชาสังคม"])
    assert not compounds_across_lines(["ระดับความสำเร็จของการสร้าง", "เครือข่ายประชาสังคม"])
    assert not compounds_across_lines(["การสร้างเครือ", "ข่ายประชา"], ["การสร้างเครือข่ายประชา"])


def test_chart_labels_are_cut_into_lines_between_words():
    """SVG wraps no text: a label wider than its column comes in lines, each of whole words."""
    from kpisite import chart

    crowded = chart.comparison_chart([(str(n), None, 5) for n in range(10)], "ยังไม่รายงาน")
    lines = [line for _, line in crowded.columns[0].value_lines]
    assert lines == ["ยังไม่", "รายงาน"]
    roomy = chart.comparison_chart([("2564", None, 5)], "ยังไม่รายงาน")
    assert [line for _, line in roomy.columns[0].value_lines] == ["ยังไม่รายงาน"]
    text = "ตัวชี้วัดเครือข่ายประชาสังคมฝุ่นละออง"
    cut = linebreaks.lines(text, 6)
    assert "".join(cut) == text and len(cut) >= 3
    assert not compounds_across_lines(list(cut))


def test_a_running_header_is_shortened_between_words():
    """The printed sheet's header holds the name's first words, cut where its page may break
    a line (the same words as the page's), never inside a word."""
    name = "ระดับความสำเร็จของการสร้างเครือข่ายประชาสังคม ในการเฝ้าระวังฝุ่นละออง (ร้อยละ 80)"
    for limit in range(12, len(name)):
        short = linebreaks.shortened(name, limit)
        kept = short.removesuffix("…").rstrip()
        assert short.endswith("…") and len(short) <= limit and name.startswith(kept), short
        assert not compounds_across_lines([kept, name[len(kept):]]), short
    assert linebreaks.shortened(name, len(name)) == name


def test_words_are_the_text_as_written():
    for text in ["สยป. ตรวจประเมินตัวชี้วัด (ร้อยละ 80)", "  a b ", "ตัวชี้วัด", "x", ""]:
        assert "".join(linebreaks.words(text)) == text
    assert "ตัวชี้วัด" in linebreaks.words("ตรวจประเมินตัวชี้วัด")
    assert linebreaks.words("ตัวชี้วัด (ร้อยละ 80)") == ["ตัวชี้วัด ", "(ร้อยละ ", "80)"]


def bundled_thai_runs() -> list[str]:
    """Every Thai run the project's own files hold: the bundled content, the catalogues of
    the interface's words, the starter site."""
    files = [*(REPO / "content").rglob("*.yaml"), *(REPO / "kpisite/locale").rglob("*.po"),
             *(REPO / "kpisite/starter").rglob("*.yaml"), *(REPO / "kpisite/starter").rglob("*.md")]
    return sorted({run.group() for path in files
                   for run in linebreaks.THAI_RUN.finditer(path.read_text("utf-8"))})


def test_every_cut_is_one_newmm_makes_too(tmp_path):
    """Where the segmenter cuts (two readings of the dictionary that agree) is checked
    against PyThaiNLP's newmm, maximal matching in nlpo3's Rust build, with the same words: no
    cut newmm does not make on any Thai run of the project's files, most of newmm's made, and
    none inside a character cluster."""
    import nlpo3

    words = tmp_path / "words.txt"
    words.write_text("\n".join(sorted(linebreaks.dictionary_words())), "utf-8")
    name = f"kpisite-test-{tmp_path.name}"  # nlpo3 keeps the first dictionary of a name
    assert nlpo3.load_dict(str(words), name)[1]
    runs = bundled_thai_runs()
    assert len(runs) > 500 and "".join(runs).count("ตัวชี้วัด") > 20
    ends = lambda pieces: set(itertools.accumulate(map(len, pieces)))  # noqa: E731
    ours = theirs = both = 0
    for run in runs:
        pieces = linebreaks.segment(run)
        assert "".join(pieces) == run
        cut, newmm = ends(pieces), ends(nlpo3.segment(run, name))
        assert cut <= newmm, f"{'|'.join(pieces)} (newmm: {'|'.join(nlpo3.segment(run, name))})"
        assert not any(linebreaks.NOT_A_START.search(piece) for piece in pieces[1:]), pieces
        ours, theirs, both = ours + len(cut), theirs + len(newmm), both + len(cut & newmm)
    assert both / theirs > 0.9  # 96 % when written


def test_no_dictionary_word_begins_or_ends_inside_a_cluster(tmp_path, monkeypatch):
    """A word of thai-words.txt beginning with a vowel or mark written after its consonant
    (or ๆ), or ending with one written before it, is left out: a cut there would split a
    character cluster."""
    own = tmp_path / "thai-words.txt"
    own.write_text("ตัวชี้วัด\nะกขค\n่กขค\nๆกขค\nกขคเ\nกขคไ\n", "utf-8")
    monkeypatch.setattr(linebreaks, "WORDS_FILE", own)
    words = linebreaks.dictionary_words()
    assert "ตัวชี้วัด" in words
    assert not {"ะกขค", "่กขค", "ๆกขค", "กขคเ", "กขคไ"} & words


def test_an_ambiguous_stretch_stays_whole():
    """Read from its start, "การกำหนดประเด็น" gives "การกำ|หน" and a letter no word holds;
    from its end, "การ|กำหนด|ประเด็น": the readings differ, so no cut falls there. Where they
    agree, the words are cut."""
    assert linebreaks.segment("มีการกำหนดประเด็นสำคัญ")[:2] == ["มี", "การกำหนดประเด็นสำคัญ"]
    assert linebreaks.segment("ตัวชี้วัดเครือข่ายประชาสังคม") == ["ตัวชี้วัด", "เครือข่าย",
                                                                 "ประชาสังคม"]


def test_the_build_finds_each_indicators_words_before_rendering_its_pages(tmp_path, monkeypatch):
    prepared, rendered = set(), []
    real_prepare, real_breaks = linebreaks.prepare, linebreaks.breaks

    def prepare(texts):
        texts = list(texts)
        prepared.update(texts)
        real_prepare(texts)

    def breaks(value):
        rendered.append(value)
        return real_breaks(value)
    monkeypatch.setattr(linebreaks, "prepare", prepare)
    monkeypatch.setattr(linebreaks, "breaks", breaks)
    publish.build(gather.Project(CONTENT), tmp_path / "site", jobs=1)
    name = "ระดับความสำเร็จของการสร้างเครือข่ายประชาสังคมเขตเพื่อร่วมผลักดันการพัฒนาพื้นที่"
    assert name in prepared and name in rendered


def test_an_indicators_words_are_found_before_its_pages_ask(monkeypatch):
    """publish finds the words of a hundred indicators at once (linebreaks.prepare): each
    text its pages lay out, from the field table, and not its Markdown."""
    from kpisite import fields, model

    ind = model.Indicator(
        source="synthetic.yaml", code="T1", name="การทดสอบเตรียมคำล่วงหน้าของตัวชี้วัด",
        evidence=["หลักฐานการประชุมเครือข่ายล่วงหน้า"],
        rubric=[model.RubricLevel(level=1, description="ระดับที่หนึ่งล่วงหน้า")],
        definition="นิยามของตัวชี้วัดล่วงหน้าแบบยาว")
    texts = list(fields.laid_out_texts(ind))
    assert {ind.name, *ind.evidence, ind.rubric[0].description} <= set(texts)
    assert ind.definition not in texts
    linebreaks.prepare(texts)

    def segmented_again(text):
        raise AssertionError(f"segmented again: {text}")
    monkeypatch.setattr(linebreaks, "segment", segmented_again)
    assert "<wbr>" in linebreaks.breaks(ind.name)
    assert "<wbr>" in linebreaks.breaks(ind.rubric[0].description)


def test_the_lists_find_a_names_words_once_though_many_pages_show_it(tmp_path, monkeypatch):
    """A name is in its agency's list, its year's and each strategy level's, rendered far
    apart: the lists' names are marked in one go and kept while the lists are rendered
    (linebreaks.prepare_listed), not found again each time a list shows them after the cache
    let them go. A smaller cache here stands for 10,000 indicators outgrowing the real one
    (without prepare_listed, names are marked up to three times)."""
    from kpisite import synthetic

    synthetic.write_corpus(tmp_path / "content", 600)
    marked, phase = [], ["lists"]  # with one job, the lists are rendered before the pages

    def counted(text):
        marked.append(text) if phase == ["lists"] else None
        return real(text)

    def publish_indicator(*args, **kwargs):
        phase[0] = "pages"
        return real_publish(*args, **kwargs)
    real, real_publish = linebreaks._marked.__wrapped__, publish.Publisher.publish
    monkeypatch.setattr(linebreaks, "MARKED_ROOM", 1000)
    monkeypatch.setattr(linebreaks, "_marked", functools.lru_cache(maxsize=1000)(counted))
    monkeypatch.setattr(publish.Publisher, "publish", publish_indicator)
    built = publish.build(gather.Project(tmp_path / "content"), tmp_path / "site", jobs=1)
    names = {ind.name for ind in built.catalog.indicators}
    times = [marked.count(name) for name in names]
    assert len(names) == 600 and min(times) == max(times) == 1, sorted(times)[-5:]


class _LaidOut(HTMLParser):
    """Thai runs in a page's text that no <w-> holds, and marks where a page cannot hold
    them (attributes; elements whose text takes no markup)."""
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}
    PLAIN = {"script", "style", "title", "textarea", "option", "svg"}
    NARRATIVE = {"prose", "lead", "content-page"}  # Markdown: the browser's to break

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open, self.unmarked, self.misplaced = [], [], []

    def handle_starttag(self, tag, attrs):
        self.misplaced += [f"{tag} {name}" for name, value in attrs if value and "<w" in value]
        if tag in ("w-", "wbr") and any(t in self.PLAIN for t, _ in self.open):
            self.misplaced.append(f"{tag} in {[t for t, _ in self.open]}")
        if tag not in self.VOID:
            classes = set((dict(attrs).get("class") or "").split())
            self.open.append((tag, bool(classes & self.NARRATIVE)))

    def handle_endtag(self, tag):
        while tag not in self.VOID and self.open and self.open.pop()[0] != tag:
            pass

    def handle_data(self, data):
        if not any(t in self.PLAIN or t == "w-" or narrative for t, narrative in self.open):
            self.unmarked += THAI_RUN.findall(data)


THAI_RUN = re.compile(r"[\u0e01-\u0e4e]{3,}")


def test_every_thai_text_a_page_lays_out_is_marked_in_both_languages(built_site):
    """Texts that code makes into HTML (a number with its unit, a target, a caption with its
    count, Thai content on an English page) are marked as the templates' are; and no mark
    lands where it would show as characters (an attribute, a title, an option, an SVG)."""
    pages = sorted(built_site.rglob("*.html"))
    assert any(p.parts[-4:-2] == ("en", "indicators") for p in pages)
    for page in pages:
        found = _LaidOut()
        found.feed(page.read_text(encoding="utf-8"))
        assert not found.unmarked, (page.relative_to(built_site), found.unmarked[:5])
        assert not found.misplaced, (page.relative_to(built_site), found.misplaced[:5])


def test_a_unit_is_marked_where_the_language_puts_it():
    from kpisite import i18n, render

    thai = render.Labels(i18n.standard("th"))
    assert thai.with_unit("80", "ร้อยละ") == Markup("<w->ร้อยละ</w-> 80")
    assert thai.with_unit("ครั้งละ 5", "ครั้ง") == Markup("ครั้งละ 5 <w->ครั้ง</w->")
    assert thai.with_unit("5", "บาท & สตางค์") == Markup("5 <w->บาท</w-> &amp; <w->สตางค์</w->")
