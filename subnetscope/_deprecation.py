"""Keyword-only options without breaking callers that still pass them by position."""

from __future__ import annotations

import functools
import inspect
import warnings

__all__ = ["positional_options_deprecated"]


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
