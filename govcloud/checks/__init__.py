"""Checks: contract ⇄ declared ⇄ deployed, per line item and per host, as findings."""
