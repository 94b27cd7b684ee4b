"""Find and read content files: UTF-8 text, YAML without YAML 1.1 surprises, and line numbers.

Parsing uses libyaml (fast, no positions kept). Only when a file has a problem is it parsed a
second time into nodes, to find the line of the offending field.
"""
from __future__ import annotations

import codecs
import hashlib
import os
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import Problem

MAX_BYTES = 1_000_000  # an indicator file is a few kB; anything this big is a mistake
YAML_SUFFIXES = (".yaml", ".yml")

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ContentLoader(_Base):
    """A safe YAML loader for content: YAML 1.2-like scalars, no aliases, no duplicate keys.

    Only true/false are booleans (not yes/no/on/off), dates stay strings, numbers with a leading
    zero stay strings (agency code 0700), and decimals keep their written digits (2.00).
    """

    yaml_implicit_resolvers: dict = {}


def _implicit(tag: str, pattern: str, first: str) -> None:
    ContentLoader.add_implicit_resolver(tag, re.compile(pattern), list(first))


_implicit("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN")
ContentLoader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^$"), [""])
_implicit("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF")
_implicit("tag:yaml.org,2002:int", r"^[-+]?(?:0|[1-9][0-9]*)$", "-+0123456789")
_implicit("tag:yaml.org,2002:float", r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$",
          "-+0123456789.")


def _construct_int(loader, node):
    return int(loader.construct_scalar(node))


def _construct_decimal(loader, node):
    return Decimal(loader.construct_scalar(node))


ContentLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
ContentLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)


def _construct_object(self, node, deep=False):
    # An alias hands back a node that was already built: refuse it (and with it alias bombs).
    if node in self.constructed_objects:
        raise yaml.constructor.ConstructorError(
            None, None, "ไม่รองรับ alias (*name) ในไฟล์เนื้อหา: เขียนค่าซ้ำแทน "
            "(YAML aliases are not allowed)", node.start_mark)
    return _Base.construct_object(self, node, deep)


def _construct_mapping(self, node, deep=False):
    seen: set = set()
    for key_node, _ in node.value:
        key = key_node.value
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"มีช่อง '{key}' ซ้ำสองครั้ง: ลบอันหนึ่งออก (duplicate key)",
                key_node.start_mark)
        seen.add(key)
    return _Base.construct_mapping(self, node, deep)


ContentLoader.construct_object = _construct_object
ContentLoader.construct_mapping = _construct_mapping


@dataclass
class Source:
    """One content file, read and parsed."""

    path: Path  # absolute
    rel: str  # relative to the project root, for messages and links
    text: str
    data: Any
    digest: str  # of the bytes: decides whether cached work can be reused

    def line_of(self, field_path: tuple = ()) -> int | None:
        """The line of a field (or of its nearest existing parent)."""
        return find_line(self.text, field_path)

    def problem(self, field_path: tuple, message: str, severity: str = "error") -> Problem:
        """A problem at a field of this file, with its line."""
        from .diagnostics import field_name

        return Problem(self.rel, self.line_of(field_path), field_name(field_path), message,
                       severity)


