"""Result models of an assessment (JSON in and out, stable ids)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

LawStatus = Literal["in_force", "repealed", "to_verify"]  # a cited text on the assessment's date
Status = Literal["applies", "to_verify", "not_applicable", "in_place", "superseded"]
Priority = Literal["high", "medium", "low"]


class Text(BaseModel):
    """A bilingual text."""

    model_config = ConfigDict(extra="forbid")
    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


class ConditionResult(BaseModel):
    """One condition of a rule, evaluated on the profile."""

    fact: str  # enterprise, unit, product, waste, voc, park, derived
    text: str  # the condition as written, e.g. "flue_gas_recirculation != true"
    field: Optional[str] = None
    value: Any = None  # the profile value it was evaluated on
    outcome: Literal["true", "false", "unknown"]


class ThresholdUse(BaseModel):
    """A sourced number used by a rule or a benchmark."""

    id: str
    value: float
    unit: str
    source: str
    effective: Optional[str] = None
    verified: bool
    quality: str = "normal"  # normal, suspect or draft (as the reference data mark it)
    cite: Optional[str] = None  # the source named plainly (document and table)
    cite_en: Optional[str] = None
    data_year: Optional[int] = None  # a dated factor: its data year and region
    region: Optional[str] = None

    @classmethod
    def of(cls, tid: str, t: Any) -> "ThresholdUse":
        """The use of the knowledge threshold ``t`` (a ``knowledge.format.Threshold``) named ``tid``."""
        return cls(id=tid, value=t.value, unit=t.unit, source=t.source,
                   effective=t.effective.isoformat() if t.effective else None, verified=t.verified,
                   quality=t.quality, cite=t.cite, cite_en=t.cite_en,
                   data_year=getattr(t, "data_year", None), region=getattr(t, "region", None))


class Observed(BaseModel):
    """A number the profile gives for a verdict the engine cannot derive (no sourced threshold): shown with
    the question the consultant answers."""

    fact: str  # the verdict as findings name it: enterprise.low_scrap_ratio
    number: str  # the field(s) it rests on: enterprise.scrap_ratio_pct
    value: float
    unit: Optional[str] = None
    question: Text
    threshold: Optional[str] = None  # a sourced threshold it was compared with (derived verdicts)


class RankedOn(BaseModel):
    """The number that orders a measure where no sourced level gates it: its units within a plant, and the plants
    of a portfolio (``asc``: the smaller first, e.g. a reuse rate; ``desc``: the larger first, e.g. energy use)."""

    field: str  # unit.unit_energy_tce
    value: float  # of the first unit (the one with the most room)
    order: Literal["asc", "desc"]


class DutyResult(BaseModel):
    """A duty of an obligation that applies (or may apply), with its due date where the profile gives the start."""

    id: str
    text: Text
    due: Optional[str] = None  # ISO date
    cite: str = ""
    cite_en: str = ""
    basis: str
    verified: bool = False
    note: Optional[Text] = None  # e.g. why no date: the list publication date is not given
    needs: list[str] = Field(default_factory=list)  # the profile fields its date runs from, where not given
    law: Optional[str] = None  # the cited legal text's id (``laws`` of the knowledge)
    law_status: Optional[LawStatus] = None  # on the assessment's date
    law_note: Optional[Text] = None  # what to check where the text is repealed or its upper law is


class GroundResult(BaseModel):
    """One legal ground of an obligation with its own verdict (e.g. 第八条第（一）项 met; on the published list: no)."""

    measure_id: str
    id: str
    text: Text
    status: Literal["applies", "not_applies", "to_verify"]
    values: dict[str, Any] = Field(default_factory=dict)  # the profile facts behind it, as given
    missing: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)  # e.g. the kinds of toxic substance named
    list_department: Optional[str] = None  # environment / energy: whose list this ground belongs to
    duties: list[str] = Field(default_factory=list)  # duty ids that follow from this ground
    cite: str = ""
    cite_en: str = ""
    basis: str = ""
    verified: bool = False
    note: Optional[Text] = None
    law: Optional[str] = None
    law_status: Optional[LawStatus] = None
    law_note: Optional[Text] = None


class Finding(BaseModel):
    """The outcome of one measure for one assessed profile."""

    measure_id: str
    pack: str
    kind: str  # measure, obligation, programme, incentive, gate
    name: Text
    clause: str
    categories: list[str]
    cost: str  # low (无/低费) or medium_high (中/高费)
    status: Status
    priority: Optional[Priority] = None
    rule_id: Optional[str] = None
    units: list[str] = Field(default_factory=list)
    reason: Optional[Text] = None
    conditions: list[ConditionResult] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)  # facts to verify (待核实)
    thresholds: list[ThresholdUse] = Field(default_factory=list)
    superseded_by: Optional[str] = None
    ranked_below: Optional[str] = None  # a more specific measure that comes first (yields_to, not exclusive)
    optional: bool = False  # a to-verify question where the profile shows no sign it matters (ask_if)
    observed: list[Observed] = Field(default_factory=list)  # numbers behind judgements still open
    ranked_on: Optional[RankedOn] = None  # the number that orders it (rules with rank_by), where the profile gives it
    verdict: Optional[str] = None
    note: Optional[Text] = None
    duties: list[DutyResult] = Field(default_factory=list)  # obligations: deadlines and duties that follow


class TargetGap(BaseModel):
    """The gap of a product's unit energy use to one level, and the yearly saving to reach it."""

    role: Literal["must_reach", "strive_for"]  # 基准/限定值: must reach; 标杆/1级: strive for
    level: str  # baseline, quota_3, benchmark, quota_1
    threshold: str  # the threshold id
    level_value: float
    gap: Optional[float] = None  # value minus the level, 0 when already at or better
    saving_tce_per_year: Optional[float] = None
    co2_t_per_year: Optional[float] = None
    used: bool = True  # False: the level is marked suspect or draft: shown, not used for a saving
    note: Optional[Text] = None


