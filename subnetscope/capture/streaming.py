"""Layer by layer: each layer's output on *all* inputs, one layer at a time, in bounded memory.

:func:`~subnetscope.capture.capture` runs ``model(batch)`` batch after batch, so a layer is
complete only after the last batch and every hooked layer of every batch must be kept until
then (in memory, or on disk with ``store=``). :func:`stream_layers` swaps the two loops: it
traces the forward pass into a graph (``torch.fx``) and runs the graph node by node, each node
on every batch before the next node. A layer is complete as soon as its node has run, and only
the outputs that later nodes still read are held (for a residual network: the residual input
and the current layer), so memory is about two layers × n however many layers there are.

Every node sees the same batches it would see in ``model(batch)``, so the values are those of
``capture`` (bit for bit on the same device and batch size), in the module's own shape.

Limits: the forward pass must be traceable by ``torch.fx`` (no Python control flow on tensor
values, one tensor input); Hugging Face models are not (use ``capture`` for them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any, Callable

import numpy as np

from .forward import unwrap_output
from .inputs import to_device
from .presets import LayerPlan, resolve_layers

__all__ = ["stream_layers"]


def stream_layers(model: Any, inputs: Any, layers: str | Sequence[str] | Callable[..., bool], *,
                  batch_size: int = 256) -> Iterator[tuple[str, Any]]:
    """Yield ``(name, output)`` for each named layer, the layer's output on all inputs at once.

    Parameters
    ----------
    model : torch.nn.Module
        Runs in ``eval()`` mode under ``torch.no_grad()`` on its own device, from the first
        layer asked for until the iterator is exhausted or closed; then each sub-module's
        training flag is restored. Its forward pass must be traceable by ``torch.fx``.
    inputs : tensor or ndarray of shape (n, ...)
        Called as ``model(x)``; floating inputs are cast to the model's float type.
    layers : str, sequence of str or callable
        As for :func:`~subnetscope.capture.capture`: a preset (``"resnet9"``, ``"transformer"``),
        module names or a filter ``layers(name, module) -> bool``.
    batch_size : int
        Inputs per call of one module.

    Yields
    ------
    name : str
        The layer's name, as ``capture`` names it; in the order the forward pass reaches the
        layers. A module called k times per forward pass gives ``name#0`` .. ``name#{k-1}``.
    output : torch.Tensor of shape (n, ...)
        The module's output on all n inputs, unflattened, on the model's device. It is valid
        until the next layer is asked for (a later in-place module, such as
        ``ReLU(inplace=True)``, may overwrite it); copy it to keep it. Dropping it before asking
        for the next layer is what keeps memory bounded.

    Raises
    ------
    ValueError
        When the forward pass cannot be traced, or a layer is never reached.

    Examples
    --------
    >>> import torch
    >>> from subnetscope.models import ResNet9
    >>> for name, output in stream_layers(ResNet9(), torch.rand(8, 3, 32, 32), "resnet9", batch_size=4):
    ...     if name == "4.MaxPool":
    ...         print(tuple(output.shape))
    (8, 256, 16, 16)
    """
    import torch

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"`model` must be a torch.nn.Module, got {type(model).__name__}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive integer, got {batch_size!r}")
    if isinstance(inputs, np.ndarray):
        inputs = torch.as_tensor(inputs)
    if not isinstance(inputs, torch.Tensor):
        raise TypeError(f"`inputs` must be one tensor or array of shape (n, ...), passed as model(x), got "
                        f"{type(inputs).__name__}; capture() takes mappings, texts and DataLoaders")
    if inputs.ndim < 2 or inputs.shape[0] == 0:
        raise ValueError(f"`inputs` must have shape (n, ...) with n >= 1 samples on the first axis, "
                         f"got {tuple(inputs.shape)}")
    plan = resolve_layers(model, layers)
    graph = _trace(model, plan)
    return _run(model, graph, plan, inputs, int(batch_size))


def _trace(model: Any, plan: LayerPlan) -> Any:
    """The forward pass as a ``torch.fx`` graph in which every hooked module is one node.

    Traced in ``eval()`` mode, so that a forward pass that reads ``self.training`` records its
    evaluation branch; the training flags are restored afterwards.
    """
    import torch.fx

    targets = set(plan.targets)

    class _Tracer(torch.fx.Tracer):
        def is_leaf_module(self, module: Any, qualified_name: str) -> bool:
            return qualified_name in targets or super().is_leaf_module(module, qualified_name)

    modes = {module: module.training for module in model.modules()}
    model.eval()
    try:
        graph = _Tracer().trace(model)
    except Exception as exc:  # fx raises several types (TraceError, TypeError on len(proxy), ...)
        raise ValueError(
            f"stream_layers runs {type(model).__name__}'s forward pass as a torch.fx graph, but it cannot be "
            f"traced ({type(exc).__name__}: {exc}); Python control flow on tensor values or shapes (input "
            "checks too) is not traceable. capture() runs any forward pass (store= keeps its memory bounded, "
            "on disk)") from exc
    finally:
        for module, mode in modes.items():
            module.train(mode)
    called = Counter(node.target for node in graph.nodes if node.op == "call_module")
    never = [name for name in plan.targets if called[name] == 0]
    if never:
        raise ValueError(f"`layers` includes modules that the forward pass never calls: {never}; "
                         f"{type(model).__name__}.forward does not call them")
    # the graph inlines the forward of traced-through modules (the model itself included), so their
    # hooks would not run; modules called as one node, and what runs inside them, keep theirs
    skipped = [name or type(model).__name__ for name, module in model.named_modules()
               if (module._forward_hooks or module._forward_pre_hooks)
               and not any(name == leaf or name.startswith(leaf + ".") for leaf in called)]
    if skipped:
        raise ValueError(f"modules {skipped} have forward hooks, which a traced forward pass does not run; "
                         "remove them or use capture()")
    placeholders = [node for node in graph.nodes if node.op == "placeholder"]
    if any(not node.args for node in placeholders[1:]):
        raise ValueError(f"{type(model).__name__}.forward takes more than one input "
                         f"({[node.target for node in placeholders]}); stream_layers passes one tensor")
    return graph


def _run(model: Any, graph: Any, plan: LayerPlan, inputs: Any, batch_size: int) -> Iterator[tuple[str, Any]]:
    """Run ``graph`` node by node, each node on every batch, yielding the hooked layers."""
    import torch

    nodes = list(graph.nodes)
    last_use = {source: i for i, node in enumerate(nodes) for source in node.all_input_nodes}
    calls = Counter(node.target for node in nodes if node.op == "call_module" and node.target in plan.targets)
    end = max(i for i, node in enumerate(nodes) if node.op == "call_module" and node.target in plan.targets)
    n = inputs.shape[0]
    bounds = [(start, min(start + batch_size, n)) for start in range(0, n, batch_size)]
    params = next(model.parameters(), None)
    device = params.device if params is not None else inputs.device
    dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), None)
    modules = dict(model.named_modules())
    per_batch: dict[Any, list] = {}  # node -> its output on each batch
    constant: dict[Any, Any] = {}  # node -> its one output (no input behind it: get_attr, constants)
    seen: Counter = Counter()
    modes = {module: module.training for module in model.modules()}
    model.eval()
    try:
        for i, node in enumerate(nodes[:end + 1]):
            if node.op == "placeholder":
                if i == 0:  # the samples
                    per_batch[node] = [to_device(inputs[s:e], device, dtype) for s, e in bounds]
                else:  # a later argument with a default value
                    constant[node] = node.args[0]
                continue
            hooked = node.op == "call_module" and node.target in plan.targets
            full = None
            if hooked or any(source in per_batch for source in node.all_input_nodes):
                full = _each_batch(node, hooked, modules, model, per_batch, constant, bounds, n)
            else:
                with torch.no_grad():
                    constant[node] = _call(node, modules, model, lambda source: constant[source])
            # outputs that no later node reads are released before the layer comes out
            for source in [*node.all_input_nodes, *([] if node.users else [node])]:
                if last_use.get(source, i) == i:
                    per_batch.pop(source, None)
                    constant.pop(source, None)
            if hooked:
                k = seen[node.target]
                seen[node.target] += 1
                for name, extract in plan.targets[node.target]:
                    yield (name if calls[node.target] == 1 else f"{name}#{k}"), extract(full)
            del full
    finally:
        for module, mode in modes.items():
            module.train(mode)


def _each_batch(node: Any, hooked: bool, modules: dict, model: Any, per_batch: dict, constant: dict,
                bounds: list, n: int) -> Any:
    """Run ``node`` on every batch into ``per_batch[node]``; for a hooked module, return its
    output on all n inputs (one tensor that the per-batch values are views of)."""
    import torch

    outputs, full = [], None
    for b, (start, stop) in enumerate(bounds):
        with torch.no_grad():
            output = _call(node, modules, model, lambda source: per_batch[source][b] if source in per_batch
                           else constant[source])
        if not hooked:
            outputs.append(output)
            continue
        tensor = unwrap_output(output, where=f"module {node.target!r}")
        if tensor.ndim == 0 or tensor.shape[0] != stop - start:
            raise ValueError(f"layer {node.target!r} output has shape {tuple(tensor.shape)}, but its first axis "
                             f"must be the batch of {stop - start} samples; hook a module whose output is batch-first")
        if full is None:
            full = torch.empty((n, *tensor.shape[1:]), dtype=tensor.dtype, device=tensor.device)
        elif tensor.shape[1:] != full.shape[1:]:
            raise ValueError(f"layer {node.target!r} gave shape {tuple(full.shape[1:])} per sample in the first "
                             f"batch but {tuple(tensor.shape[1:])} in batch {b}; layers must keep their shape")
        full[start:stop] = tensor
        # later nodes read views of `full`, so the layer is held once
        outputs.append(full[start:stop] if output is tensor else output)
    per_batch[node] = outputs
    return full


def _call(node: Any, modules: dict, model: Any, value: Callable[[Any], Any]) -> Any:
    import torch.fx

    args = torch.fx.node.map_arg(node.args, value)
    kwargs = torch.fx.node.map_arg(node.kwargs, value)
    if node.op == "call_module":
        return modules[node.target](*args, **kwargs)
    if node.op == "call_function":
        return node.target(*args, **kwargs)
    if node.op == "call_method":
        return getattr(args[0], node.target)(*args[1:], **kwargs)
    if node.op == "get_attr":
        owner = model
        for part in node.target.split("."):
            owner = getattr(owner, part)
        return owner
    raise ValueError(f"stream_layers cannot run graph node {node.op!r} ({node.target})")
