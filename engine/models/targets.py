"""Hunan's 2025 targets as the policy states them (湘工信节能〔2024〕194号 二、工作目标, read in the policy text)."""
from __future__ import annotations

TARGET_SOURCE = {"zh": "湖南省2025年目标：湘工信节能〔2024〕194号 二、工作目标",
                 "en": "Hunan 2025 target: Xiang Gong Xin Jie Neng [2024] No. 194, section 2 (targets)"}
TARGETS = [
    {"id": "energy_intensity", "reduction_pct": 14.0, "at_least": False, "base_year": 2020,
     "zh": "规模以上工业单位增加值能耗比2020年下降14%",
     "en": "Energy use per unit of value added of industry above designated size down 14% from 2020"},
    {"id": "water_intensity", "reduction_pct": 12.0, "at_least": True, "base_year": 2020,
     "zh": "万元工业增加值用水量较2020年降幅不低于12%",
     "en": "Water use per 10,000 yuan of industrial value added down at least 12% from 2020"},
]
