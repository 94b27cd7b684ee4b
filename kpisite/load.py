"""Find and read content files: UTF-8 text, YAML without YAML 1.1 surprises, and line numbers.

Files in the layout kpisite writes are read by quickyaml; others by libyaml, whose nodes a small
converter turns into data. Only when a file has a problem are nodes composed again (once per
file), to find the line of the offending field.
"""
from __future__ import annotations

import codecs
import hashlib
import os
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from . import quickyaml
from .diagnostics import Problem, field_name
from .i18n import Message, _, bilingual

MAX_BYTES = 1_000_000  # an indicator file is a few kB; anything this big is a mistake
MAX_DEPTH = 40  # levels of nesting: a strategy tree has four or five, an indicator three
YAML_SUFFIXES = (".yaml", ".yml")

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_TAGS = "tag:yaml.org,2002:"
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {"true", "True", "TRUE", "false", "False", "FALSE"}
_PLAIN = "plain"  # the tag `resolve` gives plain scalars; not a YAML tag, so never written


class ContentLoader(_Base):
    """A safe YAML loader for content: YAML 1.2-like scalars (typed by `plain_value`).

    libyaml asks `resolve` for the tag of every node without an explicit one. It only marks
    plain scalars: mapping keys never need typing, so values are typed as they are converted.
    """

    def resolve(self, kind, value, implicit):
        if kind is yaml.ScalarNode:
            return _PLAIN if implicit[0] else _TAGS + "str"
        return _TAGS + ("seq" if kind is yaml.SequenceNode else "map")


def plain_value(value: str) -> Any:
    """An unquoted scalar: only true/false are booleans (not yes/no/on/off), dates stay
    strings, numbers with a leading zero stay strings (agency code 0700), and decimals keep
    their written digits (2.00)."""
    if value in _NULLS:
        return None
    if value in _BOOLS:
        return value.lower() == "true"
    if value[0] in "-+0123456789.":
        if _INT.fullmatch(value):
            return int(value)
        if _FLOAT.fullmatch(value):
            return Decimal(value)
    return value


class RefusedYAML(ValueError):
    """YAML that parses but that content files do not allow (aliases, duplicate keys, tags)."""

    def __init__(self, message: Message, node):
        super().__init__(message.msgid)
        self.message = message
        self.line = node.start_mark.line + 1 if node is not None else None


def parse_yaml(text: str) -> Any:
    """YAML text to Python: the layout kpisite writes is read by quickyaml, anything else by
    libyaml (parse_with_libyaml); both give the same data."""
    data = quickyaml.read(text, plain_value)
    return parse_with_libyaml(text) if data is None else data


def parse_with_libyaml(text: str) -> Any:
    """libyaml builds the nodes, and this small converter builds the data.

    Faster than PyYAML's constructor, and it refuses aliases (and so alias bombs), duplicate
    keys and explicit tags such as !!python/object.
    """
    root = yaml.compose(text, Loader=ContentLoader)
    return None if root is None else _convert(root, set())


def _convert(node, seen: set[int]) -> Any:
    if id(node) in seen:  # libyaml hands back the anchored node itself for an alias
        raise RefusedYAML(_("YAML aliases (*name) are not allowed in content files: write the "
                            "value again instead"), None)
    seen.add(id(node))
    tag = node.tag
    if isinstance(node, yaml.ScalarNode):
        value = node.value
        if tag == _PLAIN:
            return plain_value(value)
        if tag == _TAGS + "str":
            return value
        if tag in (_TAGS + "int", _TAGS + "float"):  # a number, written as plain numbers are
            number = plain_value(value.strip())
            if isinstance(number, (int, Decimal)) and not isinstance(number, bool):
                return number
            raise RefusedYAML(_("%(tag)s needs a number written in digits, not %(value)s "
                                "(NaN and infinity are not values here)", tag=tag.replace(
                                    _TAGS, "!!"), value=repr(value)), node)
        if tag == _TAGS + "null":
            return None
        if tag == _TAGS + "bool":
            return value.lower() == "true"
    elif isinstance(node, yaml.MappingNode) and tag == _TAGS + "map":
        data: dict = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise RefusedYAML(_("a field's name must be plain text"), key_node)
            key = key_node.value
            if key in data:
                raise RefusedYAML(_("the field '%(key)s' is there twice: remove one",
                                    key=key), key_node)
            data[key] = _convert(value_node, seen)
        return data
    elif isinstance(node, yaml.SequenceNode) and tag == _TAGS + "seq":
        return [_convert(item, seen) for item in node.value]
    raise RefusedYAML(_("YAML tags such as %(tag)s are not allowed", tag=tag), node)


