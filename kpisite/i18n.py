"""Words: every text a reader or an editor sees comes from a gettext catalogue, never from code.

The message ids are English; `locale/<lang>/LC_MESSAGES/messages.po` holds a language's
translations (Thai is the site's own language), so translators use ordinary tools (Poedit,
Weblate). `locale/messages.pot` is extracted from the code and templates by Babel (see
CONTRIBUTING). Placeholders are Python's `%(name)s`.

In Python, `_()` makes a Message, a text not yet in any language: problems are printed in Thai
with the English after it (`bilingual`), pages in the language being built. In templates,
`_()` is translated when the template is compiled (see render.py), so it costs nothing per page.
Month names come from CLDR (Babel); the shape of dates, numbers with units and the like are
messages too.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"  # the language of the message ids
BE_OFFSET = 543


def N_(msgid: str) -> str:
    """Marks a message id for extraction, where it is translated later (tables of labels)."""
    return msgid


@dataclass(frozen=True)
class Message:
    """A text in no language yet: a message id and the values for its placeholders (which may
    be Messages themselves: they are shown in the same language)."""

    msgid: str
    values: tuple = ()
    context: str | None = None

    def __add__(self, other: Message) -> Joined:
        return Joined((self, other))

    def text(self, words: Words) -> str:
        values = {k: v.text(words) if isinstance(v, (Message, Joined)) else v
                  for k, v in self.values}
        return words.pgettext(self.context, self.msgid, **values)


@dataclass(frozen=True)
class Joined:
    """Messages shown one after the other."""

    parts: tuple

    def __add__(self, other: Message) -> Joined:
        return Joined(self.parts + (other,))

    def text(self, words: Words) -> str:
        return "".join(part.text(words) for part in self.parts)


def _(msgid: str, **values: Any) -> Message:
    """A message to show later, in whatever language it is shown in."""
    return Message(msgid, tuple(sorted(values.items())))


def p_(context: str, msgid: str, **values: Any) -> Message:
    """A message with a context, for an English word that has more than one translation."""
    return Message(msgid, tuple(sorted(values.items())), context)


class Words:
    """One language's translations, and its ways of writing dates and numbers with units."""

    def __init__(self, lang: str, translations: dict[tuple[str | None, str], str]):
        self.lang = lang
        self.translations = translations
        # Translators: the units that this language writes before their number (Thai:
        # ร้อยละ 80, ระดับ 5), separated by |; every other unit follows its number.
        self._prefix_units = frozenset(
            self.pgettext("number with unit", "Units written before the number, "
                          "separated by |").split("|")) - {""}

    def gettext(self, msgid: str, **values: Any) -> str:
        return self.pgettext(None, msgid, **values)

    __call__ = gettext

    def pgettext(self, context: str | None, msgid: str, **values: Any) -> str:
        text = self.translations.get((context, msgid)) or msgid
        return text % values if values else text

    def message(self, text: Message | Joined | str) -> str:
        return text if isinstance(text, str) else text.text(self)

    def table(self, labels: dict[str, str]) -> dict[str, str]:
        """A table of message ids (statuses, types), translated."""
        return {key: self.gettext(label) for key, label in labels.items()}

    # -- dates and numbers --------------------------------------------------------------------
    def month(self, month: int, short: bool = False) -> str:
        return _months(self.lang, "abbreviated" if short else "wide")[month - 1]

    def date(self, day: dt.date, short: bool = False) -> str:
        """A date as this language writes it: '23 พฤศจิกายน 2569', '1 Oct 2020'."""
        # Translators: %(year)s is the Common Era year, %(be_year)s the Buddhist Era year.
        form = (self.pgettext("date", "%(day)s %(month_short)s %(year)s") if short
                else self.pgettext("date", "%(day)s %(month)s %(year)s"))
        return form % {"day": day.day, "month": self.month(day.month),
                       "month_short": self.month(day.month, short=True), "year": day.year,
                       "be_year": day.year + BE_OFFSET}

    def year(self, day: dt.date) -> str:
        """The year of a date as this language counts it (Thai: the Buddhist Era)."""
        # Translators: the year alone; %(be_year)s is the Buddhist Era year.
        return self.pgettext("date", "%(year)s") % {"year": day.year,
                                                    "be_year": day.year + BE_OFFSET}

    def size(self, count: int) -> str:
        """A file's size: '920 B', '12.5 kB', '3.4 MB' (decimal units, as file managers show)."""
        for unit, scale in (("MB", 10 ** 6), ("kB", 10 ** 3)):
            if count >= scale:
                return f"{count / scale:,.1f} {unit}"
        return f"{count} B"

    def with_unit(self, number: str, unit: str) -> str:
        """A number and its unit in this language's order: 'ร้อยละ 80' but '15 นาที'."""
        if not unit:
            return number
        return f"{unit} {number}" if unit in self._prefix_units else f"{number} {unit}"


@cache
def _months(lang: str, width: str) -> tuple[str, ...]:
    from babel.dates import get_month_names

    names = get_month_names(width, locale=lang)
    return tuple(names[m] for m in range(1, 13))


def read_catalogue(path: Path) -> dict[tuple[str | None, str], str]:
    """The translations in a .po file, keyed by (context, message id); untranslated left out."""
    from babel.messages.pofile import read_po

    with open(path, "rb") as f:
        catalog = read_po(f)
    return {(m.context, m.id): m.string for m in catalog
            if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


def catalogue_path(lang: str, folder: Path = LOCALE_DIR) -> Path:
    return folder / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def languages(folder: Path = LOCALE_DIR) -> list[str]:
    """The languages that have a catalogue, and the language of the message ids."""
    found = sorted(p.parent.parent.name for p in folder.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return found if SOURCE_LANGUAGE in found else [*found, SOURCE_LANGUAGE]


def load(lang: str, folder: Path = LOCALE_DIR, site: Path | None = None) -> Words:
    """The Words of a language (the source language needs no catalogue); `site`: a site's own
    words (`locale/<lang>.po` in the site's folder: its office's names, its plan's name)
    replace kpisite's where it has them."""
    translations = {}
    for path in (catalogue_path(lang, folder), site and site / f"{lang}.po"):
        if path and path.is_file():
            translations.update(read_catalogue(path))
    return Words(lang, translations)


@cache
def standard(lang: str) -> Words:
    """The catalogue shipped with kpisite, read once: for messages printed by the commands.
    (Pages take their words from the theme, which the preview server reloads.)"""
    return load(lang)


def bilingual(text: Message | Joined | str) -> str:
    """A message for editors: in Thai, then in English in parentheses."""
    if isinstance(text, str):
        return text
    thai, english = standard("th").message(text), standard(SOURCE_LANGUAGE).message(text)
    return thai if thai == english else f"{thai} ({english})"
