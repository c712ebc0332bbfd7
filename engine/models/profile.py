"""Enterprise and park profiles: the validated input of an assessment.

The structural model is pydantic; names that come from the knowledge base
(sectors, unit types, attributes, fuels, product keys ...) are checked against
the loaded vocabulary by :func:`engine.vocabulary.Vocabulary.check_profile`.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, StringConstraints,
                      field_validator, model_validator)

HUNAN_CITIES = (
    "长沙市", "株洲市", "湘潭市", "衡阳市", "邵阳市", "岳阳市", "常德市",
    "张家界市", "益阳市", "郴州市", "永州市", "怀化市", "娄底市", "湘西土家族苗族自治州",
)

_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# Limits a user can read in the profile's JSON Schema (maxItems, maximum, maxLength), checked before assessing.
LIMITS = {
    "units": 2000, "products": 2000, "solid_wastes": 500, "voc_operations": 500, "energy": 100,
    "list_items": 200, "attributes": 200, "enterprises": 5000,
    "name_chars": 200, "text_chars": 2000, "number_max": 1e12, "count_max": 100_000,
}


def _no_control(v: str) -> str:
    """NUL cannot be stored by PostgreSQL nor written to a report: refused with the field and line."""
    if "\x00" in v:
        raise ValueError("文本中不允许出现NUL字符 / a NUL character (U+0000) is not allowed in text")
    return v


Text = Annotated[str, StringConstraints(max_length=LIMITS["text_chars"]), AfterValidator(_no_control)]
Scalar = Union[bool, Annotated[int, Field(ge=-LIMITS["number_max"], le=LIMITS["number_max"])],
               Annotated[float, Field(ge=-LIMITS["number_max"], le=LIMITS["number_max"])], Text]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=LIMITS["name_chars"]),
                 AfterValidator(_no_control)]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]
Note = Text  # a consultant's remark on an item (the workbook's 备注 column)
MeasureId = Annotated[str, StringConstraints(pattern=r"^[a-z_]+\.[a-z0-9_]+$", max_length=120)]
NONE_DONE = "none"  # measures_in_place: [none] states that no measure is done yet (an empty list states nothing)
DoneId = Annotated[str, StringConstraints(pattern=rf"^([a-z_]+\.[a-z0-9_]+|{NONE_DONE})$", max_length=120)]
NonNeg = Annotated[float, Field(ge=0, le=LIMITS["number_max"])]
Signed = Annotated[float, Field(ge=-LIMITS["number_max"], le=LIMITS["number_max"])]


def by_words(table: dict[str, str]) -> Any:
    """Read the words a consultant writes (中费, Ⅱ级, 无烟煤 …) as the field's keys; other values pass unchanged."""
    return BeforeValidator(lambda v: table.get(v.strip(), v.strip()) if isinstance(v, str) else v)


def _percent(v: Any) -> Any:
    """A share written as a percentage ("68%", "68 %", "68％") is the share 0.68; other values pass unchanged."""
    if isinstance(v, str) and v.strip().endswith(("%", "％")):
        try:
            return float(v.strip()[:-1].strip().replace(",", "")) / 100
        except ValueError:
            raise ValueError(f"应为0–1的比例或百分数，如 0.68 或 68% / a share 0-1 or a percentage (got '{v}')")
    return v


Share = Annotated[float, BeforeValidator(_percent), Field(ge=0, le=1)]
Attributes = Annotated[dict[Key, Scalar], Field(max_length=LIMITS["attributes"])]


def Many(item: Any, limit: str = "list_items") -> Any:  # noqa: N802 - a type factory
    """A list of at most LIMITS[limit] items."""
    return Annotated[list[item], Field(max_length=LIMITS[limit])]


def credit_code_check_char(code17: str) -> str:
    """Check character of a unified social credit code (GB 32100-2015)."""
    total = sum(_CREDIT_CHARS.index(ch) * w for ch, w in zip(code17, _CREDIT_WEIGHTS))
    return _CREDIT_CHARS[(31 - total % 31) % 31]


def validate_credit_code(code: str) -> str:
    code = code.strip().upper()
    if len(code) != 18:
        raise ValueError(f"统一社会信用代码应为18位 / credit code must have 18 characters, got {len(code)}")
    bad = [ch for ch in code if ch not in _CREDIT_CHARS]
    if bad:
        raise ValueError(f"统一社会信用代码含非法字符 / invalid characters in credit code: {''.join(bad)}")
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        raise ValueError(f"统一社会信用代码校验位错误 / wrong check digit: expected {expected}, got {code[17]}")
    return code


