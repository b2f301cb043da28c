"""Loads the built-in measures. Each family module registers its own entries when imported;
the order here is the registry's order (``list_measures``, the CLI's choices, the docs)."""

from __future__ import annotations

from . import gw  # noqa: F401  (gw)
from . import paired  # noqa: F401  (euclidean, cosine)
from . import transport  # noqa: F401  (wasserstein)
from . import rsa  # noqa: F401  (rsa, rsm)
from . import cka  # noqa: F401
from . import cca  # noqa: F401
from . import msid  # noqa: F401
from . import agw  # noqa: F401
