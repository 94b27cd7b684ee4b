"""The editor form (admin/): Decap CMS's configuration, made from the field table and the
schemas, never written by hand; and its local backend for `serve --edit`.

Decap CMS turns the configuration into a form: a widget per field, labelled and explained in
the catalogue's words, checking what it can as the editor types (required fields, patterns).
What it cannot check, `check` does on the pull request. Decap reads numbers as JavaScript
numbers (2.00 becomes 2) and writes its own YAML layout; `kpisite format` puts a saved file
back in kpisite's layout with the digits it had (tidy.formatted).
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from . import THEME, fields
from .diagnostics import UsageError
from .i18n import N_, _, bilingual

BUNDLE = THEME / "editor"  # decap-cms.js, its licences, and the lock files that pin it
SCRIPT_FILES = ("decap-cms.js", "decap-cms.js.LICENSE.txt", "LICENSE")
LOCAL_PORT = 8081  # Decap's own default: the form looks for its local backend there
LOCAL_URL = f"http://127.0.0.1:{LOCAL_PORT}/api/v1"
# Numbers are typed as text: Decap's number widget would drop the digits of 95.0000.
NUMBER_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
MAX_DEPTH = 6  # levels of the strategy tree the form nests (the BMA's has 4)
HIDDEN = frozenset({"imported"})  # provenance: written by `import`, kept as it is by the form


def config(site, words) -> dict:
    """Decap CMS's configuration for `site`, labels and hints in `words`' language."""
    t = words.gettext
    content = f"{site.repository_folder}/content" if site.repository_folder else "content"
    return {
        "locale": words.lang,
        "backend": backend(site),
        "publish_mode": "editorial_workflow",  # each saved entry: a branch and a pull request
        "local_backend": {"url": LOCAL_URL},  # used only where the form runs on 127.0.0.1
        "media_folder": f"{content}/static/images",
        "public_folder": "/images",
        **({"site_url": site.base_url} if site.base_url else {}),
        "collections": [indicators(site, words, content),
                        {"name": "site", "label": t(N_("Agencies and strategy")),
                         "files": [site_file(words, content, "agencies", N_("Agencies")),
                                   site_file(words, content, "strategy",
                                             N_("The strategy tree"))]}],
    }


def backend(site) -> dict:
    """Where saves go: site.yaml's `editor` (Decap's backend settings), else GitHub at the
    site's repository (its OAuth endpoint set in site.yaml; README, "The editor form")."""
    settings = dict(site.editor)
    name = settings.pop("backend", "github")
    repo = settings.pop("repo", "") or _repo_of(site.repository)
    return {"name": name, **({"repo": repo} if repo else {}), "branch": site.branch, **settings}


def _repo_of(url: str) -> str:
    """owner/name of a repository address (https://github.com/owner/name)."""
    parts = url.rstrip("/").split("/")
    return "/".join(parts[-2:]) if len(parts) >= 5 else ""


def indicators(site, words, content: str) -> dict:
    """The indicators: a file each, in the folder of its fiscal year."""
    t = words.gettext
    return {
        "name": "indicators", "label": t(N_("Indicators")),
        "label_singular": t(N_("Indicator")),
        "folder": f"{content}/indicators", "extension": "yaml", "format": "yaml",
        "path": "{{fiscal_year}}/{{slug}}", "slug": "{{code}}",
        "identifier_field": "code", "summary": "{{code}} {{name}} ({{fiscal_year}})",
        "create": True, "delete": False,
        "editor": {"preview": False},  # the preview is the site itself (serve --edit)
        "sortable_fields": ["code", "fiscal_year", "agency"],
        "view_groups": [{"label": t(N_("Fiscal year (B.E.)")), "field": "fiscal_year"},
                        {"label": t(N_("Agency code")), "field": "agency"}],
        "fields": [widget(f, site, words) for f in fields.FIELDS if f.name not in HIDDEN],
    }


