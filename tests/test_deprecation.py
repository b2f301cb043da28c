"""Old ways of passing options keep working, with a warning that names the new way."""

from __future__ import annotations

import inspect
import warnings

import pytest

from subnetscope._deprecation import renamed_keywords

RENAMED = {"n_boot": "bootstrap", "boot_samples": "bootstrap_samples"}


def entry_point(**options):
    return renamed_keywords(options, RENAMED, "entry_point")


def test_an_old_keyword_moves_to_its_new_name_with_a_warning_at_the_caller():
    with pytest.warns(DeprecationWarning, match=r"entry_point: `n_boot` is deprecated \(it still works\); "
                                                r"use `bootstrap`") as caught:
        line = inspect.currentframe().f_lineno + 1
        got = entry_point(n_boot=3, samples=10)
    assert got == {"bootstrap": 3, "samples": 10}
    # at the entry point's caller, not in the helper or the entry point
    assert len(caught) == 1 and (caught[0].filename, caught[0].lineno) == (__file__, line)


def test_new_names_pass_through_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert entry_point(bootstrap=3, bootstrap_samples=40) == {"bootstrap": 3, "bootstrap_samples": 40}


def test_each_old_keyword_gets_its_own_warning():
    with pytest.warns(DeprecationWarning) as caught:
        got = entry_point(n_boot=1, boot_samples=8)
    assert got == {"bootstrap": 1, "bootstrap_samples": 8}
    assert sorted(str(w.message).split("; use ")[1] for w in caught) == ["`bootstrap_samples`", "`bootstrap`"]


def test_old_and_new_name_together_is_an_error_naming_both():
    with pytest.raises(ValueError, match=r"entry_point: `n_boot` is the old name of `bootstrap`; pass `bootstrap` "
                                         r"only \(got n_boot=1 and bootstrap=2\)"):
        entry_point(n_boot=1, bootstrap=2)
