"""A fast reader for the YAML layout that kpisite writes; any other file is left to libyaml.

Reading a file through libyaml costs about 0.2 ms, mostly in building PyYAML's node objects:
at 10,000 files, a fifth of a build. This reader knows only the forms that scaffold.py writes
(`new`, `import`): block mappings and sequences, plain and simply quoted scalars, `[a, b]`,
`|` blocks and comments. At anything else it gives up (None), and libyaml reads the file and
reports its errors. Where it answers, it answers exactly as libyaml (load.parse_with_libyaml):
tests/test_quickyaml.py compares the two on generated and on edited files.
"""
from __future__ import annotations

import re
from typing import Any, Callable

# Characters that libyaml reads differently (tabs, CR, NEL and other line breaks, BOM) or
# refuses (control characters, non-characters): any of them and libyaml reads the file.
_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")
# The next line that is not blank or a comment: its indentation, a dash ("- "), a key, the rest.
_LINE = re.compile(r"^( *)(?=[^ #\n])(-(?: +|$))?(?:([A-Za-z_][A-Za-z0-9_]{0,63}):(?: +|$))?(.*)$",
                   re.M)
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")  # what a plain scalar may not start with
_END = r"(?: +#.*| *)"  # what may follow a value on its line: spaces, then a comment
_QUOTED = re.compile(r"""(?:"([^"\\]*)"|'([^']*)')""" + _END)
_FLOW = re.compile(r"\[([-+.0-9A-Za-z_ ,]*)\]" + _END)
_LITERAL = re.compile(r"\|" + _END)
# A `|` block's lines: the first sets the margin; then lines with it, or blank ones.
_BLOCK = re.compile(r"( +)[^ \n].*\n(?:\1.*\n| *\n)*")


def plain(text: str) -> bool:
    """Whether `text`, unquoted, reads as itself: no indicator first (but a dash then no space
    is plain: "-5", "-x"), no ": " or " #" inside, not ending in ":" or a space, one line.
    scaffold.py writes text unquoted when it is plain. (String tests: a regex look-ahead did
    the same at 1 µs a value, for long Thai texts: a third of the reading.)"""
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
    if not text.endswith("\n") or _UNSAFE.search(text):
        return None
    try:
        data = _Reader(text, plain_value).mapping(0)
    except _GiveUp:
        return None
    return data or None


class _Reader:
    """Reads from `pos` on; `line` holds the next line once looked at (indent, dash, key, rest)."""

    def __init__(self, text: str, plain_value: Callable[[str], Any]):
        self.text, self.plain_value, self.pos = text, plain_value, 0
        self.line: tuple[int, str | None, str | None, str] | None = None

    def _peek(self) -> tuple[int, str | None, str | None, str] | None:
        if self.line is None:
            match = _LINE.search(self.text, self.pos)
            if match is None:
                return None
            self.pos = match.end() + 1
            self.line = (len(match[1]), match[2], match[3], match[4])
        return self.line

    def mapping(self, indent: int) -> dict:
        data: dict = {}
        while (line := self._peek()) is not None and line[0] >= indent:
            column, dash, key, rest = line
            if column > indent or dash or key is None or key in data:  # libyaml reports duplicates
                raise _GiveUp
            self.line = None
            if not rest or rest[0] == "#":
                data[key] = self._nested(indent)
            elif _LITERAL.fullmatch(rest):
                data[key] = self._literal(indent)
            else:
                data[key] = self._inline(rest)
        return data

    def sequence(self, indent: int) -> list:
        items: list = []
        while (line := self._peek()) is not None and line[0] >= indent:
            column, dash, key, rest = line
            if column > indent or not dash:
                raise _GiveUp
            if key is not None:  # "- key: value": a mapping whose keys line up after the dash
                self.line = (column + len(dash), None, key, rest)
                items.append(self.mapping(column + len(dash)))
            else:
                self.line = None
                items.append(self._inline(rest))
        return items

    def _nested(self, indent: int) -> Any:
        """The value of a key with nothing after it: a block below it, or null."""
        line = self._peek()
        if line is None or line[0] < indent:
            return None
        if line[1]:
            return self.sequence(line[0])  # a sequence may line up with its key
        return None if line[0] == indent else self.mapping(line[0])

    def _inline(self, rest: str) -> Any:
        """A value on the key's (or dash's) own line."""
        first = rest[:1]
        if first == '"' or first == "'":
            match = _QUOTED.fullmatch(rest)
            if match is None:
                raise _GiveUp
            value = match[1] if match[1] is not None else match[2]
        elif first == "[":
            match = _FLOW.fullmatch(rest)
            if match is None:
                raise _GiveUp
            items = [item.strip(" ") for item in match[1].split(",")]
            value = [] if items == [""] else [self._plain(item) for item in items]
        else:
            value = self._plain(rest.split(" #", 1)[0].rstrip(" "))
        return value  # a deeper line below (a continuation) makes mapping() or sequence() give up

    def _plain(self, text: str) -> Any:
        if plain(text):
            return self.plain_value(text)
        raise _GiveUp

    def _literal(self, indent: int) -> str:
        """A `|` block: its lines without the margin, and one final line break ("clip")."""
        block = _BLOCK.match(self.text, self.pos)
        if block is None or len(block[1]) <= indent:
            raise _GiveUp  # empty, or starting with a blank line: rare, left to libyaml
        margin = len(block[1])
        lines = block[0].split("\n")[:-1]
        while not lines[-1].strip(" "):  # trailing blank lines are not part of it
            lines.pop()
        if any(len(line) > margin and not line.strip(" ") for line in lines):
            raise _GiveUp  # spaces beyond the margin on a blank line are content: rare
        self.pos = block.end()
        return "\n".join(line[margin:] for line in lines) + "\n"
