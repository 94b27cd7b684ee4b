"""A fast reader for the YAML layout that kpisite writes; any other file is left to libyaml.

Reading a file through libyaml costs about 0.2 ms, mostly in building PyYAML's node objects:
at 10,000 files, a fifth of a build. This reader knows only the forms that scaffold.py writes
(`new`, `import`): block mappings and sequences, plain and simply quoted scalars, `[a, b]`,
`|` blocks and comments. At anything else it gives up (None), and libyaml reads the file and
reports its errors. Where it answers, it answers exactly as libyaml (load.parse_with_libyaml):
tests/test_quickyaml.py compares the two on generated and on edited files.

One regex cuts the whole file into lines (a `|` line with its block) in one call; the Python
that follows only nests them, since per-line Python work is what such a reader costs.
"""
from __future__ import annotations

import re
from typing import Any, Callable

# Characters that libyaml reads differently (tabs, CR, NEL and other line breaks, BOM) or
# refuses (control characters, non-characters): any of them and libyaml reads the file.
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")
# Each line that is not blank or a comment: its indentation, a dash ("- "), a key, then either
# "|" and the block below it (the lines indented deeper, and blank ones) or the rest of the line.
_LINE = re.compile(r"^( *)(?=[^ #\n])(-(?: +|$))?(?:([A-Za-z_][A-Za-z0-9_]{0,63}):(?: +|$))?"
                   r"(?:(\|)(?: +#.*| *)\n((?:(?:\1 .*| *)\n)*)|(.*)\n)", re.M)
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")  # what a plain scalar may not start with
_END = r"(?: +#.*| *)"  # what may follow a value on its line: spaces, then a comment
_QUOTED = re.compile(r"""(?:"([^"\\]*)"|'([^']*)')""" + _END)
_FLOW = re.compile(r"\[([-+.0-9A-Za-z_ ,]*)\]" + _END)


def plain(text: str) -> bool:
    """Whether `text`, unquoted, reads as itself: no indicator first (but a dash then no space
    is plain: "-5", "-x"), no ": " or " #" inside, not ending in ":" or a space, one line.
    Only for text without UNSAFE characters (read() has looked for them in the whole file).
    scaffold.py writes text unquoted when it is plain. (String tests: the same rule as a
    regex look-ahead cost 1 µs for each long Thai value.)"""
    if not text or text[0].isspace() or text[-1].isspace() or text[-1] == ":":
        return False
    if ": " in text or " #" in text or "\t" in text or "\n" in text or "\r" in text:
        return False
    if text[0] in _INDICATORS:
        return text[0] == "-" and len(text) > 1 and not text[1].isspace()
    return True


class _GiveUp(Exception):
    """The text strays from the layout: libyaml reads it."""


def read(text: str, plain_value: Callable[[str], Any]) -> dict | None:
    """The mapping in `text`, or None if the text is not in the simple layout.

    `plain_value` types unquoted scalars (load.plain_value), as it does libyaml's.
    """
    if not text.endswith("\n") or UNSAFE.search(text):
        return None
    try:
        data = _Reader(_LINE.findall(text), plain_value).mapping(0)
    except _GiveUp:
        return None
    return data or None


class _Reader:
    """Nests the lines from `at` on; each is (indentation, dash, key, "|", block, rest)."""

    def __init__(self, lines: list[tuple[str, ...]], plain_value: Callable[[str], Any]):
        self.lines, self.plain_value, self.at = lines, plain_value, 0

    def mapping(self, indent: int) -> dict:
        data: dict = {}
        lines = self.lines
        while self.at < len(lines):
            spaces, dash, key, bar, block, rest = lines[self.at]
            if len(spaces) < indent:
                break
            if len(spaces) > indent or dash or not key or key in data:  # libyaml reports duplicates
                raise _GiveUp
            self.at += 1
            if bar:
                data[key] = _literal(block, indent)
            elif not rest or rest[0] == "#":
                data[key] = self._nested(indent)
            else:
                data[key] = self._inline(rest)
        return data

    def sequence(self, indent: int) -> list:
        items: list = []
        lines = self.lines
        while self.at < len(lines):
            spaces, dash, key, bar, block, rest = lines[self.at]
            if len(spaces) < indent:
                break
            if len(spaces) > indent or not dash:
                raise _GiveUp
            if key:  # "- key: value": a mapping whose keys line up after the dash
                inner = indent + len(dash)
                lines[self.at] = (" " * inner, "", key, bar, block, rest)
                items.append(self.mapping(inner))
            else:
                self.at += 1
                items.append(self._inline(rest))
        return items

    def _nested(self, indent: int) -> Any:
        """The value of a key with nothing after it: a block below it, or null."""
        if self.at == len(self.lines):
            return None
        spaces, dash = self.lines[self.at][:2]
        if len(spaces) < indent:
            return None
        if dash:
            return self.sequence(len(spaces))  # a sequence may line up with its key
        return None if len(spaces) == indent else self.mapping(len(spaces))

    def _inline(self, rest: str) -> Any:
        """A value on the key's (or dash's) own line."""
        first = rest[:1]
        if first == '"' or first == "'":
            match = _QUOTED.fullmatch(rest)
            if match is None:
                raise _GiveUp
            return match[1] if match[1] is not None else match[2]
        if first == "[":
            match = _FLOW.fullmatch(rest)
            if match is None:
                raise _GiveUp
            items = [item.strip(" ") for item in match[1].split(",")]
            return [] if items == [""] else [self._plain(item) for item in items]
        # (a deeper line below, a continuation, makes mapping() or sequence() give up)
        return self._plain(rest.split(" #", 1)[0].rstrip(" "))

    def _plain(self, text: str) -> Any:
        if plain(text):
            return self.plain_value(text)
        raise _GiveUp


def _literal(block: str, indent: int) -> str:
    """A `|` block: its lines without the margin, and one final line break ("clip")."""
    lines = block.split("\n")[:-1]
    text = lines[0].lstrip(" ") if lines else ""
    margin = len(lines[0]) - len(text) if lines else 0
    if not text or margin <= indent:
        raise _GiveUp  # empty, or starting with a blank line: rare, left to libyaml
    prefix = " " * margin
    for line in lines:  # rare cases, left to libyaml:
        if line.strip(" "):
            if not line.startswith(prefix):
                raise _GiveUp  # a line indented less, which ends the block
        elif len(line) > margin:
            raise _GiveUp  # spaces beyond the margin on a blank line (trailing ones too): content
    while not lines[-1].strip(" "):  # trailing blank lines are not part of it
        lines.pop()
    return "\n".join([line[margin:] for line in lines]) + "\n"
