"""What a build keeps while it works: the parent's exports wait in a spool, not in memory, and a
large download is written in pieces."""
from __future__ import annotations

import dataclasses
import pickle
import tracemalloc

from conftest import CONTENT
from kpisite import (gather, opendata, packing, pages, publish, render, synthetic, thai, workbook,
                     write)
from kpisite.spool import Spool, Spooled
from kpisite.write import STATE


def leaves(exports: dict):
    for value in exports.values():
        yield from leaves(value) if isinstance(value, dict) else [value]


def test_the_parent_keeps_each_indicators_exports_in_the_spool(tmp_path):
    built = publish.build(gather.Project(CONTENT), tmp_path / "site")
    inds = built.catalog.indicators
    kept = [leaf for ind in inds for leaf in leaves(ind.exports)]
    assert inds and kept and all(isinstance(leaf, Spooled) for leaf in kept)
    # what the downloads joined from it is what the indicators' own documents say
    first = inds[0]
    document = (tmp_path / "site" / "data" / "indicators.json").read_bytes()
    assert opendata.unpack(first.exports["json"]) in document
    assert sorted(p.name for p in (tmp_path / "site" / STATE).iterdir()
                  if p.is_file()) == ["cache.pickle", "lock", "output.json"]  # the spool has no name


def test_spooled_exports_read_compare_and_pickle_as_bytes(tmp_path):
    spool = Spool(tmp_path)
    exports = {"json": b"{}", "tables": {"quarters": "a\u0e01".encode(), "rubric": b""},
               "search": b'["x"]'}
    spool.keep({"json": b"[1]", "tables": {"quarters": b"q", "rubric": b"r"}, "search": b"s"})
    kept = spool.keep(exports)
    assert dict(kept) == exports and kept == exports  # the preview compares them so
    assert bytes(kept["json"]) == b"{}" and len(kept["tables"]["quarters"]) == 4
    assert kept["json"] == b"{}" and b"{}" == kept["json"]
    assert kept["json"] != b"[]" and kept["json"] != kept["tables"]["quarters"]
    assert bytes(kept["tables"]["rubric"]) == b"" and bytes(kept["search"]) == b'["x"]'
    assert len(spool.shapes) == 1  # the same names for every indicator, kept once
    again = pickle.loads(pickle.dumps(kept))
    assert again == exports and type(again["tables"]["quarters"]) is bytes  # the cache's
    assert list(tmp_path.iterdir()) == []


def test_packed_bytes_take_their_own_size_not_their_inputs():
    text = "ตัวชี้วัด 4.00 → 5.00\r\n".encode() * 20000  # 600 KB that packs to a few hundred bytes
    tracemalloc.start()
    try:
        packed = packing.pack(text)
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(packed) < 5000 and held < 2 * len(packed) + 1000, (len(packed), held)
    assert packing.unpack(packed) == text



def test_pages_are_the_same_when_few_rows_and_series_are_kept(tmp_path, monkeypatch):
    content = tmp_path / "content"
    synthetic.write_corpus(content, 150)  # (generated: rows on every strategy level, series)
    whole = publish.build(gather.Project(content), tmp_path / "whole")
    monkeypatch.setattr(render, "ROWS_KEPT", 5)  # rows dropped and rendered again, often
    monkeypatch.setattr(render, "SERIES_KEPT", 1)
    few = publish.build(gather.Project(content), tmp_path / "few")
    assert min(len(r.env.globals["indicator_row"].kept) for r in whole.renderers) > 20
    charts = [kept for r in whole.renderers for _, kept in r.env.globals["series_svg"].kept.values()]
    assert len(charts) > 10 and all(b"<svg" in packing.unpack(kept) for kept in charts)  # packed
    rows = [kept for r in whole.renderers for _, kept in r.env.globals["indicator_row"].kept.values()]
    assert all(packing.unpack(kept).lstrip().startswith(b"<tr") for kept in rows)
    assert all(len(r.env.globals["indicator_row"].kept) <= 5 for r in few.renderers)
    pages = sorted(p.relative_to(whole.out) for p in whole.out.rglob("*.html")
                   if p.parts[len(whole.out.parts)] in ("strategy", "indicators"))
    assert len(pages) > 100 and any('<tr class="here">' in p.read_text() for p in
                                    (whole.out / "indicators").rglob("*.html"))
    for page in pages:
        assert (few.out / page).read_bytes() == (whole.out / page).read_bytes(), page


def test_the_workbook_is_made_in_a_file_and_read_back_in_pieces(tmp_path, monkeypatch):
    built = publish.build(gather.Project(CONTENT), tmp_path / "site")
    whole = (tmp_path / "site" / "data" / "indicators.xlsx").read_bytes()
    monkeypatch.setattr(workbook, "PIECE", 4096)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    data = pages.SiteData(built.catalog, thai.build_date(), built.history, scratch=scratch)
    made = workbook.make(data.cat, data.exporting, data.built, scratch)
    first = next(made)
    assert len(first) == 4096 and list(scratch.iterdir()) == []  # made, and it has no name
    rest = list(made)
    assert len(rest) >= 2 and all(len(piece) <= 4096 for piece in rest)
    assert first + b"".join(rest) == whole  # the same bytes as the build wrote


def test_a_light_copy_holds_only_what_differs_from_the_defaults():
    _, inds, _ = gather.collect(gather.Project(CONTENT))
    light = next(ind for ind in inds if not ind.tags and ind.summary == "")
    assert "summary" not in vars(light) and "tags" not in vars(light)  # read from the class
    assert light.summary == "" and light.tags == () and light.published is True
    assert len(vars(light)) < len(dataclasses.fields(light)) * 0.75
    assert "code" in vars(light) and light.code and light.status  # and what it holds, it holds
    pair = [ind for ind in inds
            if ind.fiscal_year == "2564" and ind.reported_quarters == {1, 2, 3, 4}][:2]
    again = [pickle.loads(pickle.dumps(ind)) for ind in pair]  # as the parent gets them
    assert again == pair and again[0].source != again[1].source
    assert again[0].fiscal_year is again[1].fiscal_year and again[0].unit is again[1].unit
    assert again[0].reported_quarters is again[1].reported_quarters  # one set, not two


def test_a_list_page_is_written_in_pieces_as_it_is_rendered(tmp_path):
    built = publish.build(gather.Project(CONTENT), tmp_path / "site")
    renderer, page = next((r, p) for r, p in built.site_pages(built.catalog)
                          if p.path == "years/2564.html")
    streamed = renderer.streamed(page)
    assert not isinstance(streamed, (str, bytes))  # pieces, made as they are written
    whole = (tmp_path / "site" / page.path).read_bytes()
    assert b"".join(streamed) == whole == renderer.render(page).encode()
    assert list(write.encoded(["ตัว", "ชี้", "วัด", "!"], 5)) == [
        "ตัวชี้".encode(), "วัด!".encode()]


def test_the_parent_keeps_each_files_page_paths_as_one_text(tmp_path):
    content = tmp_path / "content"
    synthetic.write_corpus(content, 250)  # (generated: enough files for the workers)
    built = publish.build(gather.Project(content), tmp_path / "site")
    kept = [r.pages for r in built.results.values()]
    assert all(isinstance(p, publish.PagePaths) for p in kept)
    first = list(kept[0])
    assert len(kept[0]) == len(first) >= 3 and all((built.out / p).is_file() for p in first)
    assert pickle.loads(pickle.dumps(kept[0])) == first and kept[0] == first
    assert list(publish.PagePaths([])) == [] and len(publish.PagePaths([])) == 0
