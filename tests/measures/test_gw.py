"""GW core: against POT, invariances, plan validity and bad input."""

from __future__ import annotations

import numpy as np
import ot
import pytest

from subnetscope import distance, gromov_wasserstein, intra_distances
from tests.conftest import layer_chain, random_rotation


def _pot_default(C1, C2):
    return float(ot.gromov.gromov_wasserstein2(C1, C2, ot.unif(len(C1)), ot.unif(len(C2))))


def _pot_loss(C1, C2, plan):
    constC, hC1, hC2 = ot.gromov.init_matrix(C1, C2, ot.unif(len(C1)), ot.unif(len(C2)))
    return float(ot.gromov.gwloss(constC, hC1, hC2, plan))


def _instances():
    rng = np.random.default_rng(7)
    out = []
    for n, m, d1, d2 in [(30, 30, 3, 3), (60, 60, 5, 20), (45, 45, 2, 7), (80, 80, 10, 4), (40, 25, 3, 6), (25, 50, 8, 2)]:
        X = rng.normal(size=(n, d1))
        W = rng.normal(size=(d1, d2))
        Y = np.tanh(2 * X[: min(n, m)] @ W) + 0.05 * rng.normal(size=(min(n, m), d2))
        if m > n:
            Y = np.vstack([Y, rng.normal(size=(m - n, d2))])
        out.append((intra_distances(X), intra_distances(Y)))
    # structured: clusters vs a ring
    t = np.linspace(0, 2 * np.pi, 50, endpoint=False)
    ring = np.c_[np.cos(t), np.sin(t)]
    blobs = np.repeat(rng.normal(size=(5, 4)) * 3, 10, axis=0) + 0.1 * rng.normal(size=(50, 4))
    out.append((intra_distances(ring), intra_distances(blobs)))
    reps = layer_chain(n=70)
    names = list(reps)
    for a, b in [(0, 2), (1, 4), (2, 3)]:
        out.append((intra_distances(reps[names[a]]), intra_distances(reps[names[b]])))
    return out


