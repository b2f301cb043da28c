"""Registers the built-in measures. One module per family; each adds its own entries here."""

from __future__ import annotations

from .. import _options as opt
from .gw import OPTIONS as GW_OPTIONS
from .gw import gw_compare, gw_prepare
from .registry import Measure, register_measure

register_measure(
    Measure(
        name="gw",
        prepare=gw_prepare,
        compare=gw_compare,
        definition="Gromov-Wasserstein between intra-layer distance matrices (square loss, uniform weights)",
        handles_different_dims=True,
        kind="distance",
        as_distance="the GW objective (POT's convention)",
        symmetric=True,
        paired=False,
        invariances=("permutation", "rotation", "translation", "scaling"),
        option_specs={k: GW_OPTIONS[k] for k in ("metric", "normalize", "starts", "max_iter", "tol", "device",
                                                 "assignment", "screen_tol")},
    ),
    overwrite=True,
)

# --- the paper's baselines (App. H), each in its own family module ---
from .agw import OPTIONS as AGW_OPTIONS  # noqa: E402
from .agw import agw_compare, agw_prepare  # noqa: E402
from .cca import svcca_compare, svcca_prepare  # noqa: E402
from .cka import cka_compare, cka_prepare  # noqa: E402
from .msid import OPTIONS as MSID_OPTIONS  # noqa: E402
from .msid import msid_compare, msid_prepare  # noqa: E402
from .paired import cosine_compare, cosine_prepare, euclidean_compare, euclidean_prepare  # noqa: E402
from .rsa import RSA_OPTIONS, RSM_OPTIONS  # noqa: E402
from .rsa import rsa_compare, rsa_prepare, rsm_compare, rsm_prepare  # noqa: E402
from .transport import wasserstein_compare, wasserstein_prepare  # noqa: E402

_ALL = ("permutation", "rotation", "translation", "scaling")
_SCALE = {"scale": opt.choice("none", "rms")}

for _measure in (
    Measure(
        name="euclidean",
        prepare=euclidean_prepare,
        compare=euclidean_compare,
        definition="mean over samples of ‖y1_i − y2_i‖₂ (GW's identity plan on raw coordinates)",
        handles_different_dims=False,
        as_distance="the distance itself (raw scale unless scale='rms')",
        paired=True,
        invariances=(),
        option_specs=_SCALE,
    ),
    Measure(
        name="cosine",
        prepare=cosine_prepare,
        compare=cosine_compare,
        definition="mean over samples of 1 − cos(y1_i, y2_i)",
        handles_different_dims=False,
        kind="similarity",
        as_distance="1 − cosine similarity, averaged",
        paired=True,
        invariances=("scaling",),
    ),
    Measure(
        name="wasserstein",
        prepare=wasserstein_prepare,
        compare=wasserstein_compare,
        definition="exact optimal transport (ot.emd2) between the two point clouds, Euclidean ground cost, uniform weights",
        handles_different_dims=False,
        as_distance="the W1 cost itself (raw scale unless scale='rms')",
        paired=False,
        invariances=(),
        option_specs=_SCALE,
    ),
    Measure(
        name="rsa",
        prepare=rsa_prepare,
        compare=rsa_compare,
        definition="1 − Spearman (or Pearson) correlation of the upper triangles of the Euclidean RDMs",
        handles_different_dims=True,
        kind="similarity",
        as_distance="1 − correlation (range [0, 2])",
        invariances=_ALL,
        option_specs=RSA_OPTIONS,
    ),
    Measure(
        name="rsm",
        prepare=rsm_prepare,
        compare=rsm_compare,
        definition="‖D1 − D2‖_F / n between max-normalised Euclidean RDMs",
        handles_different_dims=True,
        as_distance="the scaled Frobenius norm itself",
        invariances=_ALL,
        option_specs=RSM_OPTIONS,
    ),
    Measure(
        name="cka",
        prepare=cka_prepare,
        compare=cka_compare,
        definition="1 − linear CKA (HSIC of centred linear Gram matrices; biased or debiased estimator)",
        handles_different_dims=True,
        kind="similarity",
        as_distance="1 − CKA",
        invariances=_ALL,
        option_specs={"estimator": opt.choice("biased", "debiased")},
    ),
    Measure(
        name="cca",
        prepare=svcca_prepare,
        compare=svcca_compare,
        definition="SVCCA: 1 − mean canonical correlation after keeping 99% of each layer's variance by SVD",
        handles_different_dims=True,
        kind="similarity",
        as_distance="1 − mean canonical correlation",
        invariances=_ALL,
        option_specs={"threshold": opt.number(0, 1, low_open=True), "n_components": opt.integer(1, optional=True)},
    ),
    Measure(
        name="msid",
        prepare=msid_prepare,
        compare=msid_compare,
        definition="multi-scale intrinsic distance: weighted max gap between kNN-graph heat-kernel traces",
        handles_different_dims=True,
        as_distance="the MSID score itself (xgfs/imd convention, 'max' mode)",
        paired=False,
        invariances=_ALL,
        stochastic=True,
        option_specs=MSID_OPTIONS,
    ),
    Measure(
        name="agw",
        prepare=agw_prepare,
        compare=agw_compare,
        definition="augmented GW: α·GW + (1 − α)·COOT feature-alignment term, block-coordinate descent",
        handles_different_dims=True,
        as_distance="the AGW objective itself",
        paired=False,
        invariances=("permutation", "scaling"),
        option_specs=AGW_OPTIONS,
    ),
):
    register_measure(_measure, overwrite=True)
