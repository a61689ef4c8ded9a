"""Automatic dispatch in the demo: the default taxonomy, a responsibility list, a first model.

The seeded history carries each topic's category (topics.TOPIC_CATEGORIES); the
responsibility list sends each category to the department that handles it district-wide,
a few to a town office in its own town, and everything else to the town the order is in
(属地管理兜底). A first classifier is trained from the seeded closed orders when a model
service is available and none is active yet; from then on the simulated orders arriving
through the channels are dispatched automatically, with the rule in the transition note,
and the unsure ones wait with their suggestions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from zhiyun.bootstrap import Services
from zhiyun.catalog.responsibility import RuleInput
from zhiyun.demo.district import DEMO_ADMIN, TOWNS

log = logging.getLogger("zhiyun.demo")


# category → the unit that handles it anywhere in the district (department or its brigade)
DEPARTMENT_RULES: tuple[tuple[str, str, str], ...] = (
    ("GA01", "GAJ", "夜间喧哗、治安类由公安分局处理"),
    ("CX0201", "ZJJ-ZF", "工地夜间施工噪音由住建执法大队查处"),
    ("JT02", "JTJ", "道路交通秩序"),
    ("CG0401", "CGJ-ZF", "占道经营由城管执法大队查处"),
    ("CG0201", "CGJ-ZF", "户外广告招牌"),
    ("CX0102", "SLJ", "供水排水、排涝"),
    ("CX0103", "JTJ", "道路桥梁养护"),
    ("JY", "JYJ", "教育类"),
    ("WS02", "YBJ", "医保"),
    ("WS01", "WJJ", "医疗服务"),
    ("LD", "RSJ", "劳动和社会保障类"),
    ("LD01", "RSJ-JC", "欠薪由劳动保障监察大队处理"),
    ("SJ", "SJJ", "市场监管类"),
    ("SJ01", "SJJ-JC", "食品安全由市场监管稽查大队查处"),
    ("HB", "STJ-ZF", "环境污染由生态环境执法大队查处"),
    ("MZ", "MZJ", "民政类"),
    ("JT01", "JTJ", "公共交通"),
    ("ZW02", "ZSJ", "政务服务窗口"),
    ("GA02", "YJJ", "消防安全隐患"),
    ("NY", "NYJ", "农村农业类"),
)
# category, area (town), unit: a town office takes these in its own town (deeper area wins)
TOWN_OFFICE_RULES: tuple[tuple[str, str, str, str], ...] = (
    ("CG0401", "GC", "GC-CG", "桂城街道占道经营由街道城管办处理"),
    ("CG0401", "SS", "SS-ZF", "狮山镇占道经营由镇综合行政执法办处理"),
    ("CG0401", "DL", "DL-CG", "大沥镇占道经营由镇城管办处理"),
)
FALLBACK_PRIORITY = -10


def demo_rules() -> list[tuple[int | None, RuleInput]]:
    rules: list[tuple[int | None, RuleInput]] = [
        (None, RuleInput(unit_code=unit, category_code=cat, note=note))
        for cat, unit, note in DEPARTMENT_RULES
    ]
    rules += [
        (None, RuleInput(unit_code=unit, category_code=cat, area_code=area, note=note))
        for cat, area, unit, note in TOWN_OFFICE_RULES
    ]
    rules += [
        (
            None,
            RuleInput(
                unit_code=t.code,
                area_code=t.code,
                priority=FALLBACK_PRIORITY,
                note=f"属地管理兜底：{t.name}辖区内的其他事项由{t.name}研判",
            ),
        )
        for t in TOWNS
    ]
    return rules


@dataclass
class DispatchSetupReport:
    categories: int = 0
    rules: int = 0
    model: str = ""

    def summary(self) -> str:
        loaded = (
            f"载入分类 {self.categories} 个、权责清单规则 {self.rules} 条；"
            if self.categories or self.rules
            else ""
        )
        return f"智能分拨：{loaded}{self.model}"


def ensure_dispatch_lists(services: Services) -> DispatchSetupReport:
    """The default taxonomy and the demo responsibility list, where absent."""
    report = DispatchSetupReport()
    report.categories = services.taxonomy.ensure_default(DEMO_ADMIN).created
    if not services.responsibility.rules():
        report.rules = services.responsibility.import_rules(DEMO_ADMIN, demo_rules())[0]
    return report


def ensure_first_model(services: Services) -> str:
    """Train a first classifier from the seeded closed orders when none is active (needs `services.models`)."""
    models: Any = getattr(services, "models", None)
    if models is None:
        return "未安装分类模型服务"
    if models.active() is not None:
        return "已有启用的分类模型"
    try:
        keywords = {c.code: [c.name, *c.keywords] for c in services.taxonomy.categories()}
        # the demo's history is small: keep classes with two closed orders, three folds
        result = models.train_from_db(DEMO_ADMIN, activate=True, keywords=keywords, min_per_class=2, folds=3)
    except Exception as exc:  # the demo goes on without automatic dispatch
        log.warning("first model not trained: %s", exc)
        return f"未能训练分类模型：{exc}"
    return f"已训练并启用分类模型 {getattr(result, 'version', result)}"


def ensure_dispatch(services: Services) -> DispatchSetupReport:
    report = ensure_dispatch_lists(services)
    report.model = ensure_first_model(services)
    return report


__all__ = [
    "DEPARTMENT_RULES",
    "DispatchSetupReport",
    "demo_rules",
    "ensure_dispatch",
    "ensure_dispatch_lists",
]
