"""CI fails when a catalog id is missing, unreached, or not tested both ways."""
from __future__ import annotations

from typer.testing import CliRunner

from cpadvisor.cli.app import app
from cpadvisor.authoring.coverage import coverage


def n_catalog() -> int:
    """The measures the package's catalog lists (the spec's 122, and any an expert added with new-measure)."""
    from cpadvisor.knowledge.catalog import load_catalog
    return len(load_catalog())


def test_catalog_fully_covered(kb):
    assert len(kb.catalog) == n_catalog() >= 122
    cov = coverage(kb)
    assert cov.problems == []
    tot = cov.totals()
    assert tot["catalog"] == tot["encoded"] == tot["reached"] == tot["positive"] == tot["negative"] == n_catalog()


def test_coverage_command_strict_exit_code():
    res = CliRunner().invoke(app, ["coverage", "--strict"])
    assert res.exit_code == 0, res.output
    assert str(n_catalog()) in res.output