@dataclass
class Source:
    """One content file, read and parsed."""

    path: Path  # absolute
    rel: str  # relative to the project root, for messages and links
    text: str
    data: Any
    digest: str  # of the bytes: decides whether cached work can be reused

    @cached_property
    def nodes(self):
        """The YAML nodes, with their positions: composed only when a problem needs a line."""
        return compose(self.text)

    def line_of(self, field_path: tuple = ()) -> int | None:
        """The line of a field (or of its nearest existing parent)."""
        return line_in(self.nodes, field_path)

    def problem(self, field_path: tuple, message: Message, severity: str = "error",
                note: str = "") -> Problem:
        """A problem at a field of this file, with its line; `note` follows the message in
        both languages (the schema's hint for the field, in the editors' language)."""
        text = bilingual(message) + (f". {note}" if note else "")
        return Problem(self.rel, self.line_of(field_path), field_name(field_path), text,
                       severity)


def digest(data: bytes) -> str:
    """The content hash used for caching."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def prefetch(paths: list[Path]) -> None:
    """Ask the kernel to read `paths` from disk now, all at once, rather than one by one as
    they are parsed: the reads overlap each other and the work (see README, Speed)."""
    advise = getattr(os, "posix_fadvise", None)
    for path in paths if advise else ():
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO: no waiting for a writer
        except OSError:
            continue  # read_source reports it
        try:
            advise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
        except OSError:
            pass  # only a hint
        finally:
            os.close(fd)


def read_source(path: Path, root: Path) -> tuple[Source | None, list[Problem]]:
    """Read and parse one YAML file; on failure, the problems say why in the editor's terms."""
    rel = relative(path, root)
    fail = lambda line, msg: (None, [Problem(rel, line, "", bilingual(msg))])  # noqa: E731
    try:
        if os.path.getsize(path) > MAX_BYTES:
            return fail(None, _("the file is larger than %(mb)s MB: an indicator file is a few kB",
                                mb=MAX_BYTES // 1_000_000))
        raw = path.read_bytes()
    except OSError as exc:
        return fail(None, _("cannot read the file: %(reason)s", reason=exc.strerror))
    return parse_source(raw, path, rel)


def parse_source(raw: bytes, path: Path, rel: str) -> tuple[Source | None, list[Problem]]:
    """Parse the bytes of a YAML file (read from `path`, or about to be written there)."""
    fail = lambda line, msg: (None, [Problem(rel, line, "", bilingual(msg))])  # noqa: E731
    text, problem = decode(raw)
    if problem:
        return fail(*problem)
    if not text.strip():
        return fail(1, _("the file is empty: it must hold an indicator's data"))
    try:
        data = quickyaml.read(text, plain_value)  # its layout holds no control character
        if data is None:
            data = parse_with_libyaml(text)
            control = _control_character(data)
            if control:
                where, char = control
                line = line_in(compose(text), where)
                return None, [Problem(rel, line, field_name(where), bilingual(_(
                    "a control character (%(char)s) is not text: remove it", char=char)))]
    except RefusedYAML as exc:
        return fail(exc.line or _first_alias_line(text), exc.message)
    except yaml.MarkedYAMLError as exc:
        return fail(*_syntax_error(exc))
    except RecursionError:
        return fail(None, _("the file nests more than %(levels)s levels deep", levels=MAX_DEPTH))
    except (yaml.YAMLError, ArithmeticError, ValueError) as exc:
        return fail(None, _("YAML error: %(detail)s", detail=str(exc)))
    if _depth(data) > MAX_DEPTH:
        return fail(None, _("the file nests more than %(levels)s levels deep", levels=MAX_DEPTH))
    if not isinstance(data, dict):
        return fail(1, _("expected a mapping of 'field: value', not %(type)s",
                         type=type(data).__name__))
    return Source(path, rel, text, data, digest(raw)), []


def _syntax_error(exc: yaml.MarkedYAMLError) -> tuple[int | None, Message]:
    """The line of a YAML syntax error, and what to look for."""
    mark, context = exc.problem_mark or exc.context_mark, exc.context_mark
    column = mark.column + 1 if mark else "?"
    message = _("YAML syntax error at column %(column)s: check the quotes, brackets, colons (:) "
                "and indentation on this line or the ones before it (%(detail)s)", column=column,
                detail=exc.problem or exc.context)
    if context and mark and context.line != mark.line and any(
            word in (exc.context or "") for word in ("flow", "quoted")):  # [ or " left open
        message += _("; this part begins on line %(line)s (%(what)s)", line=context.line + 1,
                     what=exc.context)
    return (mark.line + 1 if mark else None), message


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def _control_character(data: Any) -> tuple[tuple, str] | None:
    """Where a text holds a control character (written as an escape, as "\\x01"), and which."""
    todo = [((), data)]
    while todo:
        path, value = todo.pop()
        if isinstance(value, str):
            found = _CONTROL.search(value)
            if found:
                return path, f"U+{ord(found[0]):04X}"
        elif isinstance(value, dict):
            todo += [(path + (k,), v) for k, v in value.items()]
            todo += [(path, k) for k in value]  # a key, too
        elif isinstance(value, list):
            todo += [(path + (i,), v) for i, v in enumerate(value)]
    return None


def _depth(data: Any) -> int:
    """How deep mappings and lists nest (without recursion: a hostile file can nest deeper
    than Python's stack)."""
    deepest, todo = 0, [(data, 1)]
    while todo:
        value, depth = todo.pop()
        children = value.values() if isinstance(value, dict) else value \
            if isinstance(value, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > MAX_DEPTH:
                    return depth + 1
                todo.append((child, depth + 1))
        deepest = max(deepest, depth)
    return deepest


def _first_alias_line(text: str) -> int | None:
    """The line of the first alias (*name): the parsed node only knows where its anchor is."""
    try:
        for token in yaml.scan(text, Loader=ContentLoader):
            if isinstance(token, yaml.AliasToken):
                return token.start_mark.line + 1
    except yaml.YAMLError:
        pass
    return None


def decode(raw: bytes) -> tuple[str, tuple[int | None, Message] | None]:
    """UTF-8 text, or the line and message of why it is not UTF-8."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "", (1, _("the file is UTF-16: save it again as UTF-8"))
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        message = _("the file is not UTF-8")
        try:
            if re.search("[\u0e01-\u0e5b]", raw.decode("cp874")):
                message += _("; it looks like the old Thai encoding TIS-620/cp874: open it in "
                             "that encoding and save it again as UTF-8")
        except UnicodeDecodeError:
            pass
        return "", (line, message)


def compose(text: str):
    """The YAML node tree of `text`, or None if it does not parse."""
    try:
        return yaml.compose(text, Loader=ContentLoader)
    except yaml.YAMLError:
        return None


def find_line(text: str, field_path: tuple = ()) -> int | None:
    """The 1-based line of the field at `field_path`, or of the deepest part of it that exists."""
    return line_in(compose(text), field_path)


def line_in(node, field_path: tuple = ()) -> int | None:
    """find_line() on an already composed node tree."""
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


def inside_content(path: Path, content: Path) -> bool:
    """Whether `path`, with every symlink followed, is in the content folder (and exists)."""
    try:
        return path.resolve(strict=True).is_relative_to(content.resolve())
    except (OSError, RuntimeError):  # missing, or a symlink loop
        return False


def find_yaml_files(folder: Path, root: Path, content: Path | None = None
                    ) -> tuple[list[Path], list[Problem]]:
    """All YAML files under `folder`, sorted; symlinks that lead outside it (or, when `folder`
    is itself a symlink, outside `content`) are refused."""
    files: list[Path] = []
    problems: list[Problem] = []
    if not folder.is_dir():
        return files, problems
    if content is not None and not inside_content(folder, content):
        return files, [Problem(relative(folder, root), None, "", bilingual(_(
            "a symlink that leads outside the content folder: not read")))]
    inside = folder.resolve()
    refuse = lambda path, msg: problems.append(  # noqa: E731
        Problem(relative(path, root), None, "", bilingual(msg)))
    seen: set[Path] = {inside}

    def walk(directory: Path) -> None:
        with os.scandir(directory) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            # Only a symlink can lead elsewhere: resolving every path would cost a stat per part.
            try:
                real = path.resolve(strict=True) if entry.is_symlink() else None
            except (OSError, RuntimeError):  # a loop, or a link to nothing
                refuse(path, _("a symlink that loops or leads nowhere: not read"))
                continue
            if real is not None and not real.is_relative_to(inside):
                refuse(path, _("a symlink that leads outside the content folder: not read"))
            elif entry.is_dir():
                if real is not None and real in seen:
                    refuse(path, _("a symlink that leads outside the content folder, or loops: "
                                   "not read"))
                    continue
                seen.add(real or path)
                walk(path)
            elif entry.name.lower().endswith(YAML_SUFFIXES) and entry.is_file():
                files.append(path)

    walk(inside)
    return files, problems
