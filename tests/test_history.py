"""History from git, on a temporary repository with a few commits: each indicator's changes,
recent changes on the home page, the Atom feed, `diff`, edit links, and building without git."""
from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import CONTENT, soup, text_of, unmarked
from kpisite import cli, gather, publish
from test_safety import edit

REF = "indicators/2564/5042-2007.yaml"
ATOM = "{http://www.w3.org/2005/Atom}"


def git(repo: Path, *args: str, date: str = "2026-01-05T10:00:00+07:00") -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "สำนักงานเขตสายไหม", "GIT_AUTHOR_EMAIL": "plan@example.org",
           "GIT_COMMITTER_NAME": "สยป.", "GIT_COMMITTER_EMAIL": "review@example.org",
           "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    return subprocess.run(["git", "-C", str(repo), *args], env=env, check=True,
                          capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path) -> tuple[Path, gather.Project, list[str]]:
    """A repository whose history: add all; Q1 result and target; a new file; a removal."""
    root = tmp_path / "repo"
    shutil.copytree(CONTENT, root / "content")
    project = gather.Project(root / "content")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "เพิ่มตัวชี้วัดจากระบบเดิม")
    shas = [git(root, "rev-parse", "HEAD")]
    edit(project, REF, "result: 2.00", "result: 3.00")
    edit(project, REF, "target: 5", "target: 4")
    git(root, "commit", "-q", "-am", "ปรับผลงานไตรมาสที่ 1", date="2026-02-10T09:00:00+07:00")
    shas.append(git(root, "rev-parse", "HEAD"))
    new = project.indicators / "2564/5042-9999.yaml"
    new.write_text((project.indicators / "2564/5042-2008.yaml").read_text(encoding="utf-8")
                   .replace("code: 5042-2008", "code: 5042-9999"), encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "เพิ่มตัวชี้วัดใหม่", date="2026-03-01T09:00:00+07:00")
    (project.indicators / "2563/0700-0787.yaml").unlink()
    edit(project, "indicators/2563/2400-1014.yaml", "definition:", "definition: นิยามใหม่")
    git(root, "commit", "-q", "-am", "ลบตัวชี้วัดซ้ำ และเพิ่มนิยาม", date="2026-04-02T09:00:00+07:00")
    shas.append(git(root, "rev-parse", "HEAD"))
    return root, project, shas


def test_indicator_page_shows_its_changes(repo):
    root, project, _ = repo
    publish.build(project, root / "site")
    page = soup(root / "site/indicators/2564/5042-2007.html")
    facts = {text_of(d.dt): text_of(d.dd) for d in page.select("dl.facts > div")}
    assert facts["ปรับปรุงข้อมูลล่าสุด"].startswith("10 กุมภาพันธ์ 2569")
    changes = [text_of(li) for li in page.select("ol.changes > li")]
    assert len(changes) == 2
    assert changes[0].startswith("10 กุมภาพันธ์ 2569 ค่าเป้าหมาย")  # the facts, not git's words
    assert "ปรับผลงาน" not in " ".join(changes)  # the commit message is not shown
    assert "ค่าเป้าหมาย: 5 → 4" in changes[0] and "ผลงานไตรมาสที่ 1: 2.00 → 3.00" in changes[0]
    assert "5 มกราคม 2569" in changes[1] and "เพิ่มตัวชี้วัดนี้" in changes[1]
    text_only = soup(root / "site/indicators/2563/2400-1014.html").select("ol.changes > li")[0]
    assert "แก้ไขข้อความ (ตัวเลขหลักไม่เปลี่ยน)" in text_of(text_only)


def test_home_lists_recent_changes_and_the_feed_parses(repo):
    root, project, _ = repo
    publish.build(project, root / "site")
    recent = [text_of(li) for li in soup(root / "site/index.html").select("ol.recent > li")]
    assert recent[0].startswith("2 เม.ย. 2569") and "ลบตัวชี้วัด" in " ".join(recent[:2])
    assert any("5042-9999" in r and "เพิ่มตัวชี้วัดนี้" in r for r in recent)
    feed = ET.parse(root / "site/feed.xml").getroot()
    entries = feed.findall(f"{ATOM}entry")
    assert entries and "ลบตัวชี้วัดซ้ำ" not in ET.tostring(feed, encoding="unicode")  # no
    # commit messages: what changed is said in indicator terms
    assert feed.find(f"{ATOM}updated").text.startswith("2026-04-02T02:00:00")
    for entry in entries:
        link = entry.find(f"{ATOM}link")
        if link is not None:
            assert (root / "site" / link.get("href")).is_file()
    summaries = " ".join(e.find(f"{ATOM}summary").text for e in entries)
    assert "ผลงานไตรมาสที่ 1: 2.00 → 3.00" in summaries


