"""What describes the downloads, for the machines that find and read them: the Frictionless
Data Package (a Table Schema for every CSV, with keys between the tables), a DCAT catalogue,
the metadata of the Thai government data catalogue (data.go.th: CKAN, thai_gdc schema), each
indicator page's schema.org Dataset, and robots.txt.

All of it comes from opendata.TABLES and site.yaml: licence, publisher, contact, and the
thai_gdc fields an office must choose itself (objective, update frequency, ...). Nothing here
states what no setting or content gives.
"""
from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from . import __version__, opendata
from .i18n import N_, standard

CSV_NOTE = N_(
    "CSV files are UTF-8 with a byte-order mark. A text cell that a spreadsheet would run as "
    "a formula (its first character that is not blank is =, + or @, or - with more after it) "
    "is written with ' before it; the JSON files carry every text exactly as written.")


def _url(site, path: str) -> str:
    """A file's address: absolute when the site has one, else relative to the site's top."""
    return f"{site.base_url}/{path}" if site.base_url else path


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1) + "\n"


def _licences(site) -> list[dict]:
    licence = site.licence
    if not licence:
        return []
    return [{k: v for k, v in (("name", licence.get("id")), ("path", licence.get("url")),
                               ("title", licence.get("name"))) if v}]


def _field(column, th, en) -> dict:
    out = {"name": column.name, "type": column.type, "title": th.message(column.heading),
           "description": th.message(column.text)}
    english = en.message(column.heading)
    return {**out, "title_en": english} if english != out["title"] else out


def _resource(table, data) -> dict:
    th, en = standard("th"), standard("en")
    path = f"data/{table.name}.csv"
    schema = {"fields": [_field(c, th, en) for c in table.columns], "missingValues": [""],
              "primaryKey": list(table.key)}
    if table.references:
        schema["foreignKeys"] = [{"fields": column, "reference": {"resource": other,
                                                                  "fields": its}}
                                 for column, other, its in table.references]
    return {"name": table.name, "path": f"{table.name}.csv", "profile": "tabular-data-resource",
            "title": th(table.title), "description": th(table.description),
            "format": "csv", "mediatype": "text/csv", "encoding": "utf-8-sig",
            "bytes": data.size(path), "schema": schema}


def datapackage(data) -> str:
    """data/datapackage.json: every CSV table, its columns typed and titled (Thai, English)."""
    site, th = data.cat.site, standard("th")
    package = {
        "profile": "tabular-data-package", "name": "kpisite-indicators",
        "title": site.title, "description": f"{site.description} {th(CSV_NOTE)}".strip(),
        "version": opendata.VERSION, "created": f"{data.built.isoformat()}T00:00:00+07:00",
        **({"licenses": _licences(site)} if site.licence else {}),
        **({"homepage": site.base_url} if site.base_url else {}),
        "contributors": [{"title": site.publisher or site.organization, "role": "publisher"}]
        if site.publisher or site.organization else [],
        "resources": [_resource(table, data) for table in opendata.TABLES]}
    return _dumps(package)


# -- DCAT ------------------------------------------------------------------------------------

DCAT_CONTEXT = {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
                "foaf": "http://xmlns.com/foaf/0.1/", "vcard": "http://www.w3.org/2006/vcard/ns#"}


def _distribution(site, path: str, media: str, data) -> dict:
    return {"@type": "dcat:Distribution", "dcat:downloadURL": _url(site, path),
            "dcat:mediaType": media, "dct:format": path.rsplit(".", 1)[1].upper(),
            "dcat:byteSize": data.size(path)}


def _dataset(site, title: str, files: list[tuple[str, str]], data, keywords=()) -> dict:
    dataset = {"@type": "dcat:Dataset", "dct:title": title, "dct:language": "th",
               "dct:modified": data.built.isoformat(),
               "dcat:distribution": [_distribution(site, p, m, data) for p, m in files]}
    if site.licence.get("url"):
        dataset["dct:license"] = {"@id": site.licence["url"]}
    if site.publisher or site.organization:
        dataset["dct:publisher"] = {"@type": "foaf:Organization",
                                    "foaf:name": site.publisher or site.organization}
    if site.contact:
        dataset["dcat:contactPoint"] = {"@type": "vcard:Kind", (
            "vcard:hasEmail" if "@" in site.contact and "://" not in site.contact
            else "vcard:hasURL"): site.contact}
    if keywords:
        dataset["dcat:keyword"] = list(keywords)
    return dataset


