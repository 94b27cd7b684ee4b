"""Open data: CSV (UTF-8 with BOM, so Excel shows Thai) and JSON of the published indicators,
for all and per agency. COLUMNS is the single description of both: the data page lists it.

Numbers are written as recorded (2.00 stays 2.00); an empty cell means not reported, not 0.
"""
from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Callable

from .catalog import Catalog
from .model import Indicator, Site

BOM = "\ufeff"
ALL_CSV, ALL_JSON = "data/indicators.csv", "data/indicators.json"


def agency_csv(code: str) -> str:
    return f"data/agencies/{code}.csv"


def agency_json(code: str) -> str:
    return f"data/agencies/{code}.json"


def _quarter(n: int, attr: str):
    def get(ind: Indicator, site: Site):
        for q in ind.quarters:  # a loop, not next(generator): 16 columns an indicator
            if q.number == n:
                break
        else:
            return None
        if attr == "points":
            return q.pair[0] if q.pair else None
        if attr == "full":
            return q.pair[1] if q.pair else None
        return getattr(q, attr)
    return get


def _agency_name(ind: Indicator, site: Site):
    agency = site.agency(ind.agency)
    return agency.name if agency and agency.name else None


def _page(ind: Indicator, site: Site) -> str:
    return f"{site.base_url}/{ind.path}" if site.base_url else ind.path


Column = tuple[str, str, Callable[[Indicator, Site], object]]
COLUMNS: list[Column] = [
    ("fiscal_year", "ปีงบประมาณ (พ.ศ.) เช่น 2564 หรือช่วงปี 2562-2563; ว่าง = ไม่ทราบ",
     lambda i, s: i.fiscal_year),
    ("agency_code", "รหัสหน่วยงาน 4 หลัก (ข้อความ: 0700 ขึ้นต้นด้วย 0)", lambda i, s: i.agency),
    ("agency_name", "ชื่อหน่วยงาน; ว่าง = ไม่ทราบชื่อ", _agency_name),
    ("code", "รหัสตัวชี้วัด: ไม่ซ้ำกันในปีงบประมาณเดียวกัน", lambda i, s: i.code),
    ("order", "ลำดับตามที่หน่วยงานเขียน เช่น (7)", lambda i, s: i.order or None),
    ("name", "ชื่อตัวชี้วัด", lambda i, s: i.name),
    ("type", "ประเภท: strategic = เชิงยุทธศาสตร์, routine = งานประจำ, goal = เป้าประสงค์",
     lambda i, s: i.type),
    ("result_level", "ระดับ: output = ผลผลิต, outcome = ผลลัพธ์", lambda i, s: i.result_level),
    ("unit", "หน่วยนับ เช่น ร้อยละ ระดับ นาที", lambda i, s: i.unit or None),
    ("direction", "higher = ยิ่งมากยิ่งดี, lower = ยิ่งน้อยยิ่งดี; ว่าง = ไม่ระบุ (ถือว่ายิ่งมากยิ่งดี)",
     lambda i, s: i.direction),
    ("target", "ค่าเป้าหมาย", lambda i, s: i.target),
    ("achieved", "ผลงานที่ทำได้: ค่าที่บันทึกไว้ หรือผลงานไตรมาสล่าสุดที่รายงานถ้าไม่ได้บันทึก",
     lambda i, s: i.achieved_value),
    ("achieved_from_quarter", "true = ผลงานที่ทำได้มาจากไตรมาสล่าสุด (ไม่ได้บันทึกไว้เอง)",
     lambda i, s: i.achieved_derived),
    ("status", "สถานะ: met, not-met, not-reported, no-target (หลักเกณฑ์ในหน้านี้)",
     lambda i, s: i.status),
    ("status_th", "สถานะเป็นภาษาไทย", lambda i, s: i.status_label),
    ("assessment_quarter", "ไตรมาสที่ สยป. ตรวจประเมิน",
     lambda i, s: i.assessment.quarter if i.assessment else None),
    ("assessment_score", "ผลการตรวจประเมินของ สยป.",
     lambda i, s: i.assessment.score if i.assessment else None),
    *[column for n in (1, 2, 3, 4) for column in (
        (f"q{n}_result", f"ผลงานไตรมาสที่ {n} (หน่วยเดียวกับค่าเป้าหมาย); ว่าง = ยังไม่รายงาน",
         _quarter(n, "result")),
        (f"q{n}_score", f"ผลประเมินตัวชี้วัดไตรมาสที่ {n}", _quarter(n, "score")),
        (f"q{n}_points", f"คะแนน 2.1 (คะแนนที่ได้) ไตรมาสที่ {n}", _quarter(n, "points")),
        (f"q{n}_full", f"คะแนน 2.2 (คะแนนเต็ม) ไตรมาสที่ {n}", _quarter(n, "full")),
    )],
    ("strategy", "เลขโหนดยุทธศาสตร์ที่สนับสนุน คั่นด้วย ; เช่น 5.2.1.1",
     lambda i, s: ";".join(i.strategy) or None),
    ("data_notes", "ข้อสังเกตว่าตัวเลขที่บันทึกไม่สอดคล้องกัน คั่นด้วย |",
     lambda i, s: " | ".join(f.th for f in i.flags) or None),
    ("page", "หน้าเว็บของตัวชี้วัด (เทียบกับหน้าแรกของเว็บไซต์ ถ้ายังไม่ได้ตั้งที่อยู่เว็บไซต์)", _page),
    ("source", "ที่อยู่ของหน้าในระบบเดิม (ถ้ามี)", lambda i, s: i.source_url or None),
]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # text a spreadsheet would run as a formula (numbers are not str)
    return str(value)


_to_json = json.JSONEncoder(ensure_ascii=False).encode  # one encoder: json.dumps makes one a call


def _json_value(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)  # a JSON number with the recorded digits
    return _to_json(value)


def exports(ind: Indicator, site: Site) -> dict[str, bytes]:
    """This indicator's CSV line and JSON object, as UTF-8 (whole files are then byte joins)."""
    values = [(name, get(ind, site)) for name, _, get in COLUMNS]
    line = io.StringIO()
    csv.writer(line, lineterminator="").writerow([_cell(v) for _, v in values])
    record = "{" + ", ".join(f'"{name}": {_json_value(v)}' for name, v in values) + "}"
    return {"csv": line.getvalue().encode("utf-8"), "json": record.encode("utf-8")}


def csv_file(inds: list[Indicator]) -> bytes:
    header = (BOM + ",".join(name for name, _, _ in COLUMNS)).encode("utf-8")
    return b"\r\n".join([header] + [ind.exports["csv"] for ind in inds]) + b"\r\n"


def json_file(inds: list[Indicator]) -> bytes:
    return b"[\n" + b",\n".join([ind.exports["json"] for ind in inds]) + b"\n]\n"


def agencies_with_data(cat: Catalog) -> list:
    return [a for a in cat.agencies if cat.by_agency.get(a.code)]
