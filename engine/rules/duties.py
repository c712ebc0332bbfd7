"""The duties and deadlines that follow from an obligation (a measure's ``duties``), dated from the profile.

A listed enterprise's deadlines run from the list publication date (``emissions.list_published``); the
audit interval of an enterprise that uses or emits toxic substances from its last completed audit. Without
the date the duty is listed with a note asking for it; a duty whose facts are not met is left out.
"""
from __future__ import annotations

import calendar
from datetime import date
from typing import Any, Optional

from cpadvisor.models.results import DutyResult, Finding, Text
from cpadvisor.rules.laws import china_today, dated_cite, law_standing


def add_months(d: date, months: int) -> date:
    """The same day ``months`` later (the last day of a shorter month)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _met(only_if: list[str], em: Any) -> Optional[bool]:
    """True / False / None (unknown) for a duty's conditions."""
    out: Optional[bool] = True
    for cond in only_if:
        if cond == "toxic":
            v = em.toxic_hazardous
        elif cond == "over_standard":  # a penalty for the offence itself: listed only where the fact is stated
            v = bool(em.over_standard or em.over_total_quota)
        elif cond == "energy_quota":
            v = bool(em.energy_over_quota)
        else:  # environment_list: the environment department's list (超标/超总量, 有毒有害), 办法 第九条
            v = None if em.list_department is None else em.list_department == "environment"
            env = (em.over_standard, em.over_total_quota, em.toxic_hazardous)  # the grounds it lists on
            if em.list_department is None and any(env):
                v = True
            elif em.list_department is None and all(x is False for x in env):
                v = False  # only the energy ground: the energy department's list
        if v is False:
            return False
        if v is None:
            out = None
    return out


def duties_of(kb: Any, profile: Any, findings: list[Finding], on: Optional[date] = None) -> None:
    """Fill ``Finding.duties`` of obligations that apply or are to verify (``on``: the assessment's date, for
    whether the texts they cite are in force; default today in China)."""
    on = on or china_today()
    em = getattr(profile, "emissions", None)
    if em is None:
        return
    for f in findings:
        if f.status not in ("applies", "to_verify"):
            continue
        info = kb.measures.get(f.measure_id)
        if info is None or not info.measure.duties:
            continue
        out = []
        for d in info.measure.duties:
            met = _met(d.only_if, em)
            if met is False:
                continue
            due, note, needs = None, None, []
            if d.due_months is not None:
                if em.list_published is not None and em.on_mandatory_list:
                    due = add_months(em.list_published, d.due_months).isoformat()
                elif em.on_mandatory_list:
                    note = Text(zh="画像未给出名单公布日期，无法计算期限",
                                en="the date the list was published is not given: no date")
                    needs = ["emissions.list_published"]
                else:  # the duty is owed on the facts (促进法 第二十七条); the list starts the clock
                    note = Text(zh=f"自名单公布之日起{d.due_months}个月内（公布日期待填）",
                                en=f"within {d.due_months} month{'' if d.due_months == 1 else 's'} of the list's "
                                   f"publication (date to fill)")
                    if em.on_mandatory_list is None:
                        needs = ["emissions.on_mandatory_list"]
            if d.interval_years is not None:
                if em.last_audit_completed is not None:
                    last = em.last_audit_completed
                    due = add_months(last, 12 * d.interval_years).isoformat()
                else:
                    note = Text(zh="画像未给出上一轮审核完成日期",
                                en="the date the last audit was completed is not given")
                    needs = ["emissions.last_audit_completed"]
            if met is None:  # whether it applies comes first: no date is asked for yet
                note, needs = Text(zh="适用条件待核实（名单发布部门或有毒有害物质）",
                                   en="whether it applies is to verify (the listing department, or toxic substances)"), []
            law_status, law_note = law_standing(kb, d.law, on)
            cite, cite_en = dated_cite(d.cite, d.cite_en, law_status)
            out.append(DutyResult(id=d.id, text=Text(zh=d.text.zh, en=d.text.en), due=due, basis=d.basis,
                                  cite=cite, cite_en=cite_en, verified=d.verified, note=note, needs=needs,
                                  law=d.law, law_status=law_status, law_note=law_note))
        f.duties = out