# the unit words people write beside a number, and what they are in the field's unit (definitional factors only:
# 1 万 = 10,000; 1 tce = 1,000 kgce; 1 MWh = 1,000 kWh)
_QUANTITY = re.compile(r"^\s*([-+]?\d[\d,]*(?:\.\d+)?)\s*(\S*?)\s*$")
UNIT_WORDS: dict[str, tuple[str, float]] = {
    "tce": ("tce", 1), "吨标煤": ("tce", 1), "吨标准煤": ("tce", 1), "t标煤": ("tce", 1), "kgce": ("tce", 0.001),
    "千克标煤": ("tce", 0.001), "万tce": ("tce", 1e4), "万吨标煤": ("tce", 1e4), "万吨标准煤": ("tce", 1e4),
    "MWh": ("MWh", 1), "兆瓦时": ("MWh", 1), "kWh": ("MWh", 0.001), "度": ("MWh", 0.001), "千瓦时": ("MWh", 0.001),
    "万kWh": ("MWh", 10), "万度": ("MWh", 10), "万千瓦时": ("MWh", 10), "GWh": ("MWh", 1000), "亿kWh": ("MWh", 1e5),
    "m3": ("m3", 1), "m³": ("m3", 1), "立方米": ("m3", 1), "方": ("m3", 1), "吨水": ("m3", 1), "万m3": ("m3", 1e4),
    "万m³": ("m3", 1e4), "万立方米": ("m3", 1e4), "万方": ("m3", 1e4), "万吨水": ("m3", 1e4),
    "万元": ("万元", 1), "元": ("万元", 1e-4), "亿元": ("万元", 1e4),
}
UNIT_HINT = {"tce": ("吨标煤（tce）", "吨标煤"), "MWh": ("兆瓦时（MWh）", "MWh"), "m3": ("立方米（m³）", "m³"),
             "万元": ("万元", "万元")}


def quantity(unit: str) -> Any:
    """A number in ``unit``, or a number written with a unit of the same kind ("26000吨标煤", "450 GWh", "1.2亿元"),
    converted; anything else is refused naming the unit the field wants, in Chinese and English."""

    def parse(v: Any) -> Any:
        if not isinstance(v, str):
            return v
        m = _QUANTITY.match(v)
        if m:
            number = float(m[1].replace(",", ""))
            if not m[2]:
                return number
            got = UNIT_WORDS.get(m[2])
            if got is not None and got[0] == unit:
                return number * got[1]
        raise ValueError(f"应为以{UNIT_HINT[unit][0]}计的数字，如 26000 或“26000 {UNIT_HINT[unit][1]}” / "
                         f"a number in {unit} (got '{v}')")
    return BeforeValidator(parse)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


class Unit(_Strict):
    """A production unit or piece of key equipment (e.g. a sintering machine)."""

    id: Optional[Name] = None
    type: Key
    count: Annotated[int, Field(ge=1, le=LIMITS["count_max"])] = 1
    capacity: Optional[NonNeg] = None
    capacity_unit: Optional[Name] = None
    fuel: Optional[Key] = None
    other_fuels: Many(Key) = Field(default_factory=list)  # a second fuel of the same unit (start-up, back-up, co-firing)
    measures_in_place: Many(DoneId) = Field(default_factory=list)
    attributes: Attributes = Field(default_factory=dict)
    notes: Optional[Note] = None  # the workbook's 备注: kept, shown, decides nothing


class EnergyUse(_Strict):
    fuel: Key
    annual: NonNeg
    unit: Name = "tce"
    notes: Optional[Note] = None


class Product(_Strict):
    name: Name
    key: Optional[Key] = None
    annual_output: Optional[NonNeg] = None
    output_unit: Optional[Name] = None
    unit_energy: Optional[Signed] = None
    unit_energy_unit: Optional[Name] = None
    unit_water: Optional[NonNeg] = None
    notes: Optional[Note] = None
    unit_water_unit: Optional[Name] = None
    unit_material: Optional[NonNeg] = None
    unit_material_unit: Optional[Name] = None
    cp_advanced_energy: Optional[Signed] = None
    cp_advanced_water: Optional[NonNeg] = None
    cp_advanced_material: Optional[NonNeg] = None
    in_project: Optional[bool] = None  # part of the new, rebuilt or expanded line (the admission gate checks these)


TOXIC_CATEGORIES = ("hazardous_waste", "toxic_chemicals", "heavy_metals", "pops", "other_toxic")


