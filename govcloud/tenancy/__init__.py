"""The tenancy as plain data: stack settings, host plan and network plan.

Pure Python (no Pulumi): the Pulumi program in ``stacks/`` declares resources from
these values; ``govcloud plan`` and the tests read them too.
"""
