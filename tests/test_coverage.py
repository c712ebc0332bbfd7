"""CI fails when a catalog id is missing, unreached, or not tested both ways."""
from __future__ import annotations

from typer.testing import CliRunner

from cpadvisor.cli.app import app
from cpadvisor.authoring.coverage import coverage


def test_catalog_fully_covered(kb):
    assert len(kb.catalog) == 122, "the catalog ../shared/spec/measure-catalog.csv must be beside the repo"
    cov = coverage(kb)
    assert cov.problems == []
    tot = cov.totals()
    assert tot["catalog"] == tot["encoded"] == tot["reached"] == tot["positive"] == tot["negative"] == 122


def test_coverage_command_strict_exit_code():
    res = CliRunner().invoke(app, ["coverage", "--strict"])
    assert res.exit_code == 0, res.output
    assert "122" in res.output
