"""What makes reports fast must not change them: remembered escapes and words, and the data request reading
the facts the assessment built. Each is compared with the plain way of doing the same."""
from __future__ import annotations

from typing import Any

import pytest
from jinja2 import FileSystemLoader, StrictUndefined

import cpadvisor.report as R
from bench.synth import Generator
from cpadvisor import assess, load_knowledge, render_report
from cpadvisor.intake.request import requests
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
    return value.translate(R._MD_TABLE) if R._MD_NEED.search(value) else value


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


def test_html_values_go_through_the_remembering_escape():
    """If a Jinja release compiles output another way, this fails (the override would silently do nothing)."""
    env = environment("html")
    src = env.compile(env.loader.get_source(env, "report.html.j2")[0], raw=True)
    assert "environment.escape_text(" in src
    assert "_cp_memo[_cp_e]" in src and "_cp_o['name'] if (_cp_o := " in src  # both inlined
    assert src.startswith("_cp_memo = environment.memo")  # the memo as one name of the module
    assert "environment.getattr(" in src  # and the general case kept beside them
    assert R.html_escape("<a & b>") == "&lt;a &amp; b&gt;" and R.html_escape("<a & b>") is R.html_escape("<a & b>")
    safe = R.Markup("<b>")
    assert R.html_escape(safe) is safe and str(R.html_escape(safe)) == "<b>"  # already safe: as is, not copied
    assert R.html_escape(3) == "3" and R.html_escape(None) == "None"  # as markupsafe.escape
    for text in ("plain", "<a href='x'>\"&\"</a>", "中文 & 更多"):  # plain text: escape's text, as str
        assert R.html_escape(text) == str(R.escape(text)) and R.html_escape(text).__class__ is str


def test_escape_memos_are_bounded():
    for i in range(R._ESCAPED_MAX + 100):
        R.md_escape(f"name_{i}")
        R.html_escape(f"<{i}>")
    assert len(R._ESCAPED) <= R._ESCAPED_MAX and len(R._HTML) <= R._ESCAPED_MAX
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


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_inlined_reads_and_escapes_keep_jinjas_meaning(fmt):
    """Attribute reads on objects and missing keys, Markup and non-text values, Markdown's own escaping."""
    class Obj:
        name = "<o_b>"

    env, ref = environment(fmt), stock(fmt)
    src = ("{{ d.name }}|{{ o.name }}|{{ d.n }}|{{ d.safe }}|{{ d.nested.name }}|{{ d.none }}|"
           "{% if d.missing is undefined %}undef{% endif %}|{{ d.items | join(', ') }}|{{ d.mixed | join('; ') }}")
    src += ("{% macro mac(x, full=True) %}[{{ x }}{% if full %}+{% endif %}]{% endmacro %}"
            "{% for i in d.items %}{{ mac(i) }}{{ mac(i, full=False) }}{{ f(i) }}{% endfor %}{{ f(d.n, k='<k>') }}")
    ctx = {"d": {"name": "a_b <c>", "n": 3, "safe": R.Markup("<i>x</i>"), "nested": {"name": "*n*"}, "none": None,
                 "items": ["x_1", "<y>"], "mixed": [R.Markup("<b>"), "<u>", 2]}, "o": Obj(),
           "f": lambda v, k="": f"<{v}{k}>"}
    assert env.from_string(src).render(**ctx) == ref.from_string(src).render(**ctx)
    code = env.compile(src, raw=True)
    assert "_cp_m._func(" in code  # mac(i): its function called directly, the missing argument as `missing`
    assert "_cp_m(context.eval_ctx" in code  # mac(i, full=False): the macro called as context.call would


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_macros_called_directly_only_where_macro_call_would_do_the_same(fmt):
    """Varargs, kwargs and caller, a macro defined twice, a name set to something else: Jinja's own path."""
    env, ref = environment(fmt), stock(fmt)
    src = ("{% macro v() %}({{ varargs | join(',') }}){% endmacro %}{{ v(1, '<2>') }}"
           "{% macro k(a) %}({{ a }}{{ kwargs.b }}){% endmacro %}{{ k('<a>', b='_b_') }}"
           "{% macro c(a) %}[{{ caller() }}{{ a }}]{% endmacro %}{% call c('x') %}<in>{% endcall %}"
           "{% macro twice(a) %}1{{ a }}{% endmacro %}{% macro twice(a, b) %}2{{ a }}{{ b }}{% endmacro %}"
           "{{ twice('<t>', 'u') }}{{ twice('w', 'z') }}"
           "{% macro g(x) %}<{{ x }}>{% endmacro %}{{ g('q') }}{% set g = f %}{{ g('r') }}"
           "{% macro d(a, b='<dflt>') %}{{ a }}{{ b }}{% endmacro %}{{ d('1') }}{{ d('1', '2') }}")
    # another template's macro under the name of one of ours (its own signature): Jinja's own call
    src += "{% set g = og %}{{ g('s') }}"
    ctx = {"f": lambda v: f"f<{v}>",
           "og": env.from_string("{% macro g(x, y='<y>') %}other:{{ x }}{{ y }}{% endmacro %}").module.g}
    assert env.from_string(src).render(**ctx) == ref.from_string(src).render(**ctx)
    code = env.compile(src, raw=True)
    for name in ("v", "k", "c", "twice"):  # not direct: each reads varargs, kwargs or caller, or is defined twice
        assert f"_cp_m.name == {name!r}" not in code, name
    assert "_cp_m.name == 'g'" in code and "_cp_m.name == 'd'" in code


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
