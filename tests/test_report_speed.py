"""What makes reports fast must not change them: remembered escapes and words, and the data request reading
the facts the assessment built. Each is compared with the plain way of doing the same."""
from __future__ import annotations

from typing import Any

import pytest
from jinja2 import FileSystemLoader, StrictUndefined

import cpadvisor.report as R
import cpadvisor.report.markdown as M
from bench.synth import Generator
from cpadvisor import assess, load_knowledge, render_report
from cpadvisor.report.request import requests
from cpadvisor.models.results import Assessment
from cpadvisor.report import build_context, environment
from tests.conftest import EXAMPLES

COMMON: dict[str, Any] = dict(loader=FileSystemLoader(str(R.TEMPLATES)), undefined=StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def plain_md_escape(value: Any) -> Any:
    """md_escape as it was before it remembered anything."""
    if value is None:
        return ""
    if isinstance(value, R.Raw) or not isinstance(value, str):
        return value
    return value.translate(M._MD_TABLE) if M._MD_NEED.search(value) else value


def stock(kind: str):
    """The packaged environment without the remembering: Jinja's own escape for HTML."""
    if kind == "html":
        return R._Env(autoescape=True, **COMMON)
    env = R._Env(autoescape=False, finalize=plain_md_escape, **COMMON)
    env.filters["raw"] = R.Raw
    return env


@pytest.fixture(scope="module")
def sample(kb):
    profiles = [str(p) for p in sorted(EXAMPLES.glob("*.yaml"))] + Generator(kb, 11).profiles(40)
    return [assess(p, kb=kb) for p in profiles]


@pytest.mark.parametrize("fmt", ["md", "html"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_renders_equal_the_plain_environment(kb, sample, fmt, lang):
    ref = stock(fmt).get_template(f"report.{fmt}.j2")
    for a in sample:
        ctx = build_context(a, lang, kb)
        ctx["show_workings"] = True
        want = ref.render(**ctx)
        assert render_report(a, fmt, lang, kb=kb) == want, a.profile_name
        assert render_report(a, fmt, lang, kb=kb) == want, a.profile_name  # second time: from the memo


def test_jinja_compiles_the_templates():
    """No code generator of ours hooks Jinja's private compiler methods (issue 32: it saved 0.1-0.8 ms a report
    against 1 s for a report from the CLI); labels as template text and the escape memos stay."""
    for kind in ("md", "html"):
        env = environment(kind)
        src = env.compile(env.loader.get_source(env, f"report.{kind}.j2@zh")[0], raw=True)
        assert not [w for w in ("_cp_memo", "_cp_m ", "_cp_o", "_cp_g") if w in src]
        assert env.code_generator_class.__module__.startswith("jinja2")


def test_escape_memos_are_bounded():
    for i in range(M._ESCAPED_MAX + 100):
        R.md_escape(f"name_{i}")
    assert len(M._ESCAPED) <= M._ESCAPED_MAX
    assert R.md_escape("a_b") == "a\\_b" and R.md_escape(R.Raw("a_b")) == "a_b" and R.md_escape(None) == ""
    assert R.md_escape(3) == 3


def test_word_memo_keeps_types_and_languages_apart(kb):
    from cpadvisor.report.context import Ctx
    a = assess(str(EXAMPLES / "steel_plant.yaml"), kb=kb)
    zh, en = Ctx(a, "zh", kb), Ctx(a, "en", kb)
    assert zh.word("x", True) == zh.L["yes"] and zh.word("x", 1) == "1"  # True == 1, but not the same words
    assert en.word("x", True) == en.L["yes"] != zh.L["yes"]
    assert zh.word("x", 1.5) == "1.5" and zh.word("x", "1.5") == "1.5"


def test_word_memo_is_bounded(kb):
    from cpadvisor.report import context as C
    a = assess(str(EXAMPLES / "steel_plant.yaml"), kb=kb)
    c = C.Ctx(a, "zh", kb)
    for i in range(C.MEMO_MAX + 10):
        c.word("name", f"plant {i}")
    assert len(C.Ctx(a, "zh", kb)._memo) == 0  # the next report starts afresh once the memo is over its bound


def test_request_reads_the_assessment_facts_or_rebuilds_them(kb, sample):
    for a in sample:
        again = Assessment.model_validate_json(a.model_dump_json())  # from JSON: no facts kept
        assert a.facts_for(kb) is not None and again.facts_for(kb) is None
        assert requests(kb, a) == requests(kb, again), a.profile_name
    other = load_knowledge(use_cache=False)
    assert sample[0].facts_for(other) is None  # built with another knowledge base: not used


def test_labels_are_template_text_per_language():
    from cpadvisor.report.labels import labels
    for fmt in ("md", "html"):
        env = environment(fmt)
        plain = env.loader.get_source(env, f"report.{fmt}.j2")[0]
        for lang in ("zh", "en"):
            src = env.loader.get_source(env, f"report.{fmt}.j2@{lang}")[0]
            assert "{{ L.m_units }}" in plain and "{{ L.m_units }}" not in src
            assert labels(lang)["m_units"] in src
            # a label holding template syntax ('%' here) stays a lookup
            assert "%" in labels(lang)["f_sensitivity"] and "{{ L.f_sensitivity }}" in src
    env = environment("html")
    assert env.loader.get_source(env, "report.html.j2@xx")[0] == env.loader.get_source(env, "report.html.j2")[0]
    assert labels("zh") is labels("zh") and labels("zh") is not labels("en")  # one table per language, shared


def test_number_words_are_remembered_apart_by_type_and_unit():
    from cpadvisor.report import context as C
    for _ in range(2):  # second time: from the memo
        assert C.fmt_num(True) == "True" and C.fmt_num(1) == "1" and C.fmt_num(1.0, "t") == "1 t"
        assert C.fmt_num(1234567.25, "tce") == "1,234,567.25 tce" and C.fmt_num(1.5) == "1.5"
        assert C.fmt_num([1, 2]) == "[1, 2]" and C.fmt_num(None) == "None"
    for i in range(C._NUMS_MAX + 10):
        C.fmt_num(i + 0.5)
    assert len(C._NUMS) <= C._NUMS_MAX and C.fmt_num(0.25) == "0.25"
