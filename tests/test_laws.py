"""Issue 12: a legal text the obligations cite is checked for being in force on the assessment's date.

《清洁生产促进法》 was replaced by 《生态环境法典》 on 2026-08-15 (read as restated: news of 2026-03). An assessment
after that date may not cite its 第三十九条 as the penalty without saying so, and the 办法 made under it (第八条,
the deadlines) is to be checked for revision. Before that date nothing is flagged.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from cpadvisor import assess, render_report
from cpadvisor.errors import KnowledgeError
from cpadvisor.rules.laws import china_date, law_standing

LISTED = {"name": "某冶炼厂", "sectors": ["nonferrous"],
          "emissions": {"over_standard": False, "over_total_quota": False, "toxic_hazardous": True,
                        "energy_over_quota": False, "on_mandatory_list": True, "list_published": "2026-03-01"}}


def epoch(y: int, m: int, d: int, h: int = 12) -> str:
    return str(int(datetime(y, m, d, h, tzinfo=timezone.utc).timestamp()))


def at(monkeypatch, kb, when: str, profile=LISTED):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", when)
    return assess(profile, kb=kb)


def duty(a, did: str):
    return next(d for d in a.finding("policy.mandatory_audit").duties if d.id == did)


def test_the_penalty_cites_a_law_replaced_since_2026_08_15(monkeypatch, kb):
    a = at(monkeypatch, kb, epoch(2026, 12, 1))
    d = duty(a, "penalties")
    assert (d.law, d.law_status) == ("cp_promotion_law", "repealed")
    assert "生态环境法典" in d.law_note.zh and "2026-08-15" in d.law_note.zh and "据转述" in d.law_note.zh
    assert "Ecological Environment Code" in d.law_note.en and "as restated" in d.law_note.en
    # the duties and grounds under the 办法: whether it was revised is to check, not a repeal
    start = duty(a, "start_audit")
    assert (start.law, start.law_status) == ("cp_audit_measures", "to_verify")
    assert "是否修订须核对" in start.law_note.zh
    g = {g.id: g for g in a.grounds_of("policy.mandatory_audit")}
    # the three cases are 促进法 第二十七条第二款: cited as the former law, the Code's article not read
    assert [g[i].law_status for i in ("art8_1", "art8_2", "art8_3")] == ["repealed"] * 3
    assert all(g[i].cite.startswith("原《中华人民共和国清洁生产促进法》") for i in ("art8_1", "art8_2", "art8_3"))
    assert g["art8_1"].cite_en.startswith("Former ") and "第八条第（一）项（据转述）" in g["art8_1"].cite
    assert "其中对应条文未读到" in g["art8_3"].law_note.zh and "not read" in g["art8_3"].law_note.en
    assert d.cite.startswith("原《中华人民共和国清洁生产促进法》")
    assert g["listed"].law is None and g["listed"].law_note is None  # 194号 四(一): a policy read in full
    # the verdict itself does not change: the duty was taken over by the Code (as restated) and the 办法 stands
    assert a.finding("policy.mandatory_audit").status == "applies"
    not_listed = {**LISTED, "emissions": {**LISTED["emissions"], "on_mandatory_list": False}}
    for when in (epoch(2026, 12, 1), epoch(2026, 8, 1)):  # on either side of the Code's entry into force
        assert at(monkeypatch, kb, when, not_listed).finding("policy.mandatory_audit").status == "applies"


def test_before_the_code_took_effect_nothing_is_flagged(monkeypatch, kb):
    a = at(monkeypatch, kb, epoch(2026, 8, 14, 12))  # 20:00 in Beijing, 14 August
    d = duty(a, "penalties")
    assert (d.law_status, d.law_note) == ("in_force", None)
    assert d.cite.startswith("《中华人民共和国清洁生产促进法》")  # the law in force, not the former law
    assert all(x.law_note is None for x in a.finding("policy.mandatory_audit").duties)
    assert all(g.law_note is None for g in a.grounds)


def test_the_date_is_china_s(monkeypatch, kb):
    """16:30 UTC on 14 August is 00:30 on 15 August in Beijing: the law no longer applies."""
    assert china_date(datetime(2026, 8, 14, 16, 30, tzinfo=timezone.utc)) == date(2026, 8, 15)
    a = at(monkeypatch, kb, str(int(datetime(2026, 8, 14, 16, 30, tzinfo=timezone.utc).timestamp())))
    assert duty(a, "penalties").law_status == "repealed"
    assert law_standing(kb, "cp_promotion_law", date(2026, 8, 14)) == ("in_force", None)
    assert law_standing(kb, None, date(2026, 8, 14)) == (None, None)


def test_the_funds_of_the_hunan_implementing_measures_are_to_check(monkeypatch, kb):
    a = at(monkeypatch, kb, epoch(2026, 12, 1), {**LISTED, "cp_audit_passed": True})
    f = a.finding("policy.incentive_priority")
    assert f is not None and f.status == "applies"
    funds = next(d for d in f.duties if d.id == "government_funds")
    assert funds.law_status == "to_verify" and "湖南省实施" in funds.law_note.zh
    assert all(d.law is None for d in f.duties if d.id != "government_funds")


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_report_says_so_where_the_duty_is_cited(monkeypatch, kb, fmt):
    a = at(monkeypatch, kb, epoch(2026, 12, 1))
    zh = render_report(a, format=fmt, kb=kb)
    assert "注意：《中华人民共和国清洁生产促进法》已自2026-08-15起由《中华人民共和国生态环境法典》取代（据转述）" in zh
    en = render_report(a, format=fmt, lang="en", kb=kb)
    assert "Note: The Cleaner Production Promotion Law of the PRC was replaced by the Ecological Environment Code" in en
    before = render_report(at(monkeypatch, kb, epoch(2026, 8, 1)), format=fmt, kb=kb)
    assert "注意：" not in before and "生态环境法典》取代（据转述），所引" not in before


def test_the_word_report_says_so(monkeypatch, kb, tmp_path):
    from docx import Document

    a = at(monkeypatch, kb, epoch(2026, 12, 1))
    out = tmp_path / "r.docx"
    out.write_bytes(render_report(a, format="docx", kb=kb))
    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    text += "\n".join(c.text for t in Document(str(out)).tables for r in t.rows for c in r.cells)
    assert "已自2026-08-15起由《中华人民共和国生态环境法典》取代" in text


def test_an_unknown_legal_text_fails_to_load(make_kb):
    from tests.conftest import demo_measure, demo_pack

    laws = ("laws:\n  some_law:\n    title: {zh: 《某法》, en: Some Law}\n    basis: 转述\n")
    duty_yaml = ("  duties:\n    - id: d1\n      text: {zh: 义务, en: Duty}\n      cite: 某法第一条\n"
                 "      cite_en: Art. 1\n      law: {law}\n      basis: 转述\n")
    rules = "  - id: r\n    priority: high\n    when:\n      enterprise: [demo_flag == true]\n    because: {zh: 第一条, en: Art. 1}\n"

    def kb_with(law: str, under: str = ""):
        text = demo_measure("demo.m", rules, kind="obligation").replace(
            "rules:\n", duty_yaml.replace("{law}", law) + "rules:\n", 1)
        extra = laws + (f"    under: {under}\n" if under else "")
        return make_kb({"demo/pack.yaml": demo_pack(extra=extra), "demo/m.yaml": text})

    kb = kb_with("some_law")
    assert kb.laws["some_law"].title.zh == "《某法》"
    with pytest.raises(KnowledgeError) as exc:
        kb_with("some_lawx")
    assert "cites unknown legal text 'some_lawx'" in str(exc.value) and "did you mean 'some_law'" in str(exc.value)
    assert "m.yaml:" in str(exc.value)  # file and line
    with pytest.raises(KnowledgeError) as exc:
        kb_with("some_law", under="other_law")
    assert "under unknown law 'other_law'" in str(exc.value)


def test_lint_flags_a_cited_law_with_no_standing(tmp_path):
    """A duty citing 《…办法》 without `law:` is flagged (its standing could not be checked by date); a declared
    text nothing cites is flagged too. The shipped knowledge has neither."""
    import shutil
    from pathlib import Path

    from cpadvisor.authoring.lint import lint

    repo = Path(__file__).resolve().parent.parent
    assert not [x for x in lint(repo / "knowledge") if x.check == "legal-text"]
    root = tmp_path / "knowledge"
    shutil.copytree(repo / "knowledge", root)
    f = root / "policy" / "mandatory_audit.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("      law: disclosure_measures\n", ""), encoding="utf-8")
    found = [x for x in lint(root) if x.check == "legal-text"]
    assert len(found) == 5, found  # four duties citing 24号令 without `law:`, and the text nothing cites now
    duty = next(x for x in found if "annual_disclosure" in x.message)
    assert "《企业环境信息依法披露管理办法》" in duty.message and duty.line is not None and duty.file.endswith("mandatory_audit.yaml")
    assert any("'disclosure_measures' is declared but no duty or ground cites it" in x.message for x in found)


def test_the_note_is_said_once_per_list(monkeypatch, kb):
    """The three 第八条 items cite the same 办法: its note is printed on the first, 'the same below', not thrice;
    so in the duties of the 办法 (the penalty under the replaced law keeps its own note)."""
    from cpadvisor.report.context import Ctx

    a = at(monkeypatch, kb, epoch(2026, 12, 1))
    c = Ctx(a, "zh", kb)
    grounds = c.audit()["grounds"]
    assert ["注意：" in g for g in grounds] == [True, False, False, False]
    assert "法典" in grounds[0] and grounds[0].endswith("（以下各项同）")
    duties = c.finding_item(a.finding("policy.mandatory_audit"))["duties"]
    marks = [("上位法" in d["cite"], "所引条文须按现行规定核对" in d["cite"]) for d in duties]
    ids = [d.id for d in a.finding("policy.mandatory_audit").duties]
    assert ids[:3] == ["publish_information", "start_audit", "complete_audit"]
    assert marks[0] == (True, False) and duties[0]["cite"].endswith("（以下各项同）")
    assert marks[1] == marks[2] == (False, False)
    assert marks[ids.index("penalties")] == (False, True)
    en = Ctx(a, "en", kb).audit()["grounds"]
    assert en[0].endswith("(the same for the items below)") and "Note:" not in en[1]
