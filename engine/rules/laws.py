"""Whether a cited legal text is in force on the assessment's date, and what to check where it is not.

A text past its ``repealed`` date is "repealed": the article cited from it is to be checked against what
replaced it. A text whose upper law (``under``) is repealed is "to_verify": whether it was revised is not known.
The date is the assessment's, in China's time (UTC+8, no daylight saving).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, Optional

from cpadvisor.models.results import Text

CHINA = timezone(timedelta(hours=8))


def china_date(at: datetime) -> date:
    """The calendar date in China at ``at`` (a text takes effect on a Beijing date)."""
    return at.astimezone(CHINA).date()


def china_today() -> date:
    return china_date(datetime.now(timezone.utc))


def _gone(law: Any) -> tuple[str, str]:
    """'X was replaced by Y on D' in both languages, the English without its subject ('was replaced ...');
    据转述 where the standing was read only as restated."""
    d, by = law.repealed.isoformat(), law.replaced_by
    zh = f"{law.title.zh}已自{d}起由{by.zh}取代" if by else f"{law.title.zh}自{d}起不再施行"
    en = f"was replaced by the {by.en} on {d}" if by else f"ceased to apply on {d}"
    if not law.repeal_verified:
        zh, en = zh + "（据转述）", en + " (as restated)"
    if by and not law.successor_read:
        zh += "，其中对应条文未读到"
        en += " (its corresponding article was not read)"
    return zh, en


def law_standing(kb: Any, law_id: Optional[str], on: date) -> tuple[Optional[str], Optional[Text]]:
    """(status, note) of the legal text ``law_id`` on ``on``: ``in_force`` (no repeal recorded; no note),
    ``repealed``, or ``to_verify`` (the law it implements is repealed); (None, None) where nothing is cited."""
    law = kb.laws.get(law_id) if law_id else None
    if law is None:
        return None, None
    if law.repealed is not None and on >= law.repealed:
        zh, en = _gone(law)
        return "repealed", Text(zh=f"{zh}，所引条文须按现行规定核对",
                                en=f"The {law.title.en} {en}: check the cited article against the provisions in force")
    up = kb.laws.get(law.under) if law.under else None
    if up is not None and up.repealed is not None and on >= up.repealed:
        zh, en = _gone(up)
        return "to_verify", Text(zh=f"上位法{zh}，{law.title.zh}是否修订须核对",
                                 en=f"The law it implements, the {up.title.en}, {en}: check whether the "
                                    f"{law.title.en} has been revised")
    return "in_force", None


def dated_cite(cite: str, cite_en: str, status: Optional[str]) -> tuple[str, str]:
    """A citation as of the assessment's date: a text no longer in force is cited as the former text
    (原《…》 / former …), so the client reads which text the article was read in."""
    if status != "repealed":
        return cite, cite_en
    return ("原" + cite if not cite.startswith("原") else cite,
            cite_en if cite_en.lower().startswith("former") else "Former " + cite_en)
