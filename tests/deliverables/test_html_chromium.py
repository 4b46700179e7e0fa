"""The PDFs' HTML as a browser shows it: each PDF deliverable keeps its source page (``Document.html``); headless
Chromium (Debian ``chromium``) renders it to a PNG a person can look at and prints it to a PDF whose text is the
document's. And the browser sets Chinese in a real font, not in boxes: two different strings of Chinese, in the
pages' own stylesheet, must not render to the same pixels (missing glyphs are all the same empty box)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from govcloud.contract.loader import load_contract
from govcloud.deliverables.catalog import load_map
from govcloud.deliverables.inputs import period_of
from govcloud.deliverables.model import DeliverableInputs
from govcloud.deliverables.package import builder_of
from govcloud.deliverables.pdf import page_html
from govcloud.paths import DEFAULT_CONTRACT

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CONTRACT = load_contract(DEFAULT_CONTRACT)
REPORT = json.loads((ROOT / "tests" / "deliverables" / "data" / "sla-report-2026-03.json").read_text(encoding="utf-8"))


def chromium(*args: str) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is needed (Debian: apt-get install chromium; deps/apt-test.txt)", pytrace=False)
    subprocess.run([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--no-first-run", "--disable-dev-shm-usage", *args],
                   check=True, capture_output=True, timeout=120)


@pytest.mark.parametrize("doc_id", ["availability-report", "fault-process"])
def test_the_source_page_renders_in_chromium_with_a_cjk_font(doc_id: str, tmp_path: Path) -> None:
    entry = load_map(CONTRACT).entry(doc_id)
    inputs = DeliverableInputs(CONTRACT, "lab", period_of("2026-03", CONTRACT), sla_report=REPORT)
    doc = builder_of(entry)(inputs, entry)
    assert doc.html.startswith("<!DOCTYPE html>") and entry.name_zh in doc.html
    page = tmp_path / "page.html"
    page.write_text(doc.html, encoding="utf-8")
    png, pdf = tmp_path / "page.png", tmp_path / "chromium.pdf"
    chromium("--window-size=1240,1754", f"--screenshot={png}", page.as_uri())
    chromium(f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri())
    with Image.open(png) as im:
        grey = im.convert("L")
        dark = sum(grey.histogram()[:200]) / (grey.width * grey.height)  # pixels darker than 200 of 255
    assert grey.size == (1240, 1754) and dark > 0.01, f"a blank page ({dark:.2%} dark)"
    text = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "".join(entry.name_zh.split()) in "".join(text.split())
    keep = Path("/tmp/deliv-pages")
    if keep.is_dir():  # for a person to look at
        shutil.copy(png, keep / f"{doc_id}-chromium.png")


def test_chinese_is_drawn_in_glyphs_not_boxes(tmp_path: Path) -> None:
    shots = []
    for i, words in enumerate(("北京市高级人民法院", "政务云平台可用性报告")):  # nine and ten glyphs: boxes alike
        page = tmp_path / f"{i}.html"
        page.write_text(page_html(f"<h1>{words[:9]}</h1>", generated=period_of("2026-03", CONTRACT).generated,
                                  title="t"), encoding="utf-8")
        png = tmp_path / f"{i}.png"
        chromium("--window-size=800,300", f"--screenshot={png}", page.as_uri())
        with Image.open(png) as im:
            shots.append(im.convert("L").tobytes())
    assert shots[0] != shots[1]