TOXIC_WORDS = {
    "危险废物": "hazardous_waste",
    "剧毒化学品": "toxic_chemicals", "重点环境管理危险化学品": "toxic_chemicals",
    "剧毒化学品、重点环境管理危险化学品及含有上述化学品的物质": "toxic_chemicals",
    "重金属": "heavy_metals", "含铅、汞、镉、铬等重金属和类金属砷的物质": "heavy_metals",
    "持久性有机污染物": "pops", "《斯德哥尔摩公约》附件所列持久性有机污染物": "pops",
    "其他有毒有害物质": "other_toxic", "其他具有毒性、可能污染环境的物质": "other_toxic",
}
PLAN_STATUS_WORDS = {"拟实施": "proposed", "提出": "proposed", "已采纳": "accepted", "采纳": "accepted",
                     "已实施": "implemented", "实施": "implemented", "已否决": "rejected", "否决": "rejected"}


class Emissions(_Strict):
    """Facts behind the mandatory audit (双超双有)."""

    over_standard: Optional[bool] = None
    over_total_quota: Optional[bool] = None
    toxic_hazardous: Optional[bool] = None
    energy_over_quota: Optional[bool] = None
    on_mandatory_list: Optional[bool] = None
    list_published: Optional[date] = None  # 名单公布日期: the deadlines of a listed enterprise run from it
    list_department: Optional[Literal["environment", "energy"]] = None  # who published the list (办法 第九条)
    last_audit_completed: Optional[date] = None  # 上一轮审核完成（通过评估）日期: the audit interval runs from it
    # 《清洁生产审核办法》第八条第（三）项's five categories of toxic raw materials or substances (as restated):
    # hazardous waste; highly toxic chemicals and those on the key-environmental-management list; substances
    # with Pb, Hg, Cd, Cr or As; Stockholm-convention POPs; other toxic substances that may pollute
    # as the 办法 words them, or as a consultant shortens them (重金属, 危险废物 …)
    toxic_categories: Many(Annotated[Literal[TOXIC_CATEGORIES], by_words(TOXIC_WORDS)]) = Field(  # type: ignore[valid-type]
        default_factory=list)

    @model_validator(mode="after")
    def _toxic(self) -> "Emissions":
        if self.toxic_categories and self.toxic_hazardous is False:
            raise ValueError(f"toxic_hazardous is false but toxic_categories lists {', '.join(self.toxic_categories)}"
                             " / 有毒有害物质类别与“是否使用或排放有毒有害物质”矛盾")
        if self.toxic_categories and self.toxic_hazardous is None:
            self.toxic_hazardous = True  # a category named is the fact itself
        return self


class SolidWaste(_Strict):
    kind: Key
    name: Optional[Name] = None  # the plant's own word (废瓷片, 废釉), kept and shown beside the kind
    annual_t: Optional[NonNeg] = None
    disposal: Optional[Key] = None
    hazardous: Optional[bool] = None
    notes: Optional[Note] = None


class VocOperation(_Strict):
    kind: Key
    material: Optional[Key] = None
    method: Optional[Key] = None
    enclosed: Optional[bool] = None
    annual_solvent_t: Optional[NonNeg] = None
    # measured figures, shown with the operation: no stored standard gives a level to compare them with
    capture_efficiency_pct: Optional[Annotated[float, Field(ge=0, le=100)]] = None  # 收集效率 %
    voc_content_g_l: Optional[Annotated[float, Field(ge=0, le=2000)]] = None  # 涂料/油墨 VOCs 含量, g/L
    notes: Optional[Note] = None


class EnergyMix(_Strict):
    """Shares (0..1) of a park's final energy use."""

    coal: Optional[Share] = None
    oil: Optional[Share] = None
    gas: Optional[Share] = None
    electricity: Optional[Share] = None
    renewables: Optional[Share] = None

    @model_validator(mode="after")
    def _sum(self) -> "EnergyMix":
        total = sum(v for v in (self.coal, self.oil, self.gas, self.electricity, self.renewables) if v is not None)
        if total > 1.0001:
            raise ValueError(f"能源结构比例之和超过1 / energy shares add up to {total:.3f} > 1")
        return self


FuelKind = Literal["anthracite", "bituminous", "lignite"]  # a coal's kind (the guideline's NCV and carbon content)
SAVING_WORDS = {"无烟煤": "anthracite", "烟煤": "bituminous", "褐煤": "lignite", "工业锅炉": "industrial_boiler",
                "发电锅炉": "power_boiler", "水泥窑": "cement_kiln"}


