"""``--stack NAME | --contract FILE``: which contract a command reads, declared once for the commands that
take either (``runbook timeline``, ``sla rules``), resolved through the ledger (article 2; articles 7, 77, 79)."""

from __future__ import annotations

import argparse
from pathlib import Path

from govcloud.contract.model import Contract
from govcloud.ledger import ContractSource, contracted
from govcloud.paths import DEFAULT_CONTRACT, PROJECT_ROOT
from govcloud.tenancy.config import load_stack_settings


def add_contract_source(parser: argparse.ArgumentParser) -> None:
    """The two flags, mutually exclusive; neither means the seed contract file."""
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--stack", metavar="NAME", help="the contract the stack names (govcloud:contract in "
                                                     "Pulumi.NAME.yaml), its amendments checked")
    src.add_argument("--contract", type=Path, metavar="FILE",
                     help=f"a contract file (default: {DEFAULT_CONTRACT.relative_to(PROJECT_ROOT)})")


def contract_of(args: argparse.Namespace) -> Contract:
    """The contract ``--stack`` or ``--contract`` names (else the seed contract)."""
    source = load_stack_settings(args.stack) if args.stack else ContractSource(args.contract or DEFAULT_CONTRACT)
    return contracted(source).contract
