"""高性能存储, 普通性能存储 and 本地备份服务 (article 2).

Two volume types whose QoS specs carry the contracted single-disk IOPS ranges
(high performance 3000-10000, standard 1000-3000), and the block-storage quota per
volume type and for backups. QoS keys: ``total_iops_sec`` (front-end ceiling) and
``minIOPS``/``maxIOPS`` (back-end floor and ceiling).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pulumi
from pulumi_openstack import blockstorage

from govcloud.ledger.counting import GB_PER_TB, QUOTA_BLOCK, SPEC_LINE_ITEM, VOLUME_TYPE

from .ledger import Ledger

VOLUME_TYPES: dict[str, str] = {"storage_high_performance": "high-performance", "storage_standard": "standard"}


@dataclass(frozen=True)
class Tier:
    item_id: str
    tb: Decimal
    iops: tuple[int, int]


@dataclass(frozen=True)
class StorageServiceArgs:
    project_id: pulumi.Input[str]
    tiers: tuple[Tier, ...]
    backup_tb: Decimal


class StorageService(pulumi.ComponentResource):
    def __init__(self, name: str, args: StorageServiceArgs, ledger: Ledger,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("govcloud:storage:StorageService", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.volume_types: dict[str, blockstorage.VolumeTypeV3] = {}
        type_quota: dict[str, str] = {}
        for tier in args.tiers:
            vt_name = VOLUME_TYPES[tier.item_id]
            specs = {SPEC_LINE_ITEM: tier.item_id}
            vt = blockstorage.VolumeTypeV3(f"voltype-{vt_name}", name=vt_name, is_public=False,
                                           description=f"contract line item {tier.item_id}",
                                           extra_specs=specs, opts=child)
            ledger.record(VOLUME_TYPE, f"voltype-{vt_name}", {"name": vt_name, "extraSpecs": specs})
            lo, hi = tier.iops
            qos = blockstorage.QosV3(f"qos-{vt_name}", name=f"{vt_name}-iops", consumer="both",
                                     specs={"total_iops_sec": str(hi), "minIOPS": str(lo), "maxIOPS": str(hi)},
                                     opts=child)
            blockstorage.QosAssociationV3(f"qos-{vt_name}-assoc", qos_id=qos.id, volume_type_id=vt.id, opts=child)
            self.volume_types[tier.item_id] = vt
            type_quota[f"gigabytes_{vt_name}"] = str(int(tier.tb * GB_PER_TB))
        backup_gb = int(args.backup_tb * GB_PER_TB)
        total_gb = sum(int(v) for v in type_quota.values())
        self.quota = blockstorage.QuoteSetV3(f"{name}-quota", project_id=args.project_id, gigabytes=total_gb,
                                             volume_type_quota=type_quota, backup_gigabytes=backup_gb,
                                             opts=pulumi.ResourceOptions(parent=self,
                                                                         depends_on=list(self.volume_types.values())))
        ledger.record(QUOTA_BLOCK, f"{name}-quota",
                      {"gigabytes": total_gb, "volumeTypeQuota": type_quota, "backupGigabytes": backup_gb})
        self.register_outputs({"volumeTypeQuota": type_quota, "backupGigabytes": backup_gb})