class BenchmarkGap(BaseModel):
    """Unit energy use of a product against sourced levels."""

    product: str
    product_key: str
    indicator: str
    unit: str
    value: float
    annual_output: Optional[float] = None
    output_unit: Optional[str] = None
    levels: list[ThresholdUse]
    rating: Text
    gap_to_benchmark: Optional[float] = None  # value minus the target level, 0 when already better
    gap_target: Optional[str] = None  # the level compared with: benchmark (标杆) or quota_1 (限额1级)
    saving_tce_per_year: Optional[float] = None
    co2_t_per_year: Optional[float] = None
    co2_factor: Optional[ThresholdUse] = None
    missing: list[str] = Field(default_factory=list)
    targets: list[TargetGap] = Field(default_factory=list)  # must reach and strive for, never summed together
    notes: list[Text] = Field(default_factory=list)  # inconsistent level sets, corrections not applied


class Scenario(BaseModel):
    """A sensitivity case of a plan (investment or savings moved by a share)."""

    label: str  # investment+20%, investment-20%, savings+20%, savings-20%
    npv_wan: Optional[float] = None
    irr: Optional[float] = None
    payback_years: Optional[float] = None


class PlanSavingUse(BaseModel):
    carrier: str
    amount: float
    unit: str
    co2_t: Optional[float] = None  # tCO2/a of this saving where a sourced factor exists
    factor: Optional[ThresholdUse] = None


class MeasureLink(BaseModel):
    """A measure that improves an indicator, with what this assessment found for it."""

    measure_id: str
    name: Text
    status: Optional[str] = None  # applies, to_verify, in_place …; None: no finding (not applicable)


class IndicatorResult(BaseModel):
    """One indicator of a 清洁生产评价指标体系 for this plant: its value, the level reached and what it was compared
    with (the document's Ⅰ/Ⅱ/Ⅲ values, or texts rated by the consultant)."""

    id: str
    name: Text
    group: Text
    unit: Optional[str] = None
    direction: Optional[str] = None
    value: Optional[float] = None
    rating: Optional[str] = None  # a qualitative indicator: the consultant's rating
    origin: Optional[str] = None  # where the value came from: products.<name>.unit_energy, entered, rated
    quality: Optional[str] = None  # measured, statistical, estimated (entered values)
    note: Optional[str] = None
    level: Optional[Literal["I", "II", "III", "below"]] = None  # None: no value
    levels: dict[str, float] = Field(default_factory=dict)
    texts: dict[str, Text] = Field(default_factory=dict)
    weight: Optional[float] = None
    group_weight: Optional[float] = None
    limiting: bool = False
    applicable: bool = True  # the consultant marked it as not applying to this plant: left out, weights renormalised
    improved_by: list[MeasureLink] = Field(default_factory=list)


