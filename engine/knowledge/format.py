"""The knowledge-pack file formats (data only, validated with pydantic).

A pack is a folder ``knowledge/<code>/`` holding ``pack.yaml`` (metadata,
vocabulary, sourced thresholds, derivation rules) and one YAML file per
measure (the measure's facts, the rules that reach it, and its expert cases).
See docs/knowledge-format.md.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal, Optional, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator
from typing_extensions import Annotated

from cpadvisor.models.results import Text as _Text

# a space YAML folding (`>-`) leaves after Chinese punctuation, where no Chinese text has one: "部门、 环境" -> "部门、环境"
_FOLDED = re.compile(r"(?<=[、，。；：！？》）」』”])[ ](?=[\u4e00-\u9fff《（「『“])")


# a plain string of a pack folded the same way (the working papers' ``basis`` of duties, grounds and laws)
Folded = Annotated[str, AfterValidator(lambda v: _FOLDED.sub("", v))]


class Text(_Text):
    """A bilingual text of a pack (the spaces folding leaves after Chinese punctuation removed)."""

    @field_validator("zh")
    @classmethod
    def _unfold(cls, v: str) -> str:
        return _FOLDED.sub("", v)

Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
MeasureId = Annotated[str, StringConstraints(pattern=r"^[a-z_]+\.[a-z0-9_]+$")]
ThresholdId = Annotated[str, StringConstraints(pattern=r"^[a-z_]+\.[a-z0-9_.]+$")]

FACT_KINDS = ("enterprise", "unit", "product", "waste", "voc", "park")
CATEGORIES = ("energy", "water", "pollution", "carbon", "resources", "safety", "management")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Term(_Strict):
    zh: str
    en: str
    aliases: list[str] = Field(default_factory=list)  # other words people write for it, e.g. 煤, 燃煤 for coal
    is_a: list[Key] = Field(default_factory=list)  # unit types and families only: the families it belongs to
    # what the word also says of its item, set where the item does not say it (a hazardous waste: hazardous: true)
    implies: dict[Key, Union[bool, str, float]] = Field(default_factory=dict)


class Judgement(_Strict):
    """How a consultant's verdict attribute follows from a number the profile holds.

    With a sourced ``threshold`` the engine derives the verdict (``value op threshold``); without one it shows
    the number and asks for the consultant's judgement. A verdict written in the profile always counts."""

    number: list[str] = Field(min_length=1)  # field(s) of the same fact; several are summed (energy_mix.coal + .oil)
    # the numbers are parts of a whole (shares 0..1 of this mapping, adding up to at most 1): a part left out is
    # bounded by what the given parts leave, so 0.75 coal alone is a majority and {electricity 0.7, gas 0.3} has none
    share_of: Optional[Key] = None
    op: Optional[Literal[">", ">=", "<", "<="]] = None
    threshold: Optional[ThresholdId] = None
    unit: Optional[str] = None
    question: Text  # zh/en, "{value}" is replaced by the number with its unit

    @model_validator(mode="after")
    def _pair(self) -> "Judgement":
        if (self.op is None) != (self.threshold is None):
            raise ValueError("'op' and 'threshold' go together: a verdict is derived only from a sourced threshold")
        return self


class Attribute(_Strict):
    """A profile attribute declared by a pack (enterprise, unit or park level)."""

    on: Literal["enterprise", "unit", "park"]
    type: Literal["bool", "number", "enum", "text"]
    zh: str
    en: str
    values: Optional[list[str]] = None
    labels: Optional[dict[str, Term]] = None  # words for enum values in reports, e.g. wet: {zh: 湿法, en: wet}
    unit: Optional[str] = None
    min: Optional[float] = None
    max: Optional[float] = None
    judged_from: Optional[Judgement] = None  # a bool verdict that follows from a number (see Judgement)

    @model_validator(mode="after")
    def _enum(self) -> "Attribute":
        if (self.type == "enum") != bool(self.values):
            raise ValueError("'values' is required for type enum and only for it")
        if self.judged_from is not None and self.type != "bool":
            raise ValueError("only a true/false verdict can be judged_from a number")
        extra = set(self.labels or {}) - set(self.values or [])
        if extra:
            raise ValueError(f"labels for values the attribute does not have: {sorted(extra)}")
        return self