class PlanSaving(_Strict):
    """A yearly saving of one carrier (negative = uses more), e.g. {carrier: electricity, amount: 1200, unit: MWh}."""

    carrier: Key  # a fuel of the vocabulary, or water, or a material key
    amount: Signed
    unit: Name  # tce, t, MWh, kWh, m3 ... (checked against the known units)
    # coal by the accounting guideline's method: its kind (NCV, carbon content) and the equipment it burns in
    # (oxidation rate); without them the 原煤 factor applies
    fuel_kind: Annotated[Optional[FuelKind], by_words(SAVING_WORDS)] = None
    equipment: Annotated[Optional[Literal["industrial_boiler", "power_boiler", "cement_kiln"]],
                         by_words(SAVING_WORDS)] = None


PLAN_STATUSES = ("proposed", "accepted", "implemented", "rejected")


COST_CLASS_WORDS = {"无/低费": "low", "无低费": "low", "低费": "low", "无费": "low", "中费": "medium", "较高费": "higher",
                    "高费": "high"}


class Plan(_Strict):
    """The consultant's figures for one candidate measure (清洁生产方案). Money in 万元 per the audit convention."""

    measure: MeasureId
    id: Optional[Key] = None
    name: Optional[Name] = None
    investment_wan: Annotated[Optional[NonNeg], quantity("万元")] = None  # 总投资，万元
    annual_saving_wan: Annotated[Optional[Signed], quantity("万元")] = None  # 年节约费用（收益），万元/年
    operating_cost_change_wan: Signed = 0  # 年运行费用增加（+）或减少（-），万元/年
    savings: Many(PlanSaving) = Field(default_factory=list)  # 年节约量，按能源品种/水/物料
    life_years: Optional[Annotated[int, Field(ge=1, le=60)]] = None  # 方案寿命（计算期），年
    discount_rate: Optional[Annotated[float, Field(ge=0, le=1)]] = None  # 折现率（基准收益率），0..1，无默认值
    # the after-tax method of the audit's 可行性分析: 折旧年限 Y and 所得税税率, the consultant's (no default)
    depreciation_years: Optional[Annotated[int, Field(ge=1, le=60)]] = None
    income_tax_rate: Optional[Annotated[float, Field(ge=0, le=1)]] = None
    benchmark_irr: Optional[Annotated[float, Field(ge=0, le=1)]] = None  # 基准收益率 for the IRR test, if given
    # 费用类别 as the consultant states it (定额偿还期: 中费 2–3 年, 较高费 5 年, 高费 10 年; no sourced investment bands)
    cost_class: Annotated[Optional[Literal["low", "medium", "higher", "high"]], by_words(COST_CLASS_WORDS)] = None
    status: Annotated[Literal[PLAN_STATUSES], by_words(PLAN_STATUS_WORDS)] = "proposed"  # type: ignore[valid-type]
    status_date: Optional[date] = None
    note: Optional[Text] = None
    notes: Optional[Note] = None  # the workbook's 备注 beside the plan's 说明


class _Common(_Strict):
    _notices: list[str] = PrivateAttr(default_factory=list)  # deprecated forms upgraded on intake (one line each)
    name: Name
    city: Optional[Name] = None
    county: Optional[Name] = None
    measures_in_place: Many(DoneId) = Field(default_factory=list)
    attributes: Attributes = Field(default_factory=dict)
    plans: Many(Plan) = Field(default_factory=list)  # candidate measures with the consultant's economics

    @field_validator("city")
    @classmethod
    def _city(cls, v: Optional[str]) -> Optional[str]:
        if v is None:
            return v
        if v not in HUNAN_CITIES:
            by_prefix = [c for c in HUNAN_CITIES if c.startswith(v)]
            if len(by_prefix) == 1:  # 株洲 -> 株洲市, as a person writes it
                return by_prefix[0]
            near = [c for c in HUNAN_CITIES if v in c or c.startswith(v)]
            hint = f" (did you mean {near[0]}?)" if near else ""
            raise ValueError(f"不是湖南省的市州 / not a city or prefecture of Hunan: {v}{hint}")
        return v


RATING_WORDS = {"Ⅰ": "I", "Ⅰ级": "I", "一级": "I", "I级": "I", "Ⅱ": "II", "Ⅱ级": "II", "二级": "II", "II级": "II",
                "Ⅲ": "III", "Ⅲ级": "III", "三级": "III", "III级": "III", "未达到Ⅲ级": "below", "未达到III级": "below"}
QUALITY_WORDS = {"实测": "measured", "统计": "statistical", "估算": "estimated"}