class CpEvaluation(BaseModel):
    """The plant against one 清洁生产评价指标体系 (预审核's 清洁生产水平评价): each indicator's level, the composite
    indices Y_Ⅰ, Y_Ⅱ, Y_Ⅲ and the grade where the document's weights allow, the 限定性指标 that capped it, and the
    indicators below Ⅰ级 with the measures that improve them (审核重点 candidates)."""

    system_id: str
    name: Text
    number: Optional[str] = None
    issuer: Text
    year: int
    generation: str
    level_names: dict[str, Text]
    tier: str
    cite: Text
    source: str
    verified: bool
    indicators: list[IndicatorResult]
    y: dict[str, float] = Field(default_factory=dict)  # I, II, III -> the composite index (0..100)
    grade: Optional[Literal["I", "II", "III", "below"]] = None
    reason: Text  # how the grade was reached, or why it cannot be computed
    capped_by: list[str] = Field(default_factory=list)  # 限定性指标 below the level the index reached
    missing: list[str] = Field(default_factory=list)  # indicator ids without a value or rating
    problems: list[str] = Field(default_factory=list)  # indicator ids rated at Ⅱ级 or below


class PlanResult(BaseModel):
    """The feasibility analysis of one plan (方案可行性分析: 投资偿还期、净现值、净现值率、内部收益率)."""

    plan_id: str
    measure_id: str
    name: Text
    cost: Optional[str] = None  # the measure's cost class (low / medium_high)
    status: str  # proposed, accepted, implemented, rejected
    status_date: Optional[str] = None
    investment_wan: Optional[float] = None
    annual_saving_wan: Optional[float] = None
    operating_cost_change_wan: float = 0
    annual_net_wan: Optional[float] = None  # savings minus the rise in operating cost
    life_years: Optional[int] = None
    discount_rate: Optional[float] = None
    payback_years: Optional[float] = None
    npv_wan: Optional[float] = None
    npv_ratio: Optional[float] = None
    irr: Optional[float] = None
    sensitivity: list[Scenario] = Field(default_factory=list)
    savings: list[PlanSavingUse] = Field(default_factory=list)
    co2_t_per_year: Optional[float] = None  # sum over savings with a sourced factor
    co2_incomplete: bool = False  # some saving had no sourced factor: the sum is partial
    # the after-tax method (D = I/Y, E = (P − D)(1 − tax), F = E + D; N = I/F; NPV, NPVR, IRR on F)
    depreciation_years: Optional[int] = None
    income_tax_rate: Optional[float] = None
    cash_flow_wan: Optional[float] = None  # F, 年增加现金流量
    after_tax_payback_years: Optional[float] = None
    after_tax_npv_wan: Optional[float] = None
    after_tax_npv_ratio: Optional[float] = None
    after_tax_irr: Optional[float] = None
    method: Literal["after_tax", "pre_tax"] = "pre_tax"  # which figures rank and decide
    cost_class: Optional[str] = None  # low / medium / higher / high, as the consultant states it
    payback_limit_years: Optional[float] = None  # the 定额偿还期 of its class (source: a threshold)
    payback_limit_id: Optional[str] = None
    benchmark_irr: Optional[float] = None
    feasible: Optional[bool] = None  # None: not decided (a figure or the class is missing)
    feasibility: list[Text] = Field(default_factory=list)  # each test with its result, in words
    rank: Optional[int] = None  # by NPV ratio (after-tax where computed), then payback
    engine_status: Optional[str] = None  # what this assessment found for the measure (None: no finding)
    flags: list[Text] = Field(default_factory=list)  # e.g. not recommended by the engine
    missing: list[str] = Field(default_factory=list)  # figures to collect before an indicator can be computed


class EffectUse(BaseModel):
    """A typical effect of a measure, as its source reports it."""

    kind: str
    carrier: Optional[str] = None
    value: Optional[float] = None
    low: Optional[float] = None
    high: Optional[float] = None
    unit: str
    basis: Text
    scope: Text
    source: Optional[str] = None
    source_en: Optional[str] = None
    url: Optional[str] = None
    year: Optional[int] = None
    verified: bool = False
    # an energy effect's CO2 at the applicable factor (the plant's energy mix, the fuel's or the grid's), or what is
    # missing for it (value, factor, mix, electricity, base, fuel)
    co2: Optional[float] = None
    co2_unit: Optional[str] = None
    co2_missing: Optional[str] = None


class ToCollect(BaseModel):
    """A recommended 中/高费 measure without a plan: the figures its feasibility analysis needs."""

    measure_id: str
    name: Text
    figures: list[str]  # plan fields to collect (investment_wan, annual_saving_wan, savings, life_years ...)
    typical: list[EffectUse] = Field(default_factory=list)  # sourced typical effects, for orientation only