class ProductKey(_Strict):
    zh: str
    en: str
    energy_unit: Optional[str] = None
    output_unit: Optional[str] = None
    aliases: list[str] = Field(default_factory=list)  # other words for it (one that fits several products: asked)
    not_compared: Optional[Text] = None  # why no stored level is compared (else the general sentence)


class Vocabulary(_Strict):
    subsectors: dict[Key, Term] = Field(default_factory=dict)
    unit_types: dict[Key, Term] = Field(default_factory=dict)
    unit_families: dict[Key, Term] = Field(default_factory=dict)  # kiln_or_furnace, boiler ...: `type is_a X`
    fuels: dict[Key, Term] = Field(default_factory=dict)
    waste_kinds: dict[Key, Term] = Field(default_factory=dict)
    disposals: dict[Key, Term] = Field(default_factory=dict)
    voc_kinds: dict[Key, Term] = Field(default_factory=dict)
    voc_materials: dict[Key, Term] = Field(default_factory=dict)
    voc_methods: dict[Key, Term] = Field(default_factory=dict)
    shared_facilities: dict[Key, Term] = Field(default_factory=dict)
    attributes: dict[Key, Attribute] = Field(default_factory=dict)
    products: dict[Key, ProductKey] = Field(default_factory=dict)


class Threshold(_Strict):
    """A sourced number. Without a source it may not be used by a rule."""

    value: float
    unit: str
    product: Optional[Key] = None
    # cp_II: the Ⅱ级 (清洁生产国内先进水平) level of a product's unit energy in an indicator system (registered by the
    # loader from the system's file, never written in a pack)
    level: Literal["benchmark", "baseline", "quota_1", "quota_2", "quota_3", "factor", "other", "cp_II"]
    carrier: Optional[Key] = None  # emission factors: the fuel (a vocabulary fuel) the factor is for
    # dated factors (electricity): the data year, the region (全国, a regional grid, a province) and the date the
    # figure was published (the notice, or the earliest report seen): the latest published by the assessment wins
    data_year: Optional[int] = None
    region: Optional[str] = None
    published: Optional[date] = None
    # a fuel factor by the accounting guideline's method: value = NCV x carbon content (tC/GJ) x oxidation x 44/12
    # (per the factor's unit); when given, the loader checks the value against them
    fuel_kind: Optional[Key] = None  # a coal's kind (anthracite, bituminous, lignite), where the factor is for one
    equipment: Optional[Key] = None  # the equipment whose oxidation rate the factor uses
    ncv: Optional[float] = None  # GJ per unit of the factor
    carbon_content: Optional[float] = None  # tC/GJ
    oxidation: Optional[float] = Field(default=None, gt=0, le=1)

    @model_validator(mode="after")
    def _method(self) -> "Threshold":
        parts = (self.ncv, self.carbon_content, self.oxidation)
        if any(x is not None for x in parts):
            if any(x is None for x in parts):
                raise ValueError("a guideline-method factor names ncv, carbon_content and oxidation together")
            from decimal import Decimal
            want = Decimal(str(self.ncv)) * Decimal(str(self.carbon_content)) * Decimal(str(self.oxidation)) \
                * Decimal(44) / Decimal(12)
            if abs(Decimal(str(self.value)) - want) > want * Decimal("0.0005"):
                raise ValueError(f"value {self.value} is not ncv x carbon_content x oxidation x 44/12 = {want:.4f}")
        return self
    quality: Literal["normal", "suspect", "draft"] = "normal"  # suspect/draft: shown, never a saving target
    cite: Optional[str] = None  # the source named plainly for the client's text, e.g. "GB 21256-2025 表3"
    cite_en: Optional[str] = None  # the same in English where no rule translates it (GB numbers are by rule)
    source: Annotated[str, StringConstraints(min_length=3)]
    effective: Optional[date] = None
    verified: bool
    note: Optional[str] = None


