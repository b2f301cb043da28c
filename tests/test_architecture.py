"""The layout the code promises (issue 20): rooms of one concept each, data flowing one way."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).parents[1] / "subnetscope"
ROOMS = ("measures", "engine", "analysis", "report", "capture")


def _modules(room: str):
    return sorted((ROOT / room).rglob("*.py"))


def _imports(path: Path):
    """(resolved module, imported names) of every ``from ... import`` in ``path``."""
    package = path.relative_to(ROOT.parent).with_suffix("").parts[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = list(package[: len(package) - node.level + 1]) if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            yield module, [alias.name for alias in node.names]


@pytest.mark.parametrize("room", ROOMS)
def test_no_module_over_400_lines(room):
    long = {str(p.relative_to(ROOT)): n for p in _modules(room)
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert not long, f"split these by concept: {long}"


def test_no_special_case_for_one_measure_and_no_import_from_measures_into_engine():
    assert not [p for p in ROOT.rglob("*.py") if "is_gw" in p.read_text(encoding="utf-8")]
    for path in _modules("measures"):
        for module, _ in _imports(path):
            assert not module.startswith("subnetscope.engine"), f"{path.name} imports {module}"
    for path in _modules("engine"):
        for module, names in _imports(path):
            if module.startswith("subnetscope.measures"):
                private = [n for n in names if n.startswith("_")]
                assert not private and not any(part.startswith("_") for part in module.split(".")[1:]), \
                    f"{path.name} imports private {module}:{private}"


def test_options_by_position_still_work_with_a_warning():
    from subnetscope.analysis.partition import kmeans
    from subnetscope.measures import intra_distances

    X = np.random.default_rng(0).normal(size=(12, 3))
    with pytest.warns(FutureWarning, match=r"pass metric=, normalize= to intra_distances\(\) by keyword"):
        old = intra_distances(X, "cosine", "none")
    np.testing.assert_array_equal(old, intra_distances(X, metric="cosine", normalize="none"))
    with pytest.warns(FutureWarning, match="seed="):
        np.testing.assert_array_equal(kmeans(X, 2, 3), kmeans(X, 2, seed=3))
    with pytest.raises(TypeError, match="positional"):
        intra_distances(X, "cosine", "none", 5, 6)
