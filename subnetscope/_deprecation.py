"""Changing how options are passed without breaking callers: options still given by position,
keywords still given under their old names."""

from __future__ import annotations

import functools
import inspect
import warnings
from typing import Any, Mapping

__all__ = ["positional_options_deprecated", "renamed_keywords"]


def positional_options_deprecated(function):
    """Let ``function``'s keyword-only options still be passed by position, with a FutureWarning
    that names them (scikit-learn's habit: data positional, options by keyword)."""
    params = inspect.signature(function).parameters.values()
    n_positional = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)
    keyword_only = [p.name for p in params if p.kind == p.KEYWORD_ONLY]

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        extra = args[n_positional:]
        if extra:
            names = keyword_only[:len(extra)]
            if len(extra) > len(keyword_only):
                raise TypeError(f"{function.__name__}() takes {n_positional} positional arguments "
                                f"but {len(args)} were given")
            warnings.warn(f"pass {', '.join(f'{n}=' for n in names)} to {function.__name__}() by keyword; "
                          "passing options by position is deprecated", FutureWarning, stacklevel=2)
            kwargs.update(zip(names, extra))
            args = args[:n_positional]
        return function(*args, **kwargs)

    return wrapper


def renamed_keywords(options: Mapping[str, Any], renamed: Mapping[str, str], where: str) -> dict[str, Any]:
    """``options`` with every old keyword of ``renamed`` (old name -> new name) under its new name.

    For an entry point taking ``**options`` whose names changed: an old keyword still works, with
    a DeprecationWarning naming the new one, raised at the entry point's caller (call this from
    the entry point itself). Both names given is a ValueError: which value was meant is not clear.
    """
    out = dict(options)
    for old, new in renamed.items():
        if old not in out:
            continue
        if new in out:
            raise ValueError(f"{where}: `{old}` is the old name of `{new}`; pass `{new}` only "
                             f"(got {old}={out[old]!r} and {new}={out[new]!r})")
        warnings.warn(f"{where}: `{old}` is deprecated (it still works); use `{new}`", DeprecationWarning,
                      stacklevel=3)
        out[new] = out.pop(old)
    return out