Condition = Union[str, "AnyOf"]


class AnyOf(_Strict):
    any: list[Condition] = Field(min_length=2)


class When(_Strict):
    enterprise: list[Condition] = Field(default_factory=list)
    park: Optional[list[Condition]] = None  # `park: []` = any park
    unit: Optional[list[Condition]] = None
    product: Optional[list[Condition]] = None
    waste: Optional[list[Condition]] = None
    voc: Optional[list[Condition]] = None
    derived: list[Key] = Field(default_factory=list)
    not_derived: list[Key] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_join(self) -> "When":
        joined = [k for k in ("unit", "product", "waste", "voc") if getattr(self, k) is not None]
        if len(joined) > 1:
            raise ValueError(f"a rule may join at most one of unit/product/waste/voc, got {joined}")
        if self.enterprise and self.park is not None:
            raise ValueError("a rule is about an enterprise or a park, not both")
        return self

    def joined(self) -> Optional[str]:
        return next((k for k in ("unit", "product", "waste", "voc") if getattr(self, k) is not None), None)


class AskIf(_Strict):
    """Where a rule's open question can matter: any one of these conditions holding (sector, size, energy
    scale, equipment). Elsewhere its to-verify finding is listed as optional."""

    enterprise: list[Condition] = Field(default_factory=list)
    park: list[Condition] = Field(default_factory=list)
    unit: list[Condition] = Field(default_factory=list)
    product: list[Condition] = Field(default_factory=list)
    waste: list[Condition] = Field(default_factory=list)
    voc: list[Condition] = Field(default_factory=list)


class RankBy(_Strict):
    """The number that orders a measure's firings where no sourced level gates it (issue 29): the unit (or, across
    plants, the enterprise) with the most room comes first. ``asc``: the smaller first (a reuse rate); ``desc``: the
    larger first (a unit's energy use). A number of the rule's joined fact, else of its anchor."""

    field: str
    order: Literal["asc", "desc"]


class Rule(_Strict):
    id: Key
    when: When
    priority: Optional[Literal["high", "medium", "low"]] = None
    derive: Optional[Key] = None
    verdict: Optional[Literal["blocked", "pass", "required"]] = None
    yields_to: list[MeasureId] = Field(default_factory=list)
    yields_why: Optional[Text] = None
    exclusive: bool = False  # yields_to means 'instead of' (dropped), not 'after' (ranked below)
    ask_if: Optional[AskIf] = None
    # the measure's legal grounds (``measure.grounds``), or legal texts (``law:<id>`` of a pack's ``laws``), whose
    # text this rule applies: one read only as restated (``verified: false``) makes a firing at most "to verify"
    # and a fact it derives unknown, never "applies"
    rests_on: list[Annotated[str, StringConstraints(pattern=r"^(law:)?[a-z][a-z0-9_]*$")]] = Field(default_factory=list)
    rank_by: Optional[RankBy] = None  # the number that orders the firings (and is given to programs as ranked_on)
    because: Text

    @model_validator(mode="after")
    def _yields(self) -> "Rule":
        if self.yields_to and not self.yields_why:
            raise ValueError("yields_to needs yields_why: say which measure wins and why")
        if self.exclusive and not self.yields_to:
            raise ValueError("exclusive needs yields_to: the measures this one is replaced by")
        return self


EFFECT_KINDS = ("energy", "water", "material", "emission", "investment", "payback", "operating_cost")


class Effect(_Strict):
    """A typical effect of a technique as a public source reports it (never a promise for this plant).

    ``value`` or a ``low``..``high`` range, with its unit, what it measures (``basis``), where it holds
    (``scope``: one plant, a simulation, a catalogue average), the ``source`` (document, table or page) and
    its ``year``. Lint flags a number without a source or year. ``verified: false`` = read only in a
    third-party copy or a vendor's claim: it may inform, it is never used as a saving target.
    """

    kind: Literal[EFFECT_KINDS]  # type: ignore[valid-type]
    carrier: Optional[Key] = None  # a fuel, or water, a material or a pollutant key
    value: Optional[float] = None
    low: Optional[float] = None
    high: Optional[float] = None
    unit: str
    basis: Text
    scope: Text
    source: Optional[str] = None
    source_en: Optional[str] = None  # the source in English (English reports), where ``source`` is Chinese
    url: Optional[str] = None
    year: Optional[int] = Field(default=None, ge=1950, le=2100)
    verified: bool = False

    @model_validator(mode="after")
    def _a_number(self) -> "Effect":
        if self.value is None and (self.low is None or self.high is None):
            raise ValueError("an effect needs value, or low and high")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low {self.low} > high {self.high}")
        return self


