"""The two PDF deliverables (可用性报告, 7×24监控服务月报) from a real SLA report (``conftest.py``: the command run
against the real backfilled Prometheus), checked with poppler as a reader would see them: the Noto CJK font
embedded, every page drawn, the Chinese text real text, the figures the JSON's, and the same bytes again in
another process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from matplotlib.figure import Figure
from PIL import Image

from govcloud.contract.loader import load_contract
from govcloud.deliverables import availability, monitoring
from govcloud.deliverables.catalog import load_map
from govcloud.deliverables.inputs import period_of
from govcloud.deliverables.model import PDF, DeliverableInputs, Document
from govcloud.deliverables.pdf import Cell, chart, table
from govcloud.errors import GovcloudError
from govcloud.paths import DEFAULT_CONTRACT

slow = pytest.mark.slow  # a real Prometheus, and each PDF subsets two CJK fonts

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = load_contract(DEFAULT_CONTRACT)
MAP = load_map(CONTRACT)
BUILDERS = {"availability-report": availability.build, "monitoring-monthly": monitoring.build}

#: builds both documents from a JSON file, as another process (another hash seed) would: prints their SHA-256
REBUILD = """
import hashlib, json, sys
from govcloud.contract.loader import load_contract
from govcloud.deliverables import availability, monitoring
from govcloud.deliverables.catalog import load_map
from govcloud.deliverables.inputs import period_of
from govcloud.deliverables.model import DeliverableInputs
from govcloud.paths import DEFAULT_CONTRACT
c = load_contract(DEFAULT_CONTRACT)
m = load_map(c)
inputs = DeliverableInputs(c, "lab", period_of("2026-03", c), sla_report=json.load(open(sys.argv[1])))
for id, build in (("availability-report", availability.build), ("monitoring-monthly", monitoring.build)):
    print(id, hashlib.sha256(build(inputs, m.entry(id)).data).hexdigest())
