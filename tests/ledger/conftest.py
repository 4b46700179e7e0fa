"""The real prod export, as the check tests make it (``govcloud plan --export-state``)."""

from tests.checks.conftest import prod_doc, prod_export  # noqa: F401 - fixtures shared with the check tests
