"""Markdown to safe HTML: hostile input is neutralised; the plain-text fast path is exact."""
import functools

import nh3
from hypothesis import given, settings, strategies as st

from kpisite import markup

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<div onclick="alert(1)">x</div>',
    "<iframe src=https://evil.example></iframe>",
    "<style>body{display:none}</style>",
    '<svg onload="alert(1)"></svg>',
    "{{ 7*7 }} {% include 'base.html' %}",
]


def test_hostile_markdown_never_becomes_markup():
    for text in HOSTILE:
        html = str(markup.render(text)).lower()
        for bad in ("<script", "onerror", "onclick", "onload", "javascript:", "<iframe", "<style",
                    "<svg", "<img"):
            assert bad not in html, (text, html)
    # template syntax is text, not evaluated
    assert "{{ 7*7 }}" in str(markup.render("{{ 7*7 }}"))


def test_markdown_features_editors_use():
    html = str(markup.render("**สำคัญ**\n\n1. หนึ่ง\n2. สอง\n\n[ลิงก์](https://example.org)"))
    assert "<strong>สำคัญ</strong>" in html and "<ol>" in html
    assert 'href="https://example.org"' in html and 'rel="noopener noreferrer"' in html


def test_line_breaks_kept_for_dated_logs():
    html = str(markup.render("15/01/2566 : ประชุม\n20/02/2566 : ลงพื้นที่"))
    assert html == "<p>15/01/2566 : ประชุม<br>\n20/02/2566 : ลงพื้นที่</p>"


def test_headings_are_demoted_with_thai_safe_unique_ids():
    html = str(markup.render("# ผลการดำเนินงาน\n\n# ผลการดำเนินงาน", prefix="q1"))
    assert '<h3 id="q1-ผลการดำเนินงาน">' in html and 'id="q1-ผลการดำเนินงาน-2"' in html


_ALPHABET = st.sampled_from(list("กขงจฉชซ่้๊๋ัิีึืุูเแโใไำะา ๑๒3 45.,()/%:;\"'“”?-\nabcXYZ")
                            + ["\n\n", "  ", "ํา", "1. ", "- ", "> "])


@settings(max_examples=3000, deadline=None)
@given(st.lists(_ALPHABET, max_size=40).map("".join))
def test_plain_fast_path_matches_markdown(text):
    text = text.strip()
    if not markup.is_plain(text):
        return
    markup._md.reset()
    slow = nh3.clean(markup._md.convert(text), tags=markup.ALLOWED_TAGS,
                     attributes=markup.ALLOWED_ATTRIBUTES).strip()
    assert str(markup.render(text)) == slow


class _Shown:  # a value that says how it is shown in HTML
    def __html__(self):
        return "<b>shown</b>"


@functools.cache
def _one_value_template():
    from kpisite import render
    from kpisite.i18n import standard

    return render.environment(standard("th")).from_string("{{ v }}")


@given(st.text())
@settings(max_examples=300)
def test_templates_escape_text_as_markupsafe_does(text):
    """The templates' own escape (render._escaped, quicker) gives markupsafe's string."""
    from markupsafe import Markup, escape

    from kpisite import render

    template = _one_value_template()
    assert template.root_render_func.__globals__["escape"] is render._escaped  # in use
    for value in (text, HOSTILE[0], "ตัวชี้วัด <ข>&'\"", Markup("<w->ตัว</w->"), 5, 2.5, None,
                  True, _Shown()):
        assert template.render(v=value) == str(escape(value)), value