def widget(f: fields.Field, site, words) -> dict:
    """The form's widget for one field of the table."""
    t = words.gettext
    label = t(N_("%(field)s, in English"), field=t(f.label)) if f.translation_of else t(f.label)
    out: dict[str, Any] = {"name": f.name, "label": label, "required": f.required}
    if f.hint:
        out["hint"] = t(f.hint)
    out.update(_kind_widget(f, site, words))
    return out


def _kind_widget(f: fields.Field, site, words) -> dict:
    t = words.gettext
    pattern = (f.schema or {}).get("pattern")
    if f.name == "agency":
        return {"widget": "select", "options": [
            {"value": a.code, "label": f"{a.code} {a.name}".strip()}
            for a in sorted(site.agencies.values(), key=lambda a: a.code)]}
    if f.kind == "nodes":
        return {"widget": "select", "multiple": True, "options": [
            {"value": n.number, "label": f"{n.number} {n.name}".strip()}
            for n in site.strategy.walk()]}
    if f.kind == "bool":
        return {"widget": "boolean", "default": fields.default(f)}
    if f.kind == "enum":
        return {"widget": "select", "options": [
            {"value": value, "label": t(label)} for value, label in f.choices.items()
            if value is not None]}
    if f.kind in ("number", "pair"):
        number = {"widget": "string", "pattern": [NUMBER_PATTERN, t(fields.DEFINITIONS[
            "number"][1])]}
        if f.kind == "number":
            return number
        return {"widget": "list", "field": {"name": "value", "label": t(f.label), **number},
                "max": 2, "collapsed": False, "summary": "{{fields.value}}"}
    if f.kind == "integer":
        # A pattern, not min and max: Decap checks those on an empty box too.
        low, high = f.schema.get("minimum", 0), f.schema.get("maximum", 20)
        return {"widget": "number", "value_type": "int", "step": 1, "pattern": [
            "^(" + "|".join(str(n) for n in range(low, high + 1)) + ")$",
            t(N_("A whole number from %(low)s to %(high)s"), low=low, high=high)]}
    if f.kind == "markdown":
        # Raw Markdown: the rich editor rewrites the agency's text (escapes, line breaks).
        return {"widget": "markdown", "modes": ["raw"], "buttons": [],
                "editor_components": []}
    if f.kind == "texts":
        return {"widget": "list", "field": {"name": "item", "label": t(f.label),
                                            "widget": "string"}}
    if f.kind in ("object", "rows"):
        return _rows_widget(f, site, words)
    return {"widget": "string", **({"pattern": [pattern, t(f.hint or f.label)]}
                                   if pattern else {})}


def _rows_widget(f: fields.Field, site, words) -> dict:
    """An object (the assessment) or a table of rows (quarters, the rubric's levels)."""
    parts = [widget(p, site, words) for p in f.parts]
    if f.kind == "object":
        return {"widget": "object", "collapsed": False, "fields": parts}
    first = f.parts[0].name
    out = {"widget": "list", "fields": parts, "summary": f"{{{{fields.{first}}}}}",
           "collapsed": False}
    if f.name == "quarters":  # four fixed rows, one a quarter of the fiscal year
        out.update(max=4, allow_reorder=False, default=[{"quarter": n} for n in (1, 2, 3, 4)])
    if f.name == "rubric":  # levels 5 to 1, as the BMA's forms list them
        out.update(default=[{"level": n} for n in (5, 4, 3, 2, 1)])
    return out


# -- agencies.yaml and strategy.yaml, from their schemas ------------------------------------

def site_file(words, content: str, kind: str, label: str) -> dict:
    from .validate import Schemas  # (validate imports the model, which imports the pages)

    schema = Schemas(THEME / "schema").schema(kind)  # kpisite's own: the content's contract
    return {"name": kind, "label": words.gettext(label), "file": f"{content}/{kind}.yaml",
            "format": "yaml", "fields": _object_fields(schema, schema, depth=0)}


def _object_fields(obj: dict, schema: dict, depth: int) -> list[dict]:
    return [_schema_widget(name, prop, schema, name in obj.get("required", []), depth)
            for name, prop in obj["properties"].items()]


