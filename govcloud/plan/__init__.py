"""The offline plan: run the Pulumi program under the SDK's mock runtime, count what it
declares through the ledger's counting table (``govcloud.ledger.counting``), and judge it
against what the ledger says is contracted on the day (article 2)."""