class Interactions(_Strict):
    """How a measure relates to others (ids checked at load time)."""

    excludes: list[MeasureId] = Field(default_factory=list)  # cannot be done together on one unit
    replaces: list[MeasureId] = Field(default_factory=list)  # does the other's job, and more
    after: list[MeasureId] = Field(default_factory=list)  # comes after (needs) the other


class LegalText(_Strict):
    """A law, regulation or rule the knowledge cites, with its edition and whether it is still in force.

    ``repealed``: the date from which it is no longer in force (``replaced_by``: what took its place);
    ``under``: the id of the law it implements (a 办法 under a 法). ``basis``: where its text and status were read;
    ``verified: false`` = the text was read only as restated (news, a reprint), not in the official text or a copy
    of it. ``repeal_verified``: the repeal itself was read in an official text (else it is news: 据转述);
    ``successor_read``: the article of the replacing text that took over was read (else the note says it was not).
    """

    title: Text
    edition: Optional[str] = None  # e.g. 2012年修正
    adopted: Optional[date] = None  # 通过
    amended: list[date] = Field(default_factory=list)  # 修正 / 修订, oldest first
    effective: Optional[date] = None  # 施行
    repealed: Optional[date] = None
    replaced_by: Optional[Text] = None
    successor: Optional[Key] = None  # the id of the replacing text where a pack declares it
    repeal_verified: bool = False
    successor_read: bool = False
    under: Optional[Key] = None
    basis: Folded
    verified: bool = False


class Duty(_Strict):
    """What an obligation entails once it applies, with its deadline and the article it rests on.

    ``due_months``: months after the list publication date (``emissions.list_published``); ``interval_years``:
    the longest gap between two audits, counted from ``emissions.last_audit_completed``. ``only_if``: the facts
    the duty needs (``environment_list``: the list of the environment department; ``toxic``: uses or emits toxic
    substances). ``verified: false`` = the article was read only as restated (a provincial notice, a reprint).
    """

    id: Key
    text: Text
    due_months: Optional[int] = Field(default=None, ge=0, le=120)
    interval_years: Optional[int] = Field(default=None, ge=1, le=20)
    # environment_list: on the environment department's list; toxic: uses or emits toxic substances; over_standard,
    # energy_quota: the profile states the offence (over a standard or total quota; over the energy quota)
    only_if: list[Literal["environment_list", "toxic", "over_standard", "energy_quota"]] = Field(default_factory=list)
    cite: str  # the article named plainly for the client's text
    cite_en: str
    law: Optional[Key] = None  # the cited text (a ``laws`` id of a pack): a repealed one is flagged by date
    basis: Folded  # where and how it was read (the working papers)
    verified: bool = False


class Ground(_Strict):
    """One legal ground of an obligation, decided on its own (e.g. 《清洁生产审核办法》第八条第（一）项, or being on a
    published list): its own verdict, the profile facts behind it, whose list it belongs to, and the duties it brings.

    ``facts``: booleans of the profile's ``emissions`` (any true: met; all false: not met; else to verify).
    ``computed``: ``energy_quota`` also compares the products' unit energy with the quota standard's limit.
    ``duties``: ids of the measure's duties that follow from this ground in particular.
    """

    id: Key
    text: Text
    facts: list[Key] = Field(min_length=1)
    computed: Optional[Literal["energy_quota"]] = None
    categories: Optional[Key] = None  # the emissions field naming the kinds (e.g. toxic_categories)
    hazardous_waste: bool = False  # a solid waste marked hazardous is a sign of this ground (危险废物): to verify
    list_department: Optional[Literal["environment", "energy"]] = None  # who lists enterprises on this ground
    duties: list[Key] = Field(default_factory=list)
    cite: str
    cite_en: str
    law: Optional[Key] = None  # the cited text (a ``laws`` id of a pack)
    basis: Folded
    verified: bool = False


