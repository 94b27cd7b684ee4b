"""`check --untranslated en`: the content's texts that have no English yet (a field's twin
`<name>_en` empty while the field has a text), so a translator knows what is left. Nothing
is filled in: a missing English text is shown as the Thai, marked as Thai."""
from __future__ import annotations

from . import fields
from .diagnostics import UsageError
from .gather import Project, Reader, load_site
from .i18n import _, bilingual
from .load import find_yaml_files, relative
from .theme import Theme

SITE_TEXTS = ("title", "description", "organization", "system_name")


def missing(project: Project, theme: Theme, lang: str) -> list[str]:
    """'file: field' of every text without its translation into `lang`."""
    if lang != "en":
        raise UsageError(bilingual(_("the content carries translations into en only, not "
                                     "%(lang)s", lang=lang)))
    site, _problems = load_site(project, theme)
    if site is None:
        return []  # check reports why
    found = [f"content/site.yaml: {name}_{lang}" for name in SITE_TEXTS
             if getattr(site, name) and not getattr(site, f"{name}_{lang}")]
    found += [f"content/agencies.yaml: agencies[{a.code}].name_{lang}"
              for a in site.agencies.values() if a.name and not a.name_en]
    found += [f"content/strategy.yaml: nodes[{n.number}].name_{lang}"
              for n in site.strategy.walk() if n.name and not n.name_en]
    reader = Reader(project, site, theme)
    for path in find_yaml_files(project.indicators, project.root, project.content)[0]:
        ind = reader.read(path)[1]
        if ind is not None:
            found += [f"{relative(path, project.root)}: {where}" for where in _texts(ind, lang)]
    return found


def _texts(obj, lang: str, table: tuple = fields.FIELDS, at: str = "") -> list[str]:
    """The translatable fields of `obj` (and of its rows) with a text and no twin."""
    out = []
    for f in table:
        value = getattr(obj, f.key, None)
        if f.translatable and value and not getattr(obj, f"{f.key}_{lang}", None):
            out.append(f"{at}{f.name}_{lang}")
        elif f.kind == "rows" and value:
            for i, row in enumerate(value, 1):
                out += _texts(row, lang, f.parts, f"{at}{f.name}[{i}].")
    return out
