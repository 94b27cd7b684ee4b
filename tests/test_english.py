"""The site in English too: every Thai page has an English twin under en/ that links back,
English pages carry no Thai interface text (Thai content is marked lang="th"), and English
content shows where the files give it."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest
from bs4 import BeautifulSoup

from conftest import REPO, soup, text_of
from kpisite import gather, publish
from test_browser_search import search
from test_safety import edit

THAI = re.compile(r"[\u0e00-\u0e7f]+")
ATTRIBUTES = ("title", "aria-label", "data-label", "alt", "placeholder", "content")


def pages_of(site: Path, language_folder: bool) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if ".kpisite" not in p.parts
                  and p.relative_to(site).parts[0] != "admin"  # the editor form: in Thai
                  and (p.relative_to(site).parts[0] == "en") == language_folder)


def target(page: Path, href: str) -> Path:
    return (page.parent / unquote(href.split("#")[0])).resolve()


def test_every_thai_page_has_an_english_twin_and_they_link_to_each_other(built_site):
    thai = pages_of(built_site, False)
    assert len(thai) > 40
    for page in thai:
        english = built_site / "en" / page.relative_to(built_site)
        assert english.is_file(), english
        there = soup(page).select_one('a[hreflang="en"]')
        assert target(page, there["href"]) == english.resolve(), page
        back = soup(english).select_one('a[hreflang="th"]')
        assert target(english, back["href"]) == page.resolve(), english
        assert soup(english).html["lang"] == "en"
        if soup(page).head.find("link", rel="stylesheet"):
            for link in soup(english).select("link[rel=stylesheet], script[src]"):
                assert target(english, link.get("href") or link["src"]).is_file(), link


def content_texts(site: Path) -> set[str]:
    """What the content says in Thai (names, site and plan titles): <title> may hold them."""
    gathered, inds, _ = gather.collect(gather.Project(REPO / "content"))
    texts = {gathered.title, gathered.strategy.title}
    texts |= {ind.name for ind in inds} | {a.name for a in gathered.agencies.values()}
    texts |= {n.name for n in gathered.strategy.walk()} | {n.label for n in
                                                           gathered.strategy.walk()}
    return {t for t in texts if t}


def test_english_pages_have_no_thai_interface_text(built_site):
    content = sorted(content_texts(built_site), key=len, reverse=True)
    problems = []
    for page in pages_of(built_site, True):
        html = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        title = html.title.get_text()
        for text in content:
            title = title.replace(text, "")
        problems += [f"{page.name} <title>: {w}" for w in THAI.findall(title)]
        for marked in html.find_all(attrs={"lang": True}):
            if marked is not html.html and marked["lang"] != "en":
                marked.decompose()  # content in Thai, marked so
        for tag in html.find_all(["script", "style", "title"]):
            tag.decompose()
        problems += [f"{page.name}: {w}" for w in THAI.findall(html.get_text(" "))]
        for meta in html.find_all("meta", content=True):  # the page's title, as <title> is
            for text in content:
                meta["content"] = meta["content"].replace(text, "")
        problems += [f"{page.name} @{a}: {w}" for el in html.find_all(True) for a in ATTRIBUTES
                     if el.get(a) for w in THAI.findall(el[a])]
    assert problems == []


def test_english_words_dates_and_numbers(built_site):
    year = text_of(soup(built_site / "en/years/2564.html").main)
    assert "FY 2021 (B.E. 2564)" in year and "1 October 2020" in year
    ind = soup(built_site / "en/indicators/2564/5042-2007.html")
    assert text_of(ind.h1.span) == text_of(soup(built_site / "indicators/2564/5042-2007.html").h1)
    assert ind.h1.span["lang"] == "th"  # no English name: the Thai one, marked
    assert "Target met" in text_of(ind.main) and "Quarter 1: 95" in text_of(ind.main)
    strategy = text_of(ind.find(id="h-strategy").parent)
    assert "5.2.1.1" in strategy and "๕" not in strategy  # Western digits
    assert "Bangkok as a Democratic City" in strategy  # the English the reference gives
    assert "Oct-Dec 2020" in text_of(ind.select_one("table.quarters"))


def test_english_content_shows_where_the_files_give_it(project, tmp_path):
    edit(project, "indicators/2564/5042-2007.yaml", "type: strategic",
         "name_en: Civil society networks of the district (synthetic test text)\n"
         "type: strategic")
    edit(project, "indicators/2564/5042-2007.yaml", "definition: |",
         "definition_en: A definition in English (synthetic test text)\ndefinition: |")
    out = tmp_path / "site"
    publish.build(project, out)
    english = soup(out / "en/indicators/2564/5042-2007.html")
    assert text_of(english.h1) == "Civil society networks of the district (synthetic test text)"
    assert not english.h1.find(attrs={"lang": "th"})
    definition = english.find(id="h-definition").parent
    assert "A definition in English" in text_of(definition)
    assert not definition.find(attrs={"lang": "th"})
    assert "synthetic test text" not in (out / "indicators/2564/5042-2007.html").read_text(
        encoding="utf-8")  # the Thai page keeps the Thai
    assert "Civil society networks" in text_of(soup(out / "en/agencies/5042.html").main)
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "check", "--content",
                           str(project.content), "--untranslated", "en"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "content/indicators/2564/5042-2008.yaml: name_en" in lines
    assert "content/indicators/2564/5042-2007.yaml: name_en" not in lines
    assert "content/indicators/2564/5042-2007.yaml: quarters[1].report_en" in lines
    assert "content/strategy.yaml: nodes[5].name_en" not in lines  # the reference gives it


def test_a_thai_only_site_has_no_english_folder(project, tmp_path):
    edit(project, "site.yaml", "languages: [th, en]", "languages: [th]")
    out = tmp_path / "site"
    publish.build(project, out)
    assert not (out / "en").exists()
    assert not soup(out / "index.html").select('a[hreflang], link[hreflang]')


@pytest.mark.browser
@pytest.mark.parametrize("query, code", [
    ("Democratic City", "5042-2007"),  # English text of the content (a strategy node)
    ("เครือข่ายประชาสังคม", "5042-2007"),  # Thai words on the English page
    ("Target met", "5042-2007"),  # a status, in English
])
def test_english_search_finds_by_english_and_thai(page, built_site, query, code):
    found = search(page, built_site / "en", query)
    assert any(f.startswith(code + " ") for f in found), found
    assert page.locator("#results a").first.get_attribute("lang") == "th"  # a Thai name
    assert not page.errors