def test_a_new_commit_rerenders_only_its_file(repo):
    root, project, _ = repo
    publish.build(project, root / "site")
    other = root / "site/indicators/2564/5035-893.html"
    before = other.stat().st_ino
    edit(project, REF, "result: 4.00", "result: 4.50")
    git(root, "commit", "-q", "-am", "ไตรมาส 2 แก้ตัวเลข", date="2026-05-01T09:00:00+07:00")
    publish.build(project, root / "site")
    assert other.stat().st_ino == before  # reused (linked), not rendered again
    page = unmarked((root / "site/indicators/2564/5042-2007.html").read_text())
    assert "ผลงานไตรมาสที่ 2: 4.00 → 4.50" in page and "ไตรมาส 2 แก้ตัวเลข" not in page


def test_diff_in_indicator_terms(repo, capsys):
    root, project, shas = repo
    assert cli.main(["diff", shas[0], "HEAD", "--content", str(project.content)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"## การเปลี่ยนแปลงตัวชี้วัด ({shas[0]}...HEAD)")
    assert "เพิ่ม 1 · ลบ 1 · แก้ไข 2" in out
    assert "**5042-9999** ร้อยละของแหล่งกำเนิดได้รับการควบคุมฝุ่นละออง" in out
    assert "**0700-0787**" in out.split("### ลบ")[1].split("###")[0]
    assert "| ค่าเป้าหมาย | 5 | 4 |" in out and "| ผลงานไตรมาสที่ 1 | 2.00 | 3.00 |" in out
    assert cli.main(["diff", "no-such-revision", "--content", str(project.content)]) == 2


def test_edit_link_when_the_repository_is_named(repo):
    root, project, _ = repo
    edit(project, "site.yaml", "repository:\n", "repository: https://github.com/example/kpi\n")
    publish.build(project, root / "site")
    link = soup(root / "site/indicators/2564/5042-2007.html").select_one("p.edit a")
    assert link["href"] == "https://github.com/example/kpi/edit/main/content/indicators/2564/5042-2007.yaml"
    assert soup(root / "site/indicators/2564/5042-2007.print.html").select_one("p.edit") is None
    edit(project, "site.yaml", "branch: main", "branch: main\nrepository_folder: city kpi")
    publish.build(project, root / "site")
    link = soup(root / "site/indicators/2564/5042-2007.html").select_one("p.edit a")
    assert link["href"] == ("https://github.com/example/kpi/edit/main/city%20kpi/content/"
                            "indicators/2564/5042-2007.yaml")


def test_builds_without_git_and_says_so(tmp_path, capsys):
    shutil.copytree(CONTENT, tmp_path / "content")  # as from a tarball: no .git anywhere above
    assert cli.main(["build", "--content", str(tmp_path / "content")]) == 0
    assert "ไม่มีประวัติจาก git" in text_of(soup(tmp_path / "site/index.html"))
    page = text_of(soup(tmp_path / "site/indicators/2564/5042-2007.html"))
    assert "ไม่มีประวัติการแก้ไข: เว็บไซต์นี้สร้างจากไฟล์ที่ไม่มีประวัติ git" in page


def test_drafts_leave_no_trace_in_history_or_feed(repo):
    root, project, _ = repo
    draft = project.indicators / "2564/5042-7777.yaml"
    draft.write_text((project.indicators / "2564/5042-2008.yaml").read_text(encoding="utf-8")
                     .replace("code: 5042-2008", "code: 5042-7777")
                     .replace("published: true", "published: false"), encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "ร่างตัวชี้วัดลับ", date="2026-06-01T09:00:00+07:00")
    edit(project, "indicators/2564/5042-7777.yaml", "target: 100", "target: 42")
    git(root, "commit", "-q", "-am", "ปรับเป้าหมายร่าง", date="2026-06-02T09:00:00+07:00")
    publish.build(project, root / "site")
    for page in ("index.html", "feed.xml"):
        text = (root / "site" / page).read_text(encoding="utf-8")
        for secret in ("5042-7777", "ร่างตัวชี้วัดลับ", "ปรับเป้าหมายร่าง", "→ 42"):
            assert secret not in text, (page, secret)
    # published later: its history starts there, without the draft's values
    edit(project, "indicators/2564/5042-7777.yaml", "published: false", "published: true")
    git(root, "commit", "-q", "-am", "เผยแพร่", date="2026-06-03T09:00:00+07:00")
    publish.build(project, root / "site")
    changes = [text_of(li) for li in soup(root / "site/indicators/2564/5042-7777.html")
               .select("ol.changes > li")]
    assert len(changes) == 1 and "เพิ่มตัวชี้วัดนี้" in changes[0] and "→ 42" not in changes[0]