def site_files() -> list[tuple[str, str]]:
    """The site-wide downloads: (path, media type)."""
    from .pages import urls

    return [(urls.table_csv(t.name), "text/csv") for t in opendata.TABLES] + [
        (urls.all_json, "application/json"),
        (urls.workbook, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (urls.datapackage, "application/json")]


def dcat(data) -> str:
    """data/catalog.jsonld: the site's datasets (all indicators, and each agency's)."""
    from .pages import urls

    site, cat = data.cat.site, data.cat
    datasets = [_dataset(site, site.title, site_files(), data)]
    for agency in opendata.agencies_with_data(cat):
        name = agency.name or agency.code
        datasets.append(_dataset(site, f"{site.title}: {name}", [
            (urls.agency_csv(agency.code), "text/csv"),
            (urls.agency_json(agency.code), "application/json")], data, (name,)))
    catalog = {"@context": DCAT_CONTEXT, "@type": "dcat:Catalog", "dct:title": site.title,
               "dct:description": site.description, "dct:language": "th",
               "dct:modified": data.built.isoformat(), "dcat:dataset": datasets,
               **({"foaf:homepage": {"@id": site.base_url}} if site.base_url else {})}
    return _dumps(catalog)


# -- the Thai government data catalogue (thai_gdc) ------------------------------------------

THAI_FORMATS = {"csv": "CSV", "json": "JSON", "xlsx": "XLS"}  # thai_gdc's data_format choices


def thai_gdc(data) -> str:
    """data/thai-gdc.json: the datasets as CKAN packages in the thai_gdc field layout, for the
    city's catalogue to harvest. What only the office can say (owner_org, maintainer,
    objective, update frequency, coverage, category, licence) comes from site.yaml's
    `thai_gdc`; left out when it is not set there."""
    site, cat = data.cat.site, data.cat
    years = sorted(y for y in cat.years if y[:1].isdigit())
    package = {
        "name": "kpisite-indicators", "title": site.title, "notes": site.description,
        "data_format": sorted({THAI_FORMATS[p.rsplit(".", 1)[1]] for p, _ in site_files()}),
        "data_language": ["ไทย"] + (["อังกฤษ"] if "en" in site.languages else []),
        "last_updated_date": data.built.isoformat(),
        "unit_of_measure": None, "url": site.base_url or None,
        **({"first_year_of_data": years[0][:4], "last_year_of_data": years[-1][-4:]}
           if years else {}),
        **({"maintainer_email": site.contact} if "@" in site.contact else {}),
        **site.thai_gdc,
        "resources": [{"name": path.rsplit("/", 1)[1], "url": _url(site, path),
                       "format": path.rsplit(".", 1)[1].upper(), "mimetype": media}
                      for path, media in site_files()]}
    return _dumps({"generator": f"kpisite {__version__}", "schema": "thai_gdc",
                   "packages": [{k: v for k, v in package.items() if v is not None}]})


# -- schema.org on each indicator page --------------------------------------------------------

def dataset_ld(ind, site, words, root: str) -> Markup:
    """The indicator page's schema.org Dataset (JSON-LD), naming every file it is in."""
    from .pages import urls

    files = opendata.downloads_of(ind, urls)
    dataset = {
        "@context": "https://schema.org", "@type": "Dataset",
        "name": f"{ind.code} {ind.name}", "identifier": opendata.indicator_id(ind),
        "description": ind.name, "inLanguage": "th", "isAccessibleForFree": True,
        **({"url": f"{site.base_url}/{ind.path}"} if site.base_url else {}),
        **({"temporalCoverage": opendata.fiscal_span(ind)} if ind.fiscal_year else {}),
        **({"license": site.licence["url"]} if site.licence.get("url") else {}),
        **({"creator": {"@type": "Organization", "name": site.publisher or site.organization}}
           if site.publisher or site.organization else {}),
        "distribution": [{"@type": "DataDownload", "name": words(label), "encodingFormat": media,
                          "contentUrl": site.base_url + "/" + path if site.base_url
                          else root + path} for label, path, media in files]}
    text = json.dumps(dataset, ensure_ascii=False)
    # Within <script>, "</" could end it and "<!--" open a comment: content is untrusted.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(f'<script type="application/ld+json">{text}</script>')


def robots(site) -> str:
    """robots.txt: every page may be read (the editor form need not be listed)."""
    from urllib.parse import urlparse

    folder = urlparse(site.base_url).path.rstrip("/") if site.base_url else ""
    lines = ["User-agent: *", f"Disallow: {folder}/admin/", ""]
    if site.base_url:
        lines[-1:] = [f"Sitemap: {site.base_url}/sitemap.xml", ""]
    return "\n".join(lines) + "\n"