class Conflict(BaseModel):
    """Facts of the profile that contradict each other: shown prominently, never settled silently."""

    fact: str  # e.g. emissions.energy_over_quota
    declared: Any = None  # what the profile states
    computed: Any = None  # what the engine computed from other facts
    detail: Text
    affects: list[str] = Field(default_factory=list)  # findings made 'to verify' by it
    sources: list[str] = Field(default_factory=list)


class Assessment(BaseModel):
    """Everything decided for one profile."""

    profile_name: str
    profile_kind: Literal["enterprise", "park"]
    credit_code: Optional[str] = None
    knowledge_version: str
    engine_version: str
    assessed_at: datetime
    profile: dict[str, Any]
    derived: list[str] = Field(default_factory=list)
    findings: list[Finding]
    benchmarks: list[BenchmarkGap] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)  # e.g. a unit-level measure counted for the enterprise
    conflicts: list[Conflict] = Field(default_factory=list)  # contradicting facts (a declaration vs a computation)
    plans: list[PlanResult] = Field(default_factory=list)  # the profile's plans with their economics, ranked
    to_collect: list[ToCollect] = Field(default_factory=list)  # 中/高费 measures recommended without a plan
    grounds: list[GroundResult] = Field(default_factory=list)  # obligations' legal grounds, each decided apart
    cp_evaluations: list[CpEvaluation] = Field(default_factory=list)  # 清洁生产水平评价 per indicator system
    # the facts the engine built from the profile, with the knowledge they were built with; not serialised:
    # the data request reads them instead of rebuilding them (an assessment read from JSON has none)
    _facts: Any = PrivateAttr(default=None)

    def facts_for(self, kb: Any) -> Any:
        """The facts of this assessment if they were built with ``kb``, else None."""
        return self._facts[1] if self._facts is not None and self._facts[0] is kb else None

    def grounds_of(self, measure_id: str) -> list[GroundResult]:
        return [g for g in self.grounds if g.measure_id == measure_id]

    def by_status(self, status: Status) -> list[Finding]:
        return [f for f in self.findings if f.status == status]

    @property
    def recommended(self) -> list[Finding]:
        """Measures, obligations and programmes that apply (never ones already in place)."""
        return self.by_status("applies")

    @property
    def to_verify(self) -> list[Finding]:
        """Open questions that matter for this profile (the optional ones are in :attr:`optional`)."""
        return [f for f in self.findings if f.status == "to_verify" and not f.optional]

    @property
    def optional(self) -> list[Finding]:
        """Open questions with no sign in the profile that they matter (ask_if): listed apart, as optional."""
        return [f for f in self.findings if f.status == "to_verify" and f.optional]

    def finding(self, measure_id: str) -> Optional[Finding]:
        return next((f for f in self.findings if f.measure_id == measure_id), None)

    def audit_type(self) -> Optional[str]:
        """mandatory, voluntary or None; simplified is reported alongside."""
        for mid, label in (("policy.mandatory_audit", "mandatory"), ("policy.voluntary_audit", "voluntary")):
            f = self.finding(mid)
            if f and f.status == "applies":
                return label
        return None

    def mandatory_on_unread_text(self) -> bool:
        """The mandatory audit is to verify because the text it rests on (第八条) was read only as restated: the
        facts meet it, the official text or the published list decides."""
        f = self.finding("policy.mandatory_audit")
        return f is not None and f.status == "to_verify" and any(
            m.startswith("verify.policy.mandatory_audit:") for m in f.missing)


class RuleTrace(BaseModel):
    """How one rule evaluated on one candidate (the enterprise, or one of its units)."""

    rule_id: str
    target: Optional[str] = None
    outcome: Literal["true", "false", "unknown"]
    conditions: list[ConditionResult]
    reason: Text
    # a true outcome resting on unverified numbers (threshold ids) or texts read only as restated
    # ("<measure>:<ground>"): it informs, and never makes an obligation or gate apply by itself
    unverified: list[str] = Field(default_factory=list)


class Explanation(BaseModel):
    """Why a measure was, or was not, recommended for a profile."""

    measure_id: str
    name: Text
    status: Status
    summary: Text
    traces: list[RuleTrace] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)
    superseded_by: Optional[str] = None
    grounds: list[GroundResult] = Field(default_factory=list)  # an obligation's legal grounds, each decided apart
