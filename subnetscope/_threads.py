"""Thread limits shared by the solvers and the engine's runners."""

from __future__ import annotations

__all__ = ["one_blas_thread"]

_BLAS = None


def one_blas_thread():
    """Context that limits BLAS to one thread (the controller is made once: 0.02 ms a call)."""
    global _BLAS
    if _BLAS is None:
        from threadpoolctl import ThreadpoolController

        _BLAS = ThreadpoolController()
    return _BLAS.limit(limits=1, user_api="blas")
