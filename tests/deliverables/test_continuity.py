"""数据持续性管理报告: backup capacity from the real lab export against the contract, data-loss records with what
annex 3 makes of them (a provider's unrecoverable loss on four systems is the A-level core data-loss event), and
the drills left for the provider."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from govcloud.contract.loader import load_contract
from govcloud.deliverables.catalog import load_map
from govcloud.deliverables.continuity import build
from govcloud.deliverables.inputs import period_of
from govcloud.deliverables.model import DeliverableInputs
from govcloud.deliverables.package import MissingInput
from govcloud.paths import DEFAULT_CONTRACT
from govcloud.sla.incidents import load_incidents
from govcloud.state.export import read_export
from tests.sla.recordkit import CARRIER_INCIDENTS

from .docs import ROOT, has, text_of

pytestmark = pytest.mark.slow

CONTRACT = load_contract(DEFAULT_CONTRACT)
ENTRY = load_map(CONTRACT).entry("data-continuity")
EXPORT = read_export(ROOT / "tests" / "state" / "data" / "lab-stack-export.json")
LOSS = """
  - id: INC-9
    systems: [litigation, hearing, disclosure, archive]
    cause: provider
    detected: "2026-03-20T09:00:00+08:00"
    acknowledged: "2026-03-20T09:05:00+08:00"
    resolved: "2026-03-20T12:00:00+08:00"
    data_lost: {systems: [litigation, hearing, disclosure, archive], oldest_data_age_days: 45, recoverable: false}
"""


def inputs(tmp_path: Path, records: str) -> DeliverableInputs:
    path = tmp_path / "incidents.yaml"
    path.write_text(textwrap.dedent(records).lstrip(), encoding="utf-8")
    return DeliverableInputs(CONTRACT, "lab", period_of("2026-03", CONTRACT), export=EXPORT,
                             incidents=load_incidents(path))


def test_backup_losses_and_the_drills_left_for_the_provider(tmp_path: Path) -> None:
    text = text_of(build(inputs(tmp_path, textwrap.dedent(CARRIER_INCIDENTS) + LOSS), ENTRY).data, tmp_path)
    assert has(text, "北京市政务云平台数据持续性管理报告", "本地备份服务", "198")
    assert has(text, "INC-9", "确认无法恢复", "构成附件3A级事件")  # more than 3 systems, older than a month
    assert has(text, "本期数据丢失记录1条", "99.9999%")
    assert not has(text, "INC-7") and not has(text, "INC-61")  # records without lost data are not listed
    assert has(text, "三、备份与恢复演练（由乙方填写）", "恢复演练")


def test_no_loss_is_said_and_a_missing_export_is_refused(tmp_path: Path) -> None:
    text = text_of(build(inputs(tmp_path, CARRIER_INCIDENTS), ENTRY).data, tmp_path)
    assert has(text, "本期无数据丢失记录", "本期数据丢失记录0条")
    with pytest.raises(MissingInput, match="--state EXPORT.json"):
        build(DeliverableInputs(CONTRACT, "lab", period_of("2026-03", CONTRACT)), ENTRY)
