"""The paper's studies as runnable pipelines (each writes a :class:`subnetscope.RunFolder`).

Modules load torch lazily, so importing this package stays light.
"""

from __future__ import annotations