def digest(data: bytes) -> str:
    """The content hash used for caching."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def read_source(path: Path, root: Path) -> tuple[Source | None, list[Problem]]:
    """Read and parse one YAML file; on failure, the problems say why in the editor's terms."""
    rel = relative(path, root)
    fail = lambda line, msg: (None, [Problem(rel, line, "", msg)])  # noqa: E731
    try:
        if os.path.getsize(path) > MAX_BYTES:
            return fail(None, f"ไฟล์ใหญ่เกิน {MAX_BYTES // 1_000_000} MB: ไฟล์ตัวชี้วัดควรมีขนาดไม่กี่ kB "
                              f"(file larger than {MAX_BYTES} bytes)")
        raw = path.read_bytes()
    except OSError as exc:
        return fail(None, f"อ่านไฟล์ไม่ได้ (cannot read file): {exc.strerror}")
    text, problem = decode(raw)
    if problem:
        return fail(*problem)
    if not text.strip():
        return fail(1, "ไฟล์ว่าง: ต้องมีข้อมูลตัวชี้วัด (the file is empty)")
    try:
        data = yaml.load(text, Loader=ContentLoader)
    except yaml.constructor.ConstructorError as exc:  # our refusals: aliases, duplicate keys
        line = _first_alias_line(text) if "alias" in str(exc.problem) else exc.problem_mark.line + 1
        return fail(line, exc.problem)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        column = mark.column + 1 if mark else "?"
        return fail(mark.line + 1 if mark else None,
                    f"รูปแบบ YAML ไม่ถูกต้องที่คอลัมน์ {column}: ตรวจเครื่องหมายคำพูด ทวิภาค (:) และการย่อหน้า"
                    f"ในบรรทัดนี้หรือบรรทัดก่อนหน้า (YAML syntax error, column {column}: "
                    f"{exc.problem or exc.context})")
    except (yaml.YAMLError, RecursionError, ValueError, ArithmeticError) as exc:
        return fail(None, f"รูปแบบ YAML ไม่ถูกต้อง (YAML error): {exc}")
    if not isinstance(data, dict):
        return fail(1, "ไฟล์ต้องเป็นชุดของ 'ชื่อช่อง: ค่า' (expected a mapping of field: value), "
                       f"ไม่ใช่ {type(data).__name__}")
    return Source(path, rel, text, data, digest(raw)), []


def _first_alias_line(text: str) -> int | None:
    """The line of the first alias (*name): the parsed node only knows where its anchor is."""
    try:
        for token in yaml.scan(text, Loader=ContentLoader):
            if isinstance(token, yaml.AliasToken):
                return token.start_mark.line + 1
    except yaml.YAMLError:
        pass
    return None


def decode(raw: bytes) -> tuple[str, tuple[int | None, str] | None]:
    """UTF-8 text, or the line and message of why it is not UTF-8."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "", (1, "ไฟล์เข้ารหัสแบบ UTF-16: บันทึกใหม่เป็น UTF-8 (file is UTF-16, not UTF-8)")
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        guess = ""
        try:
            if re.search("[\u0e01-\u0e5b]", raw.decode("cp874")):
                guess = (" ดูเหมือนเข้ารหัสแบบภาษาไทยเก่า TIS-620/cp874 (looks like TIS-620/cp874)"
                         ": เปิดด้วยการเข้ารหัสนั้นแล้วบันทึกใหม่เป็น UTF-8")
        except UnicodeDecodeError:
            pass
        return "", (line, "ไฟล์ไม่ได้เข้ารหัสแบบ UTF-8 (file is not UTF-8)." + guess)


def find_line(text: str, field_path: tuple = ()) -> int | None:
    """The 1-based line of the field at `field_path`, or of the deepest part of it that exists."""
    try:
        node = yaml.compose(text, Loader=ContentLoader)
    except yaml.YAMLError:
        return None
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in field_path:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if match is None:
                break
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) \
                and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def relative(path: Path, root: Path) -> str:
    """A path relative to the project root with forward slashes (or as given, if outside)."""
    try:
        return Path(os.path.relpath(path, root)).as_posix()
    except ValueError:
        return path.as_posix()


def find_yaml_files(folder: Path, root: Path) -> tuple[list[Path], list[Problem]]:
    """All YAML files under `folder`, sorted; symlinks that lead outside it are refused."""
    files: list[Path] = []
    problems: list[Problem] = []
    if not folder.is_dir():
        return files, problems
    inside = folder.resolve()
    seen_dirs: set[Path] = set()
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        real = Path(dirpath).resolve()
        if not real.is_relative_to(inside) or real in seen_dirs:
            problems.append(Problem(relative(Path(dirpath), root), None, "",
                                    "ลิงก์ (symlink) ชี้ออกนอกโฟลเดอร์เนื้อหาหรือวนซ้ำ: ไม่อ่าน "
                                    "(symlink leads outside the content folder, or loops)"))
            dirnames[:] = []
            continue
        seen_dirs.add(real)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or not name.endswith(YAML_SUFFIXES):
                continue
            path = Path(dirpath, name)
            if not path.resolve().is_relative_to(inside):
                problems.append(Problem(relative(path, root), None, "",
                                        "ลิงก์ (symlink) ชี้ออกนอกโฟลเดอร์เนื้อหา: ไม่อ่าน "
                                        "(symlink leads outside the content folder)"))
                continue
            files.append(path)
    return files, problems
