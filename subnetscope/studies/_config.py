"""What the studies' frozen configs share: every field checked where it enters, ``replace``, the record.

A study's config is a frozen dataclass deriving from :class:`StudyConfig` that declares in
``_SPECS`` what each field accepts (an :class:`subnetscope._options.Option`, or :func:`each` /
:func:`path` / :func:`instance` / :func:`measure_names` below; a function returning one is called
when a config is checked). ``__post_init__`` turns every list of a :func:`each`
field into a tuple (the config stays hashable and immutable) and checks every declared field,
raising an error whose message names the config, the field, what was expected and what came.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Mapping

from .._options import Option, OptionError, check_value, choice

if TYPE_CHECKING:  # Python 3.11+; the annotations are never evaluated
    from typing import Self

__all__ = ["StudyConfig", "each", "path", "instance", "measure_names"]


@dataclass(frozen=True)
class _Each:
    """A sequence (list or tuple, not a string) whose every item ``item`` accepts."""

    item: Option
    min_len: int = 0
    optional: bool = False


@dataclass(frozen=True)
class _Instance:
    types: tuple
    what: str
    optional: bool = False


def each(item: Option, *, min_len: int = 0, optional: bool = False) -> _Each:
    return _Each(item, min_len, optional)


def path(*, optional: bool = False) -> _Instance:
    """A file or folder name: ``str`` or :class:`pathlib.Path`."""
    return _Instance((str, Path), "a path (str or pathlib.Path)", optional)


def instance(cls: type, what: str, *, optional: bool = False) -> _Instance:
    return _Instance((cls,), what, optional)


def measure_names(*, min_len: int = 0, optional: bool = False):
    """Names of registered measures (the registry is read when a config is checked)."""
    def spec() -> _Each:
        from ..measures.registry import list_measures

        return each(choice(*list_measures()), min_len=min_len, optional=optional)
    return spec


def _check(config: Any, name: str, spec: Option | _Each | _Instance) -> None:
    where = type(config).__name__
    value = getattr(config, name)
    if isinstance(spec, Option):
        check_value(value, name, spec, where)
        return
    if value is None and spec.optional:
        return
    if isinstance(spec, _Instance):
        if not isinstance(value, spec.types):
            raise OptionError(f"{where}: `{name}` must be {spec.what}{' or None' if spec.optional else ''}, "
                              f"got {value!r} ({type(value).__name__})")
        return
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise OptionError(f"{where}: `{name}` must be a list or tuple, each item {spec.item.describe()}, "
                          f"got {value!r} ({type(value).__name__})")
    if len(value) < spec.min_len:
        raise OptionError(f"{where}: `{name}` must hold at least {spec.min_len} item(s), each {spec.item.describe()}, "
                          f"got {list(value)!r}")
    for i, item in enumerate(value):
        check_value(item, f"{name}[{i}]", spec.item, where)


def _recorded(value: Any) -> Any:
    """``value`` as run.json holds it: tuples as lists, paths as strings, dataclasses as dicts."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _recorded(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {k: _recorded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_recorded(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


class StudyConfig:
    """Base of ``ModSumConfig``, ``NLPConfig`` and ``VisionConfig`` (frozen dataclasses)."""

    #: field -> what it accepts (fields not named here are not checked)
    _SPECS: ClassVar[Mapping[str, Any]] = {}
    #: field -> the key run.json's ``options`` keeps it under (default: the field's name)
    _RECORDED_AS: ClassVar[Mapping[str, str]] = {}
    #: the fields the paper's setting changes (the study's ``PAPER_SCALE``)
    _PAPER: ClassVar[Mapping[str, Any]] = {}

    def __post_init__(self) -> None:
        for name, spec in self._SPECS.items():
            spec = spec() if callable(spec) else spec
            value = getattr(self, name)
            if isinstance(spec, _Each) and isinstance(value, list):
                object.__setattr__(self, name, tuple(value))
            _check(self, name, spec)

    @classmethod
    def paper(cls, **changes: Any) -> Self:
        """The paper's setting (the defaults with the study's ``PAPER_SCALE``), ``changes`` on top."""
        return cls(**{**cls._PAPER, **changes})

    def _refuse_unless(self, name: str, check: Callable[[Any], Any]) -> None:
        """Run ``check`` on field ``name``; a ValueError it raises becomes this config's, naming the field."""
        try:
            check(getattr(self, name))
        except ValueError as exc:
            said = str(exc) if f"`{name}`" in str(exc) else f"`{name}`: {exc}"
            raise OptionError(f"{type(self).__name__}: {said}") from None

    def replace(self, **changes: Any) -> Self:
        """A copy with ``changes`` (checked like the constructor's arguments)."""
        return dataclasses.replace(self, **changes)

    def options(self) -> dict[str, Any]:
        """Every field, JSON-able, under the keys run.json's ``options`` uses."""
        return {self._RECORDED_AS.get(f.name, f.name): _recorded(getattr(self, f.name))
                for f in dataclasses.fields(self)}
