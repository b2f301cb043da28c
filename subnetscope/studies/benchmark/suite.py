"""The benchmark's case lists (``tiny``, ``quick``, ``full``) and the measures it scores.

A :class:`CaseSpec` names a case and says how to make it (a generator and its arguments), so a
resumed run can tell what is already done before building anything. Cases are ordered
round-robin over families, so a partial run has scores for every family.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["CaseSpec", "PRESETS", "preset_cases", "measure_settings", "POT_START_LABEL", "OPTIONAL_SETTINGS"]

#: The extra row: GW from POT's product start alone (no other start, no warm start from the
#: neighbouring pairs), next to our multi-start default.
POT_START_LABEL = "gw-pot-start"
#: Variants scored only when named in ``measures`` (diagnostics, not in the default run).
OPTIONAL_SETTINGS = {"gw-mean": ("gw", {"normalize": "mean"})}


@dataclass(frozen=True)
class CaseSpec:
    """A case to make: ``generator(**kwargs)`` (a name in :data:`GENERATORS`)."""

    name: str
    family: str
    generator: str
    kwargs: dict = field(default_factory=dict)

    def make(self):
        import dataclasses

        case = generators()[self.generator](**self.kwargs)
        return dataclasses.replace(case, name=self.name)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "family": self.family, "generator": self.generator, "kwargs": self.kwargs}

    def provenance(self) -> dict[str, Any]:
        """What, beyond the spec, shapes the case: for Model L, the shipped checkpoint it loads
        now (a new release ships new weights; a case made from the old ones is stale)."""
        if self.generator != "model_l":
            return {}
        from ..modsum import TrainConfig, checkpoint_name, modsum_data

        return {"checkpoint": checkpoint_name("L", modsum_data("mod3"), TrainConfig())}


def generators() -> dict[str, Callable]:
    from .cases import null_chain, planted_chain
    from .encoders import encoder_frozen_prefix
    from .mlps import random_mlp, stagewise_mlp, stitched_mlp
    from .transformers import frozen_prefix, model_l, random_transformer, stagewise_transformer

    return {f.__name__: f for f in (planted_chain, null_chain, stagewise_mlp, stitched_mlp, random_mlp,
                                    stagewise_transformer, frozen_prefix, random_transformer, model_l,
                                    encoder_frozen_prefix)}


#: Sizes per preset: inputs captured (n), the modular alphabet (p), network shapes, bootstrap.
PRESETS: dict[str, dict[str, Any]] = {
    "tiny": {"n": 40, "p": 7, "widths": (8, 16), "depths": (1, 2), "d_model": 16, "boot": 1, "boot_n": 30},
    "quick": {"n": 120, "p": 13, "widths": (16, 40), "depths": (2, 3), "d_model": 32, "boot": 2, "boot_n": 60},
    "full": {"n": 250, "p": 17, "widths": (24, 64), "depths": (2, 3), "d_model": 32, "boot": 2, "boot_n": 100},
}


def _specs(preset: str) -> dict[str, list[CaseSpec]]:
    c = PRESETS[preset]
    net = {"p": c["p"], "n": c["n"]}
    mlp = {**net, "widths": c["widths"], "depths": c["depths"]}
    tf = {**net, "d_model": c["d_model"]}
    if preset == "tiny":
        return {
            "stagewise-mlp": [CaseSpec("mlp-2stages-s0", "stagewise-mlp", "stagewise_mlp", {"n_stages": 2, **mlp})],
            "stagewise-transformer": [CaseSpec("transformer-2stages-s1", "stagewise-transformer",
                                               "stagewise_transformer", {"n_stages": 2, "seed": 1, **tf})],
            "stitched": [CaseSpec("stitched-2-s0", "stitched", "stitched_mlp", {"n_modules": 2, **mlp})],
            "frozen-prefix": [CaseSpec("frozen1of2-s0", "frozen-prefix", "frozen_prefix",
                                       {"n_blocks": 2, "k_frozen": 1, "finetune": "diff", **tf})],
            "planted": [CaseSpec("planted-2-2-s0", "planted", "planted_chain",
                                 {"sizes": (2, 2), "n": c["n"], "widths": (8, 12)})],
            "control": [CaseSpec("null-chain4-s0", "control", "null_chain", {"n_layers": 4, "n": c["n"],
                                                                             "widths": (8, 12)})],
            "model-l": [CaseSpec("model-l-s0", "model-l", "model_l", {"n": c["n"], "layers": ("resid_mid", "resid_post")})],
        }
    seeds = (0,) if preset == "quick" else (0, 1)
    mlp_stages = (3,) if preset == "quick" else (2, 3, 4, 5)
    out = {
        "stagewise-mlp": [CaseSpec(f"mlp-{s}stages-s{seed}", "stagewise-mlp", "stagewise_mlp",
                                   {"n_stages": s, "seed": seed, **mlp})
                          for seed in seeds for s in mlp_stages if seed == 0 or s in (3, 5)],
        "stagewise-transformer": [CaseSpec(f"transformer-{s}stages-s{seed}", "stagewise-transformer",
                                           "stagewise_transformer", {"n_stages": s, "seed": seed, **tf})
                                  for seed in seeds for s in ((3,) if preset == "quick" else (2, 3, 4))
                                  if seed == 0 or s == 3],
        "stitched": [CaseSpec(f"stitched-{m}-s{seed}", "stitched", "stitched_mlp", {"n_modules": m, "seed": seed, **mlp})
                     for seed in seeds for m in ((2,) if preset == "quick" else (2, 3)) if seed == 0 or m == 2],
        "frozen-prefix": [CaseSpec(f"frozen{k}of4-s0", "frozen-prefix", "frozen_prefix",
                                   {"n_blocks": 4, "k_frozen": k, **tf})
                          for k in ((2,) if preset == "quick" else (1, 2, 3))]
                         + ([] if preset == "quick" else  # MiniLM, offline (dropped when not installed)
                            [CaseSpec(f"minilm-frozen{k}of6-s0", "frozen-prefix", "encoder_frozen_prefix",
                                      {"k_frozen": k, "n": c["n"]}) for k in (2, 4)]),
        "planted": [CaseSpec(f"planted-{'-'.join(map(str, sizes))}-s{seed}", "planted", "planted_chain",
                             {"sizes": sizes, "n": c["n"], "seed": seed, "noise": noise})
                    for sizes, seed, noise in ([((3, 3, 3), 0, 0.05)] if preset == "quick" else
                                               [((3, 3, 3), 0, 0.05), ((2, 4, 3, 2), 1, 0.05), ((4, 4), 2, 0.2),
                                                ((2, 2, 2, 2, 2), 3, 0.05), ((5, 3, 4), 4, 0.2)])],
        "control": ([CaseSpec(f"null-chain8-s{seed}", "control", "null_chain", {"n_layers": 8, "n": c["n"], "seed": seed})
                     for seed in seeds]
                    + [CaseSpec(f"random-mlp8-s{seed}", "control", "random_mlp",
                                {"n_layers": 8, "seed": seed, "widths": c["widths"], **net})
                       for seed in seeds]
                    + ([] if preset == "quick" else
                       [CaseSpec("random-transformer3-s0", "control", "random_transformer", {"n_blocks": 3, **tf})])),
        "model-l": [CaseSpec("model-l-s0", "model-l", "model_l", {"n": c["n"]})],
    }
    return out


def preset_cases(preset: str) -> list[CaseSpec]:
    """The cases of ``preset`` ("tiny", "quick" or "full"), round-robin over families."""
    from ..._validation import check_choice

    check_choice(preset, "preset", tuple(PRESETS))
    families = list(_specs(preset).values())
    out = []
    for i in range(max(len(f) for f in families)):
        out += [f[i] for f in families if i < len(f)]
    return out


def measure_settings(names=None) -> dict[str, tuple[str, dict]]:
    """Label -> (registered measure, options): every registered measure plus GW from POT's start.

    ``names`` (labels) picks some, among them also the optional variants
    (:data:`OPTIONAL_SETTINGS`: ``gw-mean``, GW with intra-layer distances divided by their mean
    instead of their maximum); an unknown one is refused with the known labels.
    """
    from ...measures.registry import list_measures

    settings = {m: (m, {}) for m in list_measures()}
    settings[POT_START_LABEL] = ("gw", {"starts": ("product",), "warm_start": False})
    if names is None:
        return settings
    names = list(names)
    if not names:
        raise ValueError(f"`measures` must name at least one of {', '.join(settings)}")
    settings.update(OPTIONAL_SETTINGS)
    unknown = [n for n in names if n not in settings]
    if unknown:
        raise ValueError(f"unknown benchmark measure(s) {', '.join(map(repr, unknown))}; "
                         f"expected some of {', '.join(settings)}")
    return {n: settings[n] for n in names}
