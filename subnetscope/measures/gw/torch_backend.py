"""The GW solver's matrix products on a torch device (GPU path).

What runs where, per Frank-Wolfe iteration of :func:`subnetscope.measures.gw.gromov_wasserstein`
with ``device=...``:

* on the device, in float64: the gradient ``C1 @ C2[σ] / n`` (one n × n × n product, the
  O(n³) part) and, for dense plans, ``C1 @ T @ C2``. Both distance matrices are moved to
  the device once per pair. A step that moves fewer than half of the rows updates the
  gradient incrementally on the CPU instead (``Problem.grad_step``, O(k n²)).
* on the CPU: the exact assignment (the same solver as on the NumPy path) on the
  gradient copied back (n² float64, ~8 MB at n = 1000), and the scalar line search.

So the solver, its starts, its stopping rule and its guarantees (never worse than POT's
default start, exact symmetry) are the same code as the NumPy path; only where the products
run changes. Values can differ from the NumPy path in the last bits (another BLAS), which
can, rarely, send a start to another local optimum.
"""

from __future__ import annotations

import numpy as np

from .problem import Problem

__all__ = ["TorchProblem", "resolve_device"]


def resolve_device(device: str):
    """A ``torch.device`` for ``device``, with a clear error when it is not available."""
    import torch

    if not isinstance(device, str):
        raise TypeError(f"`device` must be a string such as 'cuda' or 'cpu', got {type(device).__name__}")
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError) as exc:
        raise ValueError(f"`device` must be a torch device such as 'cuda', 'cuda:0' or 'cpu', got {device!r}") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"`device` is {device!r} but torch sees no CUDA GPU here (torch {torch.__version__}); "
            "use device=None (NumPy) or device='cpu'"
        )
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"`device` must be a 'cpu' or 'cuda' device, got {device!r}")
    return dev


class TorchProblem(Problem):
    """:class:`~subnetscope.measures.gw.problem.Problem` whose gradients are computed with torch."""

    def __init__(self, C1: np.ndarray, C2: np.ndarray, *, device: str = "cuda", assignment: str = "emd"):
        import torch

        super().__init__(C1, C2, assignment)
        self.device = resolve_device(device)
        self._C1 = torch.as_tensor(np.ascontiguousarray(C1), dtype=torch.float64, device=self.device)
        self._C2 = torch.as_tensor(np.ascontiguousarray(C2), dtype=torch.float64, device=self.device)

    def grad_perm(self, sigma: np.ndarray) -> np.ndarray:
        import torch

        index = torch.as_tensor(sigma, dtype=torch.long, device=self.device)
        G = (self._C1 @ self._C2.index_select(0, index)) / self.n
        return G.cpu().numpy()

    def grad_dense(self, T: np.ndarray) -> np.ndarray:
        import torch

        Tt = torch.as_tensor(T, dtype=torch.float64, device=self.device)
        return (self._C1 @ Tt @ self._C2).cpu().numpy()