class IndicatorInput(_Strict):
    """The consultant's figure for one indicator of a 清洁生产评价指标体系: a value (in the indicator's unit) with
    its data quality (实测/统计/估算), or, for a qualitative indicator, a rating (Ⅰ/Ⅱ/Ⅲ级 or below) with its reason."""

    value: Optional[Signed] = None
    rating: Annotated[Optional[Literal["I", "II", "III", "below"]], by_words(RATING_WORDS)] = None
    quality: Annotated[Optional[Literal["measured", "statistical", "estimated"]], by_words(QUALITY_WORDS)] = None
    applicable: bool = True  # false: the indicator does not apply to this plant (say why in the note)

    @model_validator(mode="before")
    @classmethod
    def _bare(cls, v: Any) -> Any:
        """A bare number is the value, a bare word the rating (a data request's answer, a workbook cell)."""
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return {"value": v}
        if isinstance(v, str):
            word = v.strip()
            try:
                return {"value": float(word)}
            except ValueError:
                return {"rating": word}
        return v
    note: Optional[Annotated[str, StringConstraints(max_length=LIMITS["name_chars"])]] = None


class EnterpriseProfile(_Common):
    """An industrial enterprise (企业画像)."""

    kind: Literal["enterprise"] = "enterprise"
    credit_code: Optional[str] = None
    park: Optional[Name] = None
    size: Optional[Literal["large", "medium", "small", "micro"]] = None
    sectors: Many(Key) = Field(default_factory=list)
    subsectors: Many(Key) = Field(default_factory=list)
    industry_codes: Many(Annotated[str, StringConstraints(pattern=r"^[A-Z]?\d{2,4}$")]) = Field(default_factory=list)
    project_type: Literal["existing", "new", "rebuilt", "expanded"] = "existing"
    cp_audit_passed: Optional[bool] = None
    financing_constrained: Optional[bool] = None
    total_energy_tce: Annotated[Optional[NonNeg], quantity("tce")] = None
    electricity_mwh: Annotated[Optional[NonNeg], quantity("MWh")] = None
    water_m3: Annotated[Optional[NonNeg], quantity("m3")] = None
    emissions: Emissions = Field(default_factory=Emissions)
    energy: Many(EnergyUse, "energy") = Field(default_factory=list)
    units: Many(Unit, "units") = Field(default_factory=list)
    products: Many(Product, "products") = Field(default_factory=list)
    solid_wastes: Many(SolidWaste, "solid_wastes") = Field(default_factory=list)
    voc_operations: Many(VocOperation, "voc_operations") = Field(default_factory=list)
    # 清洁生产评价指标体系: system id -> indicator id -> the consultant's figure (values the profile already holds,
    # such as a product's unit energy, are read from there)
    cp_indicators: dict[Key, dict[Key, IndicatorInput]] = Field(default_factory=dict)

    @field_validator("credit_code")
    @classmethod
    def _credit(cls, v: Optional[str]) -> Optional[str]:
        return None if v is None else validate_credit_code(v)

    @model_validator(mode="after")
    def _units(self) -> "EnterpriseProfile":
        seen: set[str] = set()
        for i, u in enumerate(self.units):
            if u.id is None:
                u.id = f"{u.type}#{i + 1}"
            if u.id in seen:
                raise ValueError(f"重复的装置编号 / duplicate unit id: {u.id}")
            seen.add(u.id)
        return self


class ParkProfile(_Common):
    """An industrial park (工业园区) with its enterprises and shared facilities."""

    kind: Literal["park"]
    level: Optional[Literal["national", "provincial", "other"]] = None
    enterprise_count: Optional[Annotated[int, Field(ge=0, le=LIMITS["count_max"])]] = None
    enterprises: Many(Name, "enterprises") = Field(default_factory=list)
    leading_sectors: Many(Key) = Field(default_factory=list)
    energy_mix: EnergyMix = Field(default_factory=EnergyMix)
    shared_facilities: Many(Key) = Field(default_factory=list)
    water_reuse_rate: Optional[Share] = None
    total_energy_tce: Annotated[Optional[NonNeg], quantity("tce")] = None


Profile = Annotated[Union[EnterpriseProfile, ParkProfile], Field(discriminator="kind")]


class _ProfileDoc(BaseModel):
    profile: Profile


def parse_profile(data: Any) -> Union[EnterpriseProfile, ParkProfile]:
    """Validate a plain mapping into an enterprise or park profile (structure only)."""
    if isinstance(data, dict) and "kind" not in data:
        data = {**data, "kind": "enterprise"}
    return _ProfileDoc.model_validate({"profile": data}).profile


def profile_json_schema() -> dict:
    """JSON Schema of the profile input (enterprise or park)."""
    schema = _ProfileDoc.model_json_schema()
    schema["title"] = "cpadvisor profile"
    return schema
