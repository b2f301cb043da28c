"""`subnetscope capture`: capture a model's layer representations into a run folder."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..capture.loading import SAFE_MODULES, load_inputs, load_model  # noqa: F401  (re-exported: the old home)
from ..capture.pooling import POOLINGS
from ..capture.presets import PRESETS
from ._common import command_line
from ._flags import add_out, add_quiet, add_samples, add_seed


def register(sub) -> None:
    parser = sub.add_parser(
        "capture",
        help="capture every layer's representation of a model into a run folder",
        description="Run MODEL on INPUTS with forward hooks and stream each layer's representation "
        "(n_samples, n_features) into the capture store RUN_DIR/reps (safetensors shards + manifest.json), "
        "which `subnetscope pairwise --out RUN_DIR` reads (a RUN_DIR that already is a capture store, "
        "the layout before run folders, is written in place). MODEL is a Hugging Face model folder (config.json; "
        "its own code is never run), a .pt dict {'class': 'subnetscope.models:Class', 'config': {...}, "
        "'state_dict': {...}} read weights-only, or a .safetensors file whose metadata holds 'class' and "
        "'config' (JSON). Nothing in MODEL runs code by default: a class outside subnetscope.models, or a "
        "torch.save'd nn.Module (a pickle), needs --trust-pickle. INPUTS is a .pt tensor "
        "or dict of tensors, an .npy array, an .npz (one array, or input_ids/attention_mask), or a "
        ".txt file with one text per line (needs a tokenizer in the HF model folder).",
    )
    parser.add_argument("model", type=Path, help="HF model folder, .pt class/config/state_dict dict or "
                        ".safetensors (a pickled .pt module needs --trust-pickle)")
    parser.add_argument("inputs", type=Path, help="INPUTS.pt | .npy | .npz | .txt")
    parser.add_argument("--layers", default="leaves",
                        help=f"preset ({', '.join(PRESETS)}) or comma-separated module names (default: leaves, "
                             "every module without children)")
    add_out(parser, required=True)
    parser.add_argument("--pooling", default="auto", choices=POOLINGS,
                        help="token pooling: auto = mean over non-padding tokens for texts and inputs with an "
                        "attention_mask, flatten otherwise; cls = first token (default: auto)")
    parser.add_argument("--batch-size", type=int, default=256, help="samples per forward pass (default: 256)")
    add_samples(parser, what="capture N inputs drawn with --seed")
    add_seed(parser)
    parser.add_argument("--max-length", type=int, default=128, help="tokenizer max length (default: 128)")
    parser.add_argument("--device", default=None, help="torch device, e.g. cuda (default: the model's)")
    parser.add_argument("--trust-pickle", action="store_true",
                        help="trust MODEL and whoever made it: unpickle a torch.save'd nn.Module (which runs any "
                        "code stored in the file) and import a class it names outside subnetscope.models "
                        "(which runs that package's code). Off by default: only weights are read")
    add_quiet(parser, old_no_progress=True)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..capture import capture
    from ..capture.loading import record_store_command, store_folder
    from ..runs import RunFolder

    inputs = load_inputs(args.inputs)  # a missing inputs file is said before the model loads
    model, tokenizer = load_model(args.model, trust_pickle=args.trust_pickle)
    if isinstance(inputs, list) and tokenizer is None:
        raise ValueError(f"inputs {str(args.inputs)!r} are texts, but model {str(args.model)!r} has no tokenizer files")
    layers: Any = args.layers if args.layers in PRESETS else [
        name.strip() for name in args.layers.split(",") if name.strip()]
    store = store_folder(args.out)
    reps = capture(model, inputs, layers, pooling=args.pooling, batch_size=args.batch_size,
                   n_samples=args.samples, seed=args.seed, device=args.device, store=store,
                   tokenizer=tokenizer, max_length=args.max_length, progress=not args.quiet)
    record_store_command(store, command_line(args))
    if store != args.out:  # a run folder: the chain's first command
        RunFolder(args.out).record_command("capture", command_line(args), first=True)
    pooling = reps.settings.get("pooling")
    print(f"{len(reps)} layers x {reps.n_samples} samples, pooling {pooling}"
          + (f" ({reps.settings['pooling_rule']})" if reps.settings.get("pooling_rule") else "") + f" -> {store}")
    print(f"next: subnetscope pairwise --out {args.out} --measure gw")
    return 0
