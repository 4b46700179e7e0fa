"""Real local Debian 12 test hosts: debootstrap base, overlay + netns + systemd-nspawn boots.

See `Lab` for the API and `python -m govcloud.labhosts --help` for the CLI.
"""

from .base import ADMIN_USER, BaseImage, BaseSpec, ensure_base
from .errors import LabError
from .lab import Lab, LabHost, preflight
from .volumes import Volume

__all__ = ["ADMIN_USER", "BaseImage", "BaseSpec", "Lab", "LabError", "LabHost", "Volume",
           "ensure_base", "preflight"]