class Measure(_Strict):
    id: MeasureId
    name: Text
    clause: str
    kind: Literal["measure", "obligation", "programme", "incentive", "gate"]
    categories: list[Literal[CATEGORIES]] = Field(min_length=1)  # type: ignore[valid-type]
    cost: Literal["low", "medium_high"]
    description: Text
    reference: Optional[str] = None
    applicability: list[Text] = Field(default_factory=list)  # limits: where the technique fits or does not
    prerequisites: list[Text] = Field(default_factory=list)  # what the plant must have or be
    cross_media: list[Text] = Field(default_factory=list)  # what gets worse (energy, safety, waste ...)
    interactions: Interactions = Field(default_factory=Interactions)
    effects: list[Effect] = Field(default_factory=list)
    duties: list[Duty] = Field(default_factory=list)  # obligations: what follows once it applies
    grounds: list[Ground] = Field(default_factory=list)  # obligations: each legal ground with its own verdict

    def citations(self) -> list[tuple[str, tuple, Union[Duty, Ground]]]:
        """(what it is: duty / ground, its place in the measure file, the item) of every duty and ground: the
        items that cite a legal text."""
        return ([("duty", ("measure", "duties", i), d) for i, d in enumerate(self.duties)]
                + [("ground", ("measure", "grounds", i), g) for i, g in enumerate(self.grounds)])


class CaseExpect(_Strict):
    applies: list[MeasureId] = Field(default_factory=list)
    not_applies: list[MeasureId] = Field(default_factory=list)
    to_verify: list[MeasureId] = Field(default_factory=list)
    # neither applies nor asked: the profile's facts decide it does not apply (not_applies also passes a question)
    decided_not: list[MeasureId] = Field(default_factory=list)
    in_place: list[MeasureId] = Field(default_factory=list)  # found in place (measures_in_place, or an old flag)
    derived: list[Key] = Field(default_factory=list)
    units: dict[MeasureId, list[str]] = Field(default_factory=dict)
    missing: dict[MeasureId, list[str]] = Field(default_factory=dict)
    ranked_below: dict[MeasureId, MeasureId] = Field(default_factory=dict)  # measure -> the one listed before it
    optional: list[MeasureId] = Field(default_factory=list)  # to-verify questions grouped as optional (ask_if)
    conflicts: Optional[list[str]] = None  # the facts in conflict (e.g. emissions.energy_over_quota); [] = none
    grounds: dict[MeasureId, dict[Key, Literal["applies", "not_applies", "to_verify"]]] = Field(default_factory=dict)
    duties: dict[MeasureId, list[Key]] = Field(default_factory=dict)  # the duty ids listed, exactly


class Case(_Strict):
    name: str
    profile: dict[str, Any]
    expect: CaseExpect


class MeasureFile(_Strict):
    measure: Measure
    rules: list[Rule] = Field(min_length=1)
    cases: list[Case] = Field(default_factory=list)


class PackMeta(_Strict):
    code: Key
    name: Text
    aliases: list[str] = Field(default_factory=list)  # other words for the sector, e.g. 钢铁, 冶金
    sector: bool = False
    industry_codes: list[str] = Field(default_factory=list)
    requires: list[Key] = Field(default_factory=list)


class PackFile(_Strict):
    pack: PackMeta
    vocabulary: Vocabulary = Field(default_factory=Vocabulary)
    thresholds: dict[ThresholdId, Threshold] = Field(default_factory=dict)
    laws: dict[Key, LegalText] = Field(default_factory=dict)  # the legal texts the pack's measures cite
    derivations: list[Rule] = Field(default_factory=list)
    cases: list[Case] = Field(default_factory=list)


# ------------------------------------------------------------ 清洁生产评价指标体系 (one file per document)

