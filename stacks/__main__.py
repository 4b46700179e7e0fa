"""govcloud: the Pulumi program for contract 2025095's tenancy (article 2, articles 6, 7, 35).

Reads and validates the stack config once, then only declares. Run it with
``pulumi up`` (``govcloud up``) or offline under the SDK's mock runtime (``govcloud plan``).
"""

import pulumi

from govstack.program import declare
from govstack.settings import load_tenancy

tenancy = load_tenancy()
admin_password = pulumi.Config("govcloud").require_secret("adminPassword")
for key, value in declare(tenancy, admin_password).items():
    pulumi.export(key, value)
