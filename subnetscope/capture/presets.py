"""Which modules to hook and how each hooked tensor becomes named representations.

A *layer plan* maps module names (as ``model.named_modules()`` spells them) to the outputs
taken from that module's forward output. One module may give several outputs (a ``hook_k``
gives one per head), and the plan keeps the order in which the outputs are reported.

Presets (paper App. A, SPEC §6):

``"leaves"`` (``capture``'s default)
    Every module without children (``Linear``, ``Conv2d``, ``ReLU``, ...), in ``named_modules()``
    order: the forward order of an ``nn.Sequential`` (a child ``0`` is reported as ``0.Linear``);
    for other models the order in which they were registered, which need not be the order in
    which they run (pass module names then).
``"transformer"``
    TransformerLens hook points of :class:`~subnetscope.models.ModularTransformer` (or a
    TransformerLens ``HookedTransformer``): per block ``l`` (1-based) and head ``h`` (1-based),
    31 names for 4 heads, in the order ``block{l}.resid_pre``, ``block{l}.head{h}.k`` (h = 1..H),
    then ``q``, ``v``, ``attn_pre`` (the scores), ``attn`` (the pattern), ``z`` (each h = 1..H),
    then ``block{l}.attn_out``, ``resid_mid``, ``pre``, ``post``, ``mlp_out``, ``resid_post``.
    With 4 heads, Attn-Pre sits at indices 13–16 and Attn at 17–20 of 0..30, as in the paper.
``"hf-blocks"``
    Output of each encoder block of a Hugging Face BERT-family model, ``block1..blockL``, equal to
    ``output_hidden_states[1..L]``. ``"hf-all"`` adds ``embeddings`` (= ``hidden_states[0]``).
``"resnet9"``
    Table 3 names of :class:`~subnetscope.models.ResNet9`: ``0.Conv2d``, ``0.BatchNorm``,
    ``0.ReLU``, ..., ``4.MaxPool``, ..., ``7.AdaptivePool``, ``8.Linear`` (27 names).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._validation import close_matches

__all__ = ["PRESETS", "LayerPlan", "resolve_layers"]

PRESETS = ("leaves", "transformer", "hf-blocks", "hf-all", "resnet9")

Extract = Callable[[Any], Any]  # torch.Tensor (B, ...) -> torch.Tensor (B, ...)


def _identity(tensor: Any) -> Any:
    return tensor


@dataclass
class LayerPlan:
    """Modules to hook, and the named outputs each one gives.

    Attributes
    ----------
    targets : dict of str to list of (str, callable)
        Module name -> ``[(output_name, extract), ...]``; ``extract`` maps the module's
        (unwrapped) output tensor of shape (B, ...) to the tensor stored under ``output_name``.
    order : list of str
        Output names in the order they are reported.
    preset : str or None
        The preset the plan came from, if any.
    aliases : dict of str to str
        Earlier spellings of output names that are still accepted (module name -> output name,
        e.g. ``"0"`` -> ``"0.Linear"`` for a child of an ``nn.Sequential``).
    """

    targets: dict[str, list[tuple[str, Extract]]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    preset: str | None = None
    aliases: dict[str, str] = field(default_factory=dict)

    def add(self, module_name: str, output_name: str, extract: Extract = _identity) -> None:
        if output_name in self.order:
            raise ValueError(f"`layers` names the output {output_name!r} twice; each layer may appear once")
        self.targets.setdefault(module_name, []).append((output_name, extract))
        self.order.append(output_name)


def resolve_layers(model: Any, layers: str | Sequence[str] | Callable[..., bool]) -> LayerPlan:
    """Turn ``layers`` (a preset, module names or a filter) into a :class:`LayerPlan`.

    Parameters
    ----------
    model : torch.nn.Module
    layers : str, sequence of str or callable
        A preset name (one of ``PRESETS``), module names as ``model.named_modules()`` spells
        them (outputs keep those names), or a filter called as ``layers(name, module)`` (or
        ``layers(name)``) on every named sub-module, selecting those for which it is true.
    """
    modules = dict(model.named_modules())
    root = modules.pop("", model)
    if isinstance(layers, str):
        if layers in PRESETS:
            return _PRESET_BUILDERS[layers](model, modules)
        hint = close_matches(layers, list(PRESETS) + list(modules))
        raise ValueError(
            f"`layers` must be a preset {list(PRESETS)}, a list of module names or a filter, got "
            f"the string {layers!r}" + (f"; did you mean {' or '.join(map(repr, hint))}?" if hint else "")
            + (" (wrap one module name in a list: layers=[name])" if layers in modules else "")
        )
    plan = LayerPlan()
    if callable(layers):
        n_params = len(inspect.signature(layers).parameters)
        for name, module in modules.items():
            if layers(name, module) if n_params >= 2 else layers(name):
                _add_module(plan, name, modules, root)
        if not plan.order:
            raise ValueError("`layers` filter selected none of the model's modules; check the filter")
        return plan
    if not isinstance(layers, Sequence) or not layers:
        raise TypeError(
            f"`layers` must be a preset name, a non-empty list of module names or a callable, got {layers!r}"
        )
    for name in layers:
        if not isinstance(name, str):
            raise TypeError(f"`layers` must hold module names (str), got {name!r} of type {type(name).__name__}")
        head, _, kind = name.rpartition(".")
        if name not in modules and head in modules and type(modules[head]).__name__ == kind:
            name = head  # "0.Linear", the output name of Sequential child "0"
        if name not in modules:
            hint = close_matches(name, modules, n=5)
            preset = close_matches(name, PRESETS, n=1) if len(layers) == 1 else []
            raise ValueError(
                f"`layers` names the module {name!r}, which {type(model).__name__} does not have"
                + (f"; did you mean the preset {preset[0]!r}?" if preset else "")
                + (f"; close matches: {', '.join(map(repr, hint))}" if hint else
                   f"; its modules include {', '.join(map(repr, list(modules)[:8]))}")
            )
        _add_module(plan, name, modules, root)
    return plan


def _add_module(plan: LayerPlan, name: str, modules: dict[str, Any], root: Any) -> None:
    """Hook module ``name``; a child of an ``nn.Sequential`` (named by its index) is reported as
    ``index.Type`` (``"0.Linear"``, ``"features.3.ReLU"``), and its bare name stays an alias."""
    from torch import nn

    parent_name, _, last = name.rpartition(".")
    parent = modules.get(parent_name) if parent_name else root
    if last.isdigit() and isinstance(parent, nn.Sequential):
        typed = f"{name}.{type(modules[name]).__name__}"
        plan.add(name, typed)
        plan.aliases[name] = typed
    else:
        plan.add(name, name)


# --------------------------------------------------------------------------- transformer
_BLOCK_LEVEL = (("attn_out", "hook_attn_out"), ("resid_mid", "hook_resid_mid"), ("pre", "mlp.hook_pre"),
                ("post", "mlp.hook_post"), ("mlp_out", "hook_mlp_out"), ("resid_post", "hook_resid_post"))
# (output kind, hook, head axis): k/q/v/z are (B, T, H, d_head), scores/pattern (B, H, T, T)
_PER_HEAD = (("k", "attn.hook_k", 2), ("q", "attn.hook_q", 2), ("v", "attn.hook_v", 2),
             ("attn_pre", "attn.hook_attn_scores", 1), ("attn", "attn.hook_pattern", 1), ("z", "attn.hook_z", 2))


def _head_extract(head: int, axis: int) -> Extract:
    def extract(tensor: Any) -> Any:
        return tensor.select(axis, head)

    return extract


def _n_heads(attn: Any, where: str) -> int:
    for owner in (attn, getattr(attn, "cfg", None), getattr(attn, "config", None)):
        value = getattr(owner, "n_heads", None) if owner is not None else None
        if isinstance(value, int):
            return value
    raise ValueError(f"the 'transformer' preset needs the number of heads, but {where!r} has no `n_heads` attribute")


def _transformer(model: Any, modules: dict[str, Any]) -> LayerPlan:
    blocks = sorted({int(m.group(1)) for name in modules if (m := re.fullmatch(r"blocks\.(\d+)\.hook_resid_pre", name))})
    if not blocks:
        raise ValueError(
            f"the 'transformer' preset needs TransformerLens hook points such as 'blocks.0.hook_resid_pre', "
            f"but {type(model).__name__} has none; pass module names instead"
        )
    plan = LayerPlan(preset="transformer")
    for index in blocks:
        prefix, label = f"blocks.{index}.", f"block{index + 1}"
        needed = ["hook_resid_pre"] + [hook for _, hook in _BLOCK_LEVEL] + [hook for _, hook, _ in _PER_HEAD]
        missing = [prefix + hook for hook in needed if prefix + hook not in modules]
        if missing:
            raise ValueError(f"the 'transformer' preset needs the hook points {missing}, which the model lacks")
        n_heads = _n_heads(modules[prefix + "attn"], prefix + "attn")
        plan.add(prefix + "hook_resid_pre", f"{label}.resid_pre")
        for kind, hook, axis in _PER_HEAD:
            for head in range(n_heads):
                plan.add(prefix + hook, f"{label}.head{head + 1}.{kind}", _head_extract(head, axis))
        for kind, hook in _BLOCK_LEVEL:
            plan.add(prefix + hook, f"{label}.{kind}")
    return plan


# --------------------------------------------------------------------------- Hugging Face
def _hf_block_list(model: Any, modules: dict[str, Any]) -> tuple[str, int]:
    from torch import nn

    config = getattr(model, "config", None)
    n_layers = getattr(config, "num_hidden_layers", None)
    for name, module in modules.items():
        if isinstance(module, nn.ModuleList) and len(module) > 0 and (n_layers is None or len(module) == n_layers):
            if n_layers is not None or re.search(r"(^|\.)(layer|layers)$", name):
                return name, len(module)
    raise ValueError(
        f"the 'hf-blocks' preset needs a Hugging Face encoder with a list of {n_layers or 'N'} blocks "
        f"(e.g. 'encoder.layer'), but {type(model).__name__} has none; pass module names instead"
    )


def _hf(model: Any, modules: dict[str, Any], with_embeddings: bool) -> LayerPlan:
    list_name, n_blocks = _hf_block_list(model, modules)
    plan = LayerPlan(preset="hf-all" if with_embeddings else "hf-blocks")
    if with_embeddings:
        prefix = list_name.rsplit("encoder", 1)[0] if "encoder" in list_name else ""
        candidates = [prefix + "embeddings"] + [n for n in modules if n.endswith("embeddings") and "." not in n[len(prefix):]]
        embed = next((n for n in candidates if n in modules), None)
        if embed is None:
            raise ValueError(f"the 'hf-all' preset needs an 'embeddings' module, which {type(model).__name__} lacks")
        plan.add(embed, "embeddings")
    for index in range(n_blocks):
        plan.add(f"{list_name}.{index}", f"block{index + 1}")
    return plan


# --------------------------------------------------------------------------- ResNet9
_TABLE3 = {"Conv2d": "Conv2d", "BatchNorm2d": "BatchNorm", "ReLU": "ReLU", "MaxPool2d": "MaxPool",
           "AdaptiveAvgPool2d": "AdaptivePool", "Linear": "Linear"}


def _resnet9(model: Any, modules: dict[str, Any]) -> LayerPlan:
    plan = LayerPlan(preset="resnet9")
    for top, child in model.named_children():
        if not top.isdigit():
            continue
        parts = list(child.named_children()) or [("", child)]
        for sub, module in parts:
            kind = _TABLE3.get(type(module).__name__)
            if kind is not None:
                plan.add(f"{top}.{sub}" if sub else top, f"{top}.{kind}")
    if not plan.order:
        raise ValueError(
            f"the 'resnet9' preset needs numbered children '0'..'8' as in Table 3, but {type(model).__name__} "
            "has none; pass module names instead"
        )
    return plan


def _leaves(model: Any, modules: dict[str, Any]) -> LayerPlan:
    """Every module without children (Linear, Conv2d, ReLU, ...), in ``named_modules()`` order:
    the forward order of an ``nn.Sequential``; for other models the order in which ``__init__``
    registered them."""
    plan = LayerPlan(preset="leaves")
    for name, module in modules.items():
        if next(module.children(), None) is None:
            _add_module(plan, name, modules, model)
    if not plan.order:
        raise ValueError(f"the 'leaves' preset found no sub-modules in {type(model).__name__}; "
                         "capture needs at least one module to hook (pass module names)")
    return plan


_PRESET_BUILDERS = {
    "leaves": _leaves,
    "transformer": _transformer,
    "hf-blocks": lambda model, modules: _hf(model, modules, with_embeddings=False),
    "hf-all": lambda model, modules: _hf(model, modules, with_embeddings=True),
    "resnet9": _resnet9,
}
