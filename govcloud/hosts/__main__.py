"""`python -m govcloud.hosts harden|verify-hosts` until the main CLI wires `register`."""

import sys

from .cli import main

sys.exit(main())