"""


@dataclass(frozen=True)
class Rendered:
    document: Document
    path: Path
    seconds: float
    pages: list[Path]


def inputs_of(report: dict[str, Any] | None) -> DeliverableInputs:
    return DeliverableInputs(CONTRACT, "lab", period_of("2026-03", CONTRACT), sla_report=report)


def poppler(*args: str) -> str:
    return subprocess.run(list(args), check=True, capture_output=True, text=True, timeout=120).stdout


@pytest.fixture(scope="module")
def rendered(sla_report_doc: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    """Both documents built once, written, and their pages drawn at 50 dpi (``pdftoppm -png -r 50``)."""
    folder = tmp_path_factory.mktemp("pdfs")
    out = {}
    for id, build in BUILDERS.items():
        t = time.perf_counter()
        doc = build(inputs_of(sla_report_doc), MAP.entry(id))
        seconds = time.perf_counter() - t
        path = folder / doc.filename
        path.write_bytes(doc.data)
        poppler("pdftoppm", "-png", "-r", "50", str(path), str(folder / id))
        pages = sorted(folder.glob(f"{id}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        out[id] = Rendered(doc, path, seconds, pages)
        print(f"\n{id}: {len(doc.data):,} bytes, {len(pages)} pages, rendered in {seconds:.1f} s; "
              f"page 2: {pages[min(1, len(pages) - 1)]}")
    return out


@slow
@pytest.mark.parametrize("id", BUILDERS)
def test_the_document_is_a_pdf_named_for_the_map_entry_and_the_period(rendered: dict[str, Rendered], id: str) -> None:
    doc = rendered[id].document
    name = MAP.entry(id).name_zh
    assert (doc.id, doc.filename, doc.media_type) == (id, f"{name}-2026-03.pdf", PDF)
    assert doc.data.startswith(b"%PDF-")
    info = poppler("pdfinfo", "-isodates", str(rendered[id].path))
    assert f"Title:           {name} 2026-03" in info
    # the document's date is the period's (the day after its end, 00:00 Beijing time), never the wall clock
    assert "CreationDate:    2026-04-01T00:00:00+08" in info and "ModDate:         2026-04-01T00:00:00+08" in info
    assert "Page size:       595.276 x 841.89 pts (A4)" in info


@slow
@pytest.mark.parametrize("id", BUILDERS)
def test_the_noto_cjk_font_is_embedded(rendered: dict[str, Rendered], id: str) -> None:
    fonts = poppler("pdffonts", str(rendered[id].path)).splitlines()[2:]
    cjk = [f.split() for f in fonts if "Noto-Sans-CJK-SC" in f]
    assert cjk, fonts
    for row in cjk:  # name type... encoding emb sub uni object ID: emb is the fifth column from the end
        assert row[-5] == "yes", row


@slow
@pytest.mark.parametrize("id", BUILDERS)
def test_every_page_is_drawn_and_none_is_blank(rendered: dict[str, Rendered], id: str) -> None:
    r = rendered[id]
    pages = int(next(line.split()[-1] for line in poppler("pdfinfo", str(r.path)).splitlines()
                     if line.startswith("Pages:")))
    assert len(r.pages) == pages >= 2  # the cover, then the report
    for png in r.pages:
        with Image.open(png) as img:
            grey = img.convert("L")
            inked = sum(grey.histogram()[:200])
            assert inked > 0.005 * grey.width * grey.height, f"{png}: {inked} dark pixels of {grey.width * grey.height}"


@slow
def test_the_text_is_real_chinese_text_with_the_reports_figures(rendered: dict[str, Rendered],
                                                                 sla_report_doc: dict[str, Any]) -> None:
    plat = sla_report_doc["availability"]["platform"]["availability"]
    archive = next(a for a in sla_report_doc["availability"]["systems"] if a["system"] == "archive")
    text = {id: poppler("pdftotext", "-layout", str(r.path), "-") for id, r in rendered.items()}
    for id, t in text.items():
        assert MAP.entry(id).name_zh in t
        assert "合同编号" in t and "2025095" in t and CONTRACT.parties["tenant"].name_zh in t
        assert CONTRACT.parties["provider"].name_zh in t
        assert plat in t and "未达标" in t  # the carrier month: archive down 150 minutes, not excluded
        assert f"第2页共{len(rendered[id].pages)}页" in "".join(t.split())  # the footer (its spaces are thin)
    a = text["availability-report"]
    assert archive["availability"] in a and archive["minutes"]["budget"] in a and "目标 99.99%" in a  # the chart's
    assert "第60-61条免责记录" in a and "经批准的维护窗口" in a and "不扣除：未批准" in a
    m = text["monitoring-monthly"]
    assert "INC-61（第61条）" in m and "超时" in m and "18分00秒" in m  # INC-7 acknowledged 18 min after detection
    assert "因非不可抗力造成超过10%至30%信息系统中断" in m  # annex 3's wording of the B event
    assert "1年内发生附件3所列B级事件3次" in m  # article 54 as the contract words it
    assert "本月数据丢失记录：0 条" in m and "sla.response" in m


@slow
def test_the_same_inputs_give_the_same_bytes_in_another_process(rendered: dict[str, Rendered],
                                                                sla_report_doc: dict[str, Any],
                                                                tmp_path: Path) -> None:
    import hashlib

    report = tmp_path / "sla-report.json"
    report.write_text(json.dumps(sla_report_doc, ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    env.pop("SOURCE_DATE_EPOCH", None)
    out = subprocess.run([sys.executable, "-c", REBUILD, str(report)], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True, timeout=600).stdout
    again = dict(line.split() for line in out.splitlines())
    assert again == {id: hashlib.sha256(r.document.data).hexdigest() for id, r in rendered.items()}
    assert "SOURCE_DATE_EPOCH" not in os.environ  # the render set it only while writing


@pytest.mark.parametrize("id, name", [("availability-report", "可用性报告"), ("monitoring-monthly", "7×24监控服务月报")])
def test_without_an_sla_report_the_builder_says_which_flag_gives_it(id: str, name: str) -> None:
    with pytest.raises(GovcloudError) as err:
        BUILDERS[id](inputs_of(None), MAP.entry(id))
    assert str(err.value) == (f"the {name} needs an SLA report: give --sla-report FILE "
                              "(govcloud sla report --format json)")


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_a_chart_is_embedded_the_same_every_time(fmt: str) -> None:
    def draw(fig: Figure) -> None:
        fig.subplots().bar(["hearing", "平台"], [99.95, 99.99])

    once, again = (chart(draw, size=(3, 2), caption="图 <1>", fmt=fmt) for _ in range(2))  # type: ignore[arg-type]
    assert once == again and f'src="data:image/{"svg+xml" if fmt == "svg" else "png"};base64,' in once
    assert 'alt="图 &lt;1&gt;"' in once


def test_table_text_is_escaped_and_flags_become_classes() -> None:
    html = table(["系统", "可用性"], [["<b>&x", Cell("99.6639%", num=True, bad=True)]], totals=1)
    assert "<td>&lt;b&gt;&amp;x</td>" in html and '<td class="num bad">99.6639%</td>' in html
    assert '<tr class="total">' in html and "<thead><tr><th>系统</th><th>可用性</th></tr></thead>" in html
    assert table(["x"], [], empty="本月无中断。") == '<p class="none">本月无中断。</p>'