@pytest.mark.parametrize("C1, C2", _instances())
def test_never_worse_than_pot_default_and_value_matches_plan(C1, C2):
    result = gromov_wasserstein(C1, C2)
    pot = _pot_default(C1, C2)
    assert result.value <= pot * (1 + 1e-9) + 1e-12
    assert result.value == pytest.approx(_pot_loss(C1, C2, result.plan), rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(result.plan.sum(axis=1), 1 / len(C1), atol=1e-12)
    np.testing.assert_allclose(result.plan.sum(axis=0), 1 / len(C2), atol=1e-12)
    assert (result.plan >= 0).all()
    assert set(result.values) >= {"product", "tlb"}
    assert result.value == min(result.values.values())


def test_product_start_reproduces_pot():
    for C1, C2 in _instances()[:4]:
        result = gromov_wasserstein(C1, C2, starts=("product",))
        assert result.value == pytest.approx(_pot_default(C1, C2), rel=1e-7)


def test_isometric_copy_gives_zero(rng):
    X = rng.normal(size=(60, 6))
    perm = rng.permutation(60)
    Y = 3.5 * (X @ random_rotation(6, rng)) + rng.normal(size=6)  # rotate, scale, translate
    Y = Y[perm]
    value = gromov_wasserstein(intra_distances(X), intra_distances(Y)).value
    assert value < 1e-12
    assert distance(X, Y) < 1e-12
    # reflection and zero-padding into more dimensions are isometries too
    Z = np.c_[-X, np.zeros((60, 3))]
    assert distance(X, Z) < 1e-12


def test_recovers_the_permutation(rng):
    X = rng.normal(size=(40, 3))
    perm = rng.permutation(40)
    result = gromov_wasserstein(intra_distances(X), intra_distances(X[perm]))
    # sample i of X is sample argwhere(perm == i) of X[perm]
    assert np.array_equal(perm[result.permutation], np.arange(40))


def test_symmetric_in_its_arguments():
    for C1, C2 in _instances():
        ab, ba = gromov_wasserstein(C1, C2), gromov_wasserstein(C2, C1)
        assert ab.value == ba.value
        np.testing.assert_array_equal(ab.plan, ba.plan.T)


def test_different_dimensions_and_monotone_in_scale(rng):
    X = rng.normal(size=(50, 2))
    Y = np.tanh(X @ rng.normal(size=(2, 30)))
    C1, C2 = intra_distances(X), intra_distances(Y)
    v = gromov_wasserstein(C1, C2).value
    assert v > 0
    # scaling one matrix away from the other makes GW grow
    assert gromov_wasserstein(C1, 3.0 * C2).value > v


def test_warm_start_is_used_and_never_hurts():
    C1, C2 = _instances()[1]
    cold = gromov_wasserstein(C1, C2)
    warm = gromov_wasserstein(C1, C2, init=cold.permutation)
    assert warm.value <= cold.value + 1e-15
    assert "init" in warm.values


def test_non_cnd_matrices_fall_back_to_dense_steps(rng):
    # Random symmetric matrices are not conditionally negative definite: steps may stop inside.
    A = rng.random((30, 30)); A = (A + A.T) / 2; np.fill_diagonal(A, 0)
    B = rng.random((30, 30)); B = (B + B.T) / 2; np.fill_diagonal(B, 0)
    result = gromov_wasserstein(A, B)
    assert result.value <= _pot_default(A, B) * (1 + 1e-9)
    assert result.value == pytest.approx(_pot_loss(A, B, result.plan), rel=1e-9)


def _square_instances():
    return [(C1, C2) for C1, C2 in _instances() if C1.shape == C2.shape]


@pytest.mark.parametrize("k", range(len(_square_instances())))
def test_screening_keeps_the_guarantee_and_ends_at_a_stationary_point(k):
    from scipy.optimize import linear_sum_assignment

    C1, C2 = _square_instances()[k]
    pot_start = gromov_wasserstein(C1, C2, starts=("product",)).value
    alone = {name: gromov_wasserstein(C1, C2, starts=(name,)).value for name in ("identity", "product", "tlb")}
    for tol in (0.01, 0.3):
        result = gromov_wasserstein(C1, C2, screen_tol=tol)
        assert result.value <= pot_start
        assert result.values["product"] == alone["product"]  # POT's start is never screened
        # a screened start stops early, so it can only end at or above its converged value
        for name in ("identity", "tlb"):
            assert result.values[name] >= alone[name] - 1e-12
        # the winner was finished: no permutation has a better linear score at it (FW gap 0)
        G = C1 @ result.plan @ C2
        best_linear = G[linear_sum_assignment(G, maximize=True)].sum() / len(C1)
        assert best_linear <= np.vdot(G, result.plan) * (1 + 1e-9)


def test_without_screening_every_start_converges_as_when_run_alone():
    for C1, C2 in _instances()[:5]:
        result = gromov_wasserstein(C1, C2, screen_tol=0)
        for name, value in result.values.items():
            assert value == pytest.approx(gromov_wasserstein(C1, C2, starts=(name,)).value, rel=1e-12, abs=1e-15)


def test_screening_saves_iterations_on_trained_like_layers():
    reps = layer_chain(n=120)
    Cs = [intra_distances(X) for X in reps.values()]
    pairs = [(a, b) for a in range(len(Cs)) for b in range(a + 1, len(Cs))]
    full = sum(gromov_wasserstein(Cs[a], Cs[b], screen_tol=0).total_iter for a, b in pairs)
    screened = sum(gromov_wasserstein(Cs[a], Cs[b]).total_iter for a, b in pairs)
    assert screened < full


@pytest.mark.parametrize("threads", [2, 4])
def test_starts_in_threads_give_the_same_result_as_one_by_one(threads):
    # with a warm start too: four starts, so four threads run them all at once
    for C1, C2 in _instances():
        init = np.random.default_rng(0).permutation(len(C1)) if C1.shape == C2.shape else None
        one = gromov_wasserstein(C1, C2, init=init, threads=1)
        many = gromov_wasserstein(C1, C2, init=init, threads=threads)
        assert (one.value, one.start, one.values, one.total_iter) == (many.value, many.start, many.values, many.total_iter)
        np.testing.assert_array_equal(one.plan, many.plan)


@pytest.mark.parametrize("bad", [-0.1, 1.0, float("nan"), "x", True, None])
def test_screen_tol_is_checked(bad):
    C1, C2 = _instances()[0]
    with pytest.raises(ValueError, match="screen_tol"):
        gromov_wasserstein(C1, C2, screen_tol=bad)


class TestIntraDistances:
    def test_matches_scipy(self, rng):
        from scipy.spatial.distance import cdist

        X = rng.normal(size=(20, 3, 4))
        flat = X.reshape(20, -1)
        np.testing.assert_allclose(intra_distances(X, normalize="none"), cdist(flat, flat), atol=1e-10)
        np.testing.assert_allclose(
            intra_distances(X, metric="sqeuclidean", normalize="none"), cdist(flat, flat, "sqeuclidean"), atol=1e-9
        )
        np.testing.assert_allclose(intra_distances(X, metric="cosine", normalize="none"), cdist(flat, flat, "cosine"), atol=1e-10)

    def test_normalisations(self, rng):
        X = rng.normal(size=(15, 4))
        assert intra_distances(X).max() == pytest.approx(1.0)
        D = intra_distances(X, normalize="mean")
        assert D[~np.eye(15, dtype=bool)].mean() == pytest.approx(1.0)

    def test_chunked_equals_unchunked(self, rng):
        X = rng.normal(size=(33, 50))
        np.testing.assert_allclose(intra_distances(X, chunk_size=7), intra_distances(X), atol=1e-12)

    def test_constant_layer_is_zero_not_nan(self):
        D = intra_distances(np.ones((10, 4)))
        assert np.array_equal(D, np.zeros((10, 10)))

    def test_integer_and_float16_inputs(self, rng):
        X = rng.integers(0, 5, size=(12, 3))
        np.testing.assert_allclose(intra_distances(X), intra_distances(X.astype(float)))
        np.testing.assert_allclose(
            intra_distances(X.astype(np.float16)), intra_distances(X.astype(float)), atol=1e-12
        )


class TestBadInput:
    def test_nan_names_counts(self):
        X = np.ones((5, 2)); X[1, 0] = np.nan; X[3, 1] = np.inf
        with pytest.raises(ValueError, match=r"`Y` contains 1 NaN and 1 Inf values in 2 of its 5 samples"):
            intra_distances(X)

    def test_too_few_samples(self):
        with pytest.raises(ValueError, match="at least 2 samples"):
            intra_distances(np.ones((1, 3)))

    def test_one_dimensional(self):
        with pytest.raises(ValueError, match=r"reshape\(-1, 1\)"):
            intra_distances(np.arange(5.0))

    def test_non_square_and_asymmetric(self, rng):
        with pytest.raises(ValueError, match="`C1` must be a square"):
            gromov_wasserstein(np.zeros((3, 4)), np.zeros((3, 3)))
        A = rng.random((5, 5))
        with pytest.raises(ValueError, match="`C2` must be symmetric"):
            gromov_wasserstein(np.zeros((5, 5)), A)

    def test_unknown_options(self):
        with pytest.raises(ValueError, match=r"`metric` must be one of .* did you mean 'cosine'"):
            intra_distances(np.eye(3), metric="cosin")
        with pytest.raises(ValueError, match="`starts` must be one of"):
            gromov_wasserstein(np.zeros((3, 3)), np.zeros((3, 3)), starts=("random",))
        with pytest.raises(TypeError, match=r"unknown option 'normalise' for measure 'gw'.*did you mean 'normalize'"):
            distance(np.eye(3), np.eye(3), normalise="max")

    def test_one_start_may_be_given_by_name(self):
        # `-o starts=product` on the command line gives a string, not a tuple of one
        C1, C2 = _square_instances()[1]
        one = gromov_wasserstein(C1, C2, starts="product")
        assert one.values.keys() == {"product"}
        assert one.value == gromov_wasserstein(C1, C2, starts=("product",)).value


# --- the exact assignment solvers: lap (Jonker-Volgenant) and emd (POT's network simplex) ---


def _gw_gradients():
    """Real Frank-Wolfe gradients C1 @ C2[σ] / n along a path, at several sizes."""
    from subnetscope.measures.gw import _Problem, _assignment

    out = []
    for n in (40, 150):
        reps = layer_chain(n=n)
        names = list(reps)
        P = _Problem(intra_distances(reps[names[1]]), intra_distances(reps[names[3]]))
        sigma = np.arange(n)
        for _ in range(3):
            G = P.grad_perm(sigma)
            out.append(G)
            sigma = _assignment(G, "emd")
    rng = np.random.default_rng(3)
    out.append(rng.integers(0, 4, size=(30, 30)).astype(float))  # many ties
    return out


@pytest.mark.parametrize("G", _gw_gradients())
def test_lap_assignment_is_optimal_like_emd(G):
    pytest.importorskip("lap")
    from scipy.optimize import linear_sum_assignment

    from subnetscope.measures.gw import _assignment

    rows = np.arange(G.shape[0])
    best = G[rows, linear_sum_assignment(G, maximize=True)[1]].sum()
    for solver in ("lap", "emd", "sap"):
        sigma = _assignment(G, solver)
        assert np.array_equal(np.sort(sigma), rows), solver
        assert G[rows, sigma].sum() == pytest.approx(best, rel=1e-13, abs=1e-13), solver


@pytest.mark.parametrize("k", range(len(_instances())))
@pytest.mark.parametrize("solver", ["lap", "sap"])
def test_solvers_same_objective_as_emd_and_never_worse_than_pot(k, solver):
    C1, C2 = _instances()[k]
    ours = gromov_wasserstein(C1, C2, assignment=solver)
    by_emd = gromov_wasserstein(C1, C2, assignment="emd")
    assert ours.value <= _pot_default(C1, C2) * (1 + 1e-9) + 1e-12
    assert by_emd.value <= _pot_default(C1, C2) * (1 + 1e-9) + 1e-12
    if k == 6:
        # The evenly spaced ring has exactly tied distances: several permutations are
        # optimal at some steps, the solvers may pick different ones, and the paths
        # (all exact Frank-Wolfe) can end in different local optima. Only the guarantee holds.
        return
    assert ours.values == pytest.approx(by_emd.values, rel=1e-10, abs=1e-14)
    assert ours.value == pytest.approx(by_emd.value, rel=1e-10, abs=1e-14)
    if k < 4:
        assert gromov_wasserstein(C1, C2, starts=("product",), assignment=solver).value == pytest.approx(
            _pot_default(C1, C2), rel=1e-7
        )


def _cost_matrices():
    rng = np.random.default_rng(11)
    out = [rng.random((n, n)) for n in (1, 2, 7, 64)]
    out += [rng.integers(0, 3, size=(n, n)).astype(float) for n in (5, 40)]  # many ties
    out.append(np.add.outer(rng.random(30), rng.random(30)))  # every assignment is optimal
    out.append(np.zeros((6, 6)))
    out.append(-np.abs(np.subtract.outer(np.arange(50.0), np.arange(50.0))) ** 1.5 * 1e6)
    return out


@pytest.mark.parametrize("lists", [False, True], ids=["scan", "candidate-lists"])
@pytest.mark.parametrize("cost", _cost_matrices(), ids=lambda c: f"n{c.shape[0]}")
def test_sap_is_optimal_from_any_warm_start(cost, lists, rng, monkeypatch):
    """The warm start (column duals, previous assignment) changes only the speed: from
    zero duals, random duals, the optimal duals of a perturbed cost and any previous
    assignment, the result is an optimal assignment (scipy as the reference); with the
    auction's candidate lists (used from n = 256 on) too."""
    from scipy.optimize import linear_sum_assignment

    from subnetscope.measures import _lsap

    monkeypatch.setattr(_lsap, "_CANDIDATES_FROM", 0 if lists else 10**9)
    for name in ("_AUCTION_SHARE", "_AUCTION_SHARE_LISTS"):  # the auction runs on every call
        monkeypatch.setattr(_lsap, name, 0.0)

    n = cost.shape[0]
    rows = np.arange(n)
    best = cost[linear_sum_assignment(cost)].sum()
    tol = 1e-11 * max(1.0, np.abs(cost).max()) * n
    other = cost + 0.05 * np.abs(cost).max() * rng.random((n, n))
    v_other = np.zeros(n)
    prev_other = _lsap.solve(other, v_other)
    starts = [
        (np.zeros(n), None),
        (rng.normal(size=n) * 10, None),
        (v_other.copy(), prev_other),
        (v_other.copy(), rng.permutation(n)),
    ]
    for v, prev in starts:
        sigma = _lsap.solve(cost, v, prev)
        assert np.array_equal(np.sort(sigma), rows)
        assert cost[rows, sigma].sum() == pytest.approx(best, abs=tol)
        # the returned duals certify optimality: feasible, and tight on the assignment
        u = (cost - v[None, :]).min(axis=1)
        assert np.allclose(cost[rows, sigma] - u - v[sigma], 0.0, atol=tol)


def test_auction_is_eps_optimal_and_gives_feasible_duals(rng):
    """The auction that warm-starts ``sap`` on many free rows: its assignment is within
    n·eps of the optimum (Bertsekas), on random and on tie-heavy costs."""
    from scipy.optimize import linear_sum_assignment

    from subnetscope.measures._lsap_kernels import _auction

    for K in (0, 4):  # plain scans; candidate lists (bids from each row's 4 best columns)
        for cost in (rng.random((80, 80)), rng.integers(0, 3, size=(60, 60)).astype(float)):
            n = cost.shape[0]
            v, col4row = np.zeros(n), np.empty(n, np.int64)
            assert _auction(cost, v, col4row, 0.25, 1e-7, 6.0, K)
            assert np.array_equal(np.sort(col4row), np.arange(n))
            best = cost[linear_sum_assignment(cost)].sum()
            span = cost.max() - cost.min()
            assert best <= cost[np.arange(n), col4row].sum() <= best + n * 1e-7 * span * (1 + 1e-9)
            # eps-complementary slackness at the returned prices (-v): every row's column is
            # within eps of its best
            profit = v[None, :] - cost
            slack = profit.max(axis=1) - profit[np.arange(n), col4row]
            assert slack.max() <= 1e-7 * span * (1 + 1e-6)
        assert not _auction(np.ones((4, 4)), np.zeros(4), np.empty(4, np.int64), 0.25, 1e-7, 6.0, K)


def test_sap_without_numba_says_what_to_install(monkeypatch):
    from subnetscope.measures import _lsap

    monkeypatch.setattr(_lsap, "_KERNEL", None)
    monkeypatch.setitem(__import__("sys").modules, "numba", None)
    monkeypatch.delitem(__import__("sys").modules, "subnetscope.measures._lsap_kernels", raising=False)
    with pytest.raises(ImportError, match="needs numba on every machine.*pip install numba"):
        _lsap.solve(np.eye(3), np.zeros(3))


def test_sap_rejects_bad_inputs():
    from subnetscope.measures import _lsap

    with pytest.raises(ValueError, match="square"):
        _lsap.solve(np.zeros((3, 4)), np.zeros(4))
    with pytest.raises(ValueError, match="`v` must be a float64 array of shape \\(3,\\)"):
        _lsap.solve(np.zeros((3, 3)), np.zeros(2))
    with pytest.raises(ValueError, match="no finite assignment"):
        _lsap.solve(np.full((3, 3), np.inf), np.zeros(3))


def test_assignment_option_is_checked_and_auto_resolves(monkeypatch):
    from subnetscope.measures import gw

    C = intra_distances(layer_chain(n=20)["layer1"])
    with pytest.raises(ValueError, match="assignment"):
        gromov_wasserstein(C, C, assignment="hungarian")
    modules = __import__("sys").modules
    assert gw.resolve_assignment("auto") == "sap"  # numba is a dependency
    monkeypatch.setitem(modules, "numba", None)  # as if numba were not installed
    assert gw.resolve_assignment("auto") == "auto"  # lap or emd per pair
    with pytest.raises(ImportError, match="pip install numba"):
        gromov_wasserstein(C, C, assignment="sap")
    monkeypatch.setitem(modules, "lap", None)  # ... nor lap
    assert gw.resolve_assignment("auto") == "emd"
    with pytest.raises(ImportError, match="pip install lap"):
        gromov_wasserstein(C, C, assignment="lap")
    assert gromov_wasserstein(C, C).value == pytest.approx(0.0, abs=1e-12)


def test_low_dimensional_test_tells_apart_few_and_many_dimensions(rng):
    from subnetscope.measures.gw import _low_dimensional

    assert _low_dimensional(intra_distances(rng.normal(size=(120, 2))))
    assert _low_dimensional(intra_distances(rng.normal(size=(120, 4)) @ rng.normal(size=(4, 50))))
    assert not _low_dimensional(intra_distances(rng.normal(size=(120, 30))))
    assert _low_dimensional(np.zeros((10, 10)))  # a constant layer


@pytest.mark.parametrize("moved", [0, 1, 2, 7, 40, 45, 50])
def test_incremental_gradient_equals_the_full_product(moved):
    # the Frank-Wolfe step from σ to τ updates the gradient in the rows that moved only
    # (up to 3/4 of the rows, 45 of 60; 50 takes the full product), leaving its inputs as they were
    from subnetscope.measures.gw import _Problem

    rng = np.random.default_rng(moved)
    C1 = intra_distances(rng.normal(size=(60, 5)))
    C2 = intra_distances(rng.normal(size=(60, 3)))
    P = _Problem(C1, C2)
    sigma = rng.permutation(60)
    tau = sigma.copy()
    idx = rng.choice(60, moved, replace=False)
    tau[idx] = tau[np.roll(idx, 1)]  # a cycle over `moved` positions
    assert np.sum(tau != sigma) == (moved if moved > 1 else 0)
    G = P.grad_perm(sigma)
    G_before, C2_before = G.copy(), C2.copy()
    assert np.allclose(P.grad_step(sigma, G, tau), P.grad_perm(tau), rtol=1e-13, atol=1e-15)
    assert np.array_equal(G, G_before) and np.array_equal(P.C2, C2_before)