def _resolved(prop: dict, schema: dict) -> dict:
    return schema["definitions"][prop["$ref"].rsplit("/", 1)[1]] if "$ref" in prop else prop


def _schema_widget(name: str, prop: dict, schema: dict, required: bool, depth: int) -> dict:
    """A widget from a JSON Schema property: strings, booleans, and lists of them or of
    objects; a `$ref` (the strategy tree's node) nests to the depth a form can hold."""
    prop = _resolved(prop, schema)
    out = {"name": name, "label": prop.get("title", name), "required": required}
    if prop.get("description"):
        out["hint"] = prop["description"]
    kinds = prop.get("type", "object")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "boolean" in kinds:
        return {**out, "widget": "boolean", "default": False}
    if "array" in kinds:
        item = _resolved(prop.get("items", {}), schema)
        if item.get("type", "object") != "object":
            return {**out, "widget": "list"}
        if depth >= MAX_DEPTH:  # deeper than a form can nest: edit strategy.yaml itself
            return {**out, "widget": "hidden"}
        return {**out, "widget": "list", "collapsed": True,
                "summary": "{{fields.number}}{{fields.code}} {{fields.name}}",
                "fields": _object_fields(item, schema, depth + 1)}
    out["widget"] = "string"
    if prop.get("pattern"):
        out["pattern"] = [prop["pattern"], prop.get("description") or prop.get("title", name)]
    return out


def config_text(site, words) -> str:
    """admin/config.yml (JSON, which YAML reads as it is)."""
    return json.dumps(config(site, words), ensure_ascii=False, indent=1) + "\n"


# -- the local backend -----------------------------------------------------------------------

def _cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "kpisite" / "decap-server"


def local_backend_command() -> list[str]:
    """The command that runs decap-server, installed (once) from the pinned lock file."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        raise UsageError(bilingual(_(
            "serve --edit needs Node.js and npm for the editor's local backend (e.g. apt-get "
            "install nodejs npm); the site itself needs neither")))
    lock = BUNDLE / "server"
    here = _cache()
    server = here / "node_modules" / "decap-server" / "dist" / "index.js"
    pinned = (lock / "package-lock.json").read_bytes()
    if not server.is_file() or (here / "package-lock.json").read_bytes() != pinned:
        here.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(lock / name, here / name)
        print(bilingual(_("installing the editor's local backend (decap-server) into %(dir)s",
                          dir=str(here))), flush=True)
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--omit=dev"], cwd=here,
                              stdout=subprocess.DEVNULL)
        if done.returncode != 0 or not server.is_file():
            raise UsageError(bilingual(_("npm could not install decap-server into %(dir)s",
                                         dir=str(here))))
    return [node, str(server)]


def repository_top(project, theme) -> Path:
    """The top of the repository, where the form's paths start: the content's parent, or
    above it when site.yaml's `repository_folder` says the site lies in a folder of it."""
    from .gather import load_site

    site, _problems = load_site(project, theme)
    folder = site.repository_folder if site else ""
    top = project.root
    for _part in filter(None, folder.split("/")):
        top = top.parent
    return top


def start_local_backend(repository: Path) -> subprocess.Popen:
    """decap-server on 127.0.0.1 only, writing files under `repository`; stopped by the
    caller (serve) when the preview stops."""
    command = local_backend_command()
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", LOCAL_PORT)) == 0:
            raise UsageError(bilingual(_(
                "port %(port)s is in use: the editor's local backend needs it (is another "
                "serve --edit running?)", port=LOCAL_PORT)))
    env = {**os.environ, "PORT": str(LOCAL_PORT), "BIND_HOST": "127.0.0.1", "MODE": "fs",
           "GIT_REPO_DIRECTORY": str(repository), "LOG_LEVEL": "warn"}
    process = subprocess.Popen(command, cwd=repository, env=env)
    for _attempt in range(100):  # up to 10 s for Node to start
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", LOCAL_PORT)) == 0:
                return process
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise UsageError(bilingual(_("the editor's local backend (decap-server) did not start")))