LEVELS = ("I", "II", "III")


class ValueFrom(_Strict):
    """Where an indicator's value is in a profile: a product's unit figure (by product key), or the consultant
    enters it (``cp_indicators`` of the profile)."""

    products: list[Key] = Field(default_factory=list)  # any of these product keys (e.g. top- or stamp-charged coke)
    field: Literal["unit_energy", "unit_water", "unit_material"] = "unit_energy"


class Indicator(_Strict):
    """One 二级指标: its levels (Ⅰ/Ⅱ/Ⅲ) as numbers with a direction, or as texts (qualitative, rated by the
    consultant); its weight within the group where the document gives one; the 限定性 mark; where its value comes
    from; the measures that improve it."""

    id: Key
    name: Text
    unit: Optional[str] = None  # the unit the levels are in (a product's energy unit where it reads one)
    unit_label: Optional[str] = None  # as the document prints it (kgce/t铁)
    direction: Optional[Literal["<=", ">="]] = None  # quantitative: the better side
    levels: dict[Literal["I", "II", "III"], float] = Field(default_factory=dict)
    texts: dict[Literal["I", "II", "III"], Text] = Field(default_factory=dict)  # qualitative
    weight: Optional[float] = Field(default=None, gt=0, le=1)
    limiting: bool = False  # 限定性指标
    value_from: Optional[ValueFrom] = None
    improved_by: list[MeasureId] = Field(default_factory=list)
    note: Optional[str] = None

    @model_validator(mode="after")
    def _kind(self) -> "Indicator":
        if self.levels and self.texts:
            raise ValueError("an indicator has numeric levels or level texts, not both")
        if self.levels and self.direction is None:
            raise ValueError("numeric levels need a direction (<= or >=)")
        if self.value_from is not None and self.value_from.products and not self.levels:
            raise ValueError("a value read from a product needs numeric levels")
        return self


class IndicatorGroup(_Strict):
    """A 一级指标 with its weight and its 二级指标; ``complete: false`` where the source did not give every row
    (then its weights are not required to sum to 1)."""

    id: Key
    name: Text
    weight: Optional[float] = Field(default=None, gt=0, le=1)
    complete: bool = True
    indicators: list[Indicator] = Field(min_length=1)


class GradeRule(_Strict):
    """The document's 评价方法: the composite index needed per level and whether the 限定性 indicators cap it."""

    y_I: float = 85
    y_II: float = 85
    y_III: float = 100
    basis: Folded


class IndicatorSystem(_Strict):
    """A sector's 清洁生产评价指标体系 as one document: what it is, whom it applies to, its level names, method,
    tier and source, and its indicators by group."""

    id: Key
    name: Text
    number: Optional[str] = None  # 文号 (Chinese only)
    issuer: Text
    year: int
    effective: Optional[date] = None
    subsectors: list[Key] = Field(min_length=1)  # the profile subsectors it applies to
    generation: Literal["2014-2018", "2019", "GB/T 43329-2023"]
    level_names: dict[Literal["I", "II", "III"], Text]
    method: GradeRule
    complete: bool = False  # every group and row of the document is here
    tier: Literal["A", "B", "C"]
    cite: Text  # the source named plainly for the client's text
    source: Folded  # where and how it was read (the working papers)
    verified: bool = False
    groups: list[IndicatorGroup] = Field(min_length=1)


class SystemCaseExpect(_Strict):
    grade: Optional[Literal["I", "II", "III", "below", "none"]] = None  # none: not computed
    levels: dict[Key, Literal["I", "II", "III", "below", "missing"]] = Field(default_factory=dict)
    capped_by: Optional[list[Key]] = None
    missing: Optional[list[Key]] = None


class SystemCase(_Strict):
    name: str
    profile: dict[str, Any]
    expect: SystemCaseExpect


class IndicatorSystemFile(_Strict):
    indicator_system: IndicatorSystem
    cases: list[SystemCase] = Field(default_factory=list)


AnyOf.model_rebuild()
When.model_rebuild()
AskIf.model_rebuild()
