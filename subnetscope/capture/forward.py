"""Forward passes with hooks on: the one place where module outputs become arrays.

Every hooked output goes through the same steps, in this order:

1. :func:`unwrap_output` — a tuple/list gives its first element, a ``ModelOutput`` or other
   mapping its first tensor value (BERT layers return tuples in some versions).
2. the layer plan's ``extract`` (e.g. head ``h`` of a ``(B, T, H, d_head)`` tensor).
3. masked attention scores: ``-inf`` entries become ``masked_score`` (0.0 by default) and are
   counted in ``settings["masked_entries"]``; NaN or ``+inf`` raise an error naming the layer.
4. pooling over the token axis (axis 1) for token inputs: ``flatten`` keeps every position,
   ``cls`` the first token, ``last`` the last non-padding token, ``mean`` the mean over
   non-padding tokens (the ``attention_mask``). ``auto`` (the default) is ``mean`` for inputs
   with an attention mask (texts with a tokenizer, a tokenizer's output) and ``flatten``
   otherwise; ``flatten`` over padded positions warns.
5. a detached copy on the CPU, reshaped to (B, n_features) — so later in-place operations
   (``ReLU(inplace=True)``) cannot change what was captured.

A module that fires more than once per forward pass (a reused module) gives one output per
call, named ``name#0``, ``name#1``, ... (call index), never a silent overwrite.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from .inputs import Batch, to_device
from .pooling import _HookError, _pool, warn_if_padding_flattened
from .presets import LayerPlan

__all__ = ["batch_rows", "hooks", "run_batches", "unwrap_output"]


def unwrap_output(output: Any, where: str = "module") -> Any:
    """The tensor inside a module's output: tensors as they are, the first element of a
    tuple/list, the first tensor value of a ``ModelOutput`` or other mapping."""
    import torch

    seen = output
    while not isinstance(seen, torch.Tensor):
        if isinstance(seen, Mapping):
            seen = next((v for v in seen.values() if v is not None), None)
        elif isinstance(seen, (tuple, list)) and seen:
            seen = seen[0]
        else:
            raise TypeError(
                f"{where} returned {type(output).__name__}, which holds no tensor to capture; "
                "hook a sub-module that returns a tensor"
            )
    return seen


@contextmanager
def hooks(model: Any, module_names: Sequence[str], callback: Callable[[str, Any], None]) -> Iterator[None]:
    """Call ``callback(module_name, output)`` after each forward of the named modules.

    The hooks are removed when the block exits, also on an error (try/finally).

    Examples
    --------
    >>> # with hooks(model, ["blocks.0.hook_resid_post"], lambda name, out: seen.append(out)):
    >>> #     model(tokens)
    """
    modules = dict(model.named_modules())
    handles = []
    try:
        for name in module_names:
            handles.append(modules[name].register_forward_hook(
                lambda module, args, output, _name=name: callback(_name, output)))
        yield
    finally:
        for handle in handles:
            handle.remove()


def batch_rows(tensor: Any, name: str, batch: Batch, pooling: str, masked_score: float,
               masked: dict[str, int]) -> np.ndarray:
    import torch

    tensor = tensor.detach()
    if tensor.ndim == 0 or tensor.shape[0] != batch.size:
        raise _HookError(ValueError(
            f"layer {name!r} output has shape {tuple(tensor.shape)}, but its first axis must be the "
            f"batch of {batch.size} samples; hook a module whose output is batch-first"))
    if not tensor.is_floating_point():
        tensor = tensor.float()
    elif tensor.dtype in (torch.float16, torch.bfloat16):
        tensor = tensor.float()
    neg_inf = torch.isneginf(tensor)
    if neg_inf.any():
        masked[name] = masked.get(name, 0) + int(neg_inf.sum())
        tensor = tensor.masked_fill(neg_inf, masked_score)
    if pooling != "flatten":
        if not batch.tokens:
            raise _HookError(ValueError(
                f"pooling={pooling!r} needs token inputs (a 2-D integer tensor or a mapping with input_ids) "
                "to know the token axis; these inputs are not tokens, use pooling='flatten'"))
        tensor = _pool(tensor, pooling, batch.mask, batch.seq_len, name)
    if not torch.isfinite(tensor).all():
        raise _HookError(ValueError(
            f"layer {name!r} gave {int((~torch.isfinite(tensor)).sum())} NaN or +Inf values on samples "
            f"{batch.start}..{batch.start + batch.size - 1}; representations must be finite"))
    return tensor.reshape(batch.size, -1).to("cpu", copy=True).numpy()



def run_batches(model: Any, plan: LayerPlan, batches: Callable[[], Iterator[Batch]], pooling: str,
                masked_score: float, device: Any, writer: Any, dtype: Any = None, bar: Any = None) -> tuple:
    """Forward every batch with hooks on; return names, shapes, chunks (or dtypes), masked counts
    and the pooling used ("auto" is decided on the first batch)."""
    calls: dict[str, int] = {}
    first_call: list[str] = []
    current: dict[tuple[str, int], np.ndarray] = {}
    masked: dict[str, int] = {}
    state: dict[str, Any] = {}

    def on_output(module_name: str, output: Any) -> None:
        k = calls.get(module_name, 0)
        calls[module_name] = k + 1
        if k == 0:
            first_call.append(module_name)
        tensor = unwrap_output(output, where=f"module {module_name!r}")
        for out_name, extract in plan.targets[module_name]:
            label = out_name if k == 0 else f"{out_name}#{k}"
            current[(out_name, k)] = batch_rows(extract(tensor), label, state["batch"], state["pooling"], masked_score, masked)

    names: list[str] | None = None
    expected: dict[str, int] = {}
    chunks: dict[str, list | str] = {}
    widths: dict[str, int] = {}
    n_rows = 0
    ranges: list[list[int]] = []
    with hooks(model, list(plan.targets), on_output):
        for batch_number, batch in enumerate(batches()):
            n_rows = batch.start + batch.size
            ranges.append([batch.start, n_rows])
            if names is not None and writer is not None and writer.has(batch.start, n_rows):
                continue  # written by an earlier, interrupted run of the same capture
            calls.clear()
            current.clear()
            first_call.clear()
            state["batch"] = batch
            if pooling == "auto":
                pooling = "mean" if batch.mask is not None else "flatten"
            state["pooling"] = pooling
            if batch_number == 0:
                warn_if_padding_flattened(pooling, batch.mask)
            _forward(model, batch, batch_number, device, dtype)
            if bar is not None:
                bar.update(batch.size)
            if names is None:
                never = [m for m in plan.targets if calls.get(m, 0) == 0]
                if never:
                    raise ValueError(
                        f"`layers` includes modules that the forward pass never reached: {never}; "
                        f"{type(model).__name__}.forward does not call them on these inputs")
                expected = dict(calls)
                names = _output_names(plan, expected)
                _check_order(plan, first_call)
            elif calls != expected:
                changed = {m: (expected.get(m, 0), calls.get(m, 0)) for m in plan.targets if calls.get(m, 0) != expected.get(m)}
                raise ValueError(f"modules fired a different number of times in batch {batch_number} than in "
                                 f"batch 0 (module: (before, now)): {changed}; captures need a fixed forward graph")
            arrays = {}
            for out_name in plan.order:
                owner = _owner(plan, out_name)
                for k in range(expected[owner]):
                    label = out_name if expected[owner] == 1 else f"{out_name}#{k}"
                    array = current[(out_name, k)]
                    if widths.setdefault(label, array.shape[1]) != array.shape[1]:
                        raise ValueError(
                            f"layer {label!r} gave {widths[label]} features in the first batch but {array.shape[1]} "
                            f"in batch {batch_number} (sequence length varies?); use pooling= or fixed-length inputs")
                    arrays[label] = array
            if writer is not None:
                writer.write(batch.start, arrays)
                for label, array in arrays.items():
                    chunks[label] = str(array.dtype)
            else:
                for label, array in arrays.items():
                    chunks.setdefault(label, []).append(array)
    if names is None:
        raise ValueError("`inputs` gave no samples")
    if writer is not None:
        writer.keep_only(ranges)  # shards of an earlier run with other batch boundaries go
    shapes = {label: (n_rows, widths[label]) for label in names}
    return names, shapes, chunks, masked, pooling


def _check_order(plan: LayerPlan, fired: list[str]) -> None:
    """Warn when named modules are listed in another order than the forward pass runs them:
    sub-network ranges and boundaries read the layer list as network order."""
    if plan.preset is not None:
        return
    listed = [m for m in plan.targets]
    ran = [m for m in fired if m in plan.targets]
    if listed != ran and sorted(listed) == sorted(ran):
        warnings.warn(
            f"`layers` lists modules in another order than the forward pass runs them: listed "
            f"{listed[:6]}{' ...' if len(listed) > 6 else ''}, run {ran[:6]}{' ...' if len(ran) > 6 else ''}. "
            "Representations keep the order given, but sub-network ranges and boundaries assume "
            "network order; list the layers in the order the model runs them", UserWarning, stacklevel=4)


def _owner(plan: LayerPlan, out_name: str) -> str:
    if not hasattr(plan, "_owners"):
        plan._owners = {o: m for m, outs in plan.targets.items() for o, _ in outs}  # type: ignore[attr-defined]
    return plan._owners[out_name]  # type: ignore[attr-defined]


def _output_names(plan: LayerPlan, counts: dict[str, int]) -> list[str]:
    names = []
    for out_name in plan.order:
        n_calls = counts[_owner(plan, out_name)]
        names += [out_name] if n_calls == 1 else [f"{out_name}#{k}" for k in range(n_calls)]
    return names


def _forward(model: Any, batch: Batch, batch_number: int, device: Any, dtype: Any = None) -> None:
    data = to_device(batch.data, device, dtype)
    try:
        model(**data) if isinstance(data, Mapping) else model(data)
    except _HookError as exc:
        raise exc.args[0] from None
    except Exception as exc:  # the model's own error: say which inputs it rejected
        shapes = ({k: tuple(v.shape) for k, v in data.items() if hasattr(v, "shape")}
                  if isinstance(data, Mapping) else tuple(data.shape))
        raise ValueError(
            f"{type(model).__name__} rejected `inputs` batch {batch_number} (samples {batch.start}.."
            f"{batch.start + batch.size - 1}, shape {shapes}, dtype "
            f"{getattr(data, 'dtype', None) or {k: str(v.dtype) for k, v in data.items() if hasattr(v, 'dtype')}}): "
            f"{type(exc).__name__}: {exc}"
        ) from exc
