"""The offline plan: run the Pulumi program under the SDK's mock runtime, count what it
declares through the one mapping (``mapping.py``), and compare with the contract (article 2)."""
