"""Where and when to look for duplicates, and the score thresholds of merge and flag (`DedupePolicy`).

The decision: ``merge`` at or above `high`, ``flag`` (a dispatcher decides) at or above
`low`, else ``none``. The thresholds are configuration (ZHIYUN_DEDUPE_*); docs/dedupe.md
says how the defaults were measured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from zhiyun.domain.errors import ValidationFailed

if TYPE_CHECKING:
    from zhiyun.config import Settings

Decision = Literal["merge", "flag", "none"]

# Tuned on the labelled pairs of benchmarks/dedupe_pairs.py (see docs/dedupe.md).
DEFAULT_HIGH = 0.50
DEFAULT_LOW = 0.30


@dataclass(frozen=True)
class DedupePolicy:
    """Where and when to look for duplicates, and the score thresholds for merge and flag."""

    radius_m: float = 300.0
    window_days: float = 7.0
    high: float = DEFAULT_HIGH
    low: float = DEFAULT_LOW

    def __post_init__(self) -> None:
        errors: dict[str, str] = {}
        if not (math.isfinite(self.radius_m) and self.radius_m > 0):
            errors["radius_m"] = "距离范围必须大于 0 米"
        if not (math.isfinite(self.window_days) and self.window_days > 0):
            errors["window_days"] = "时间窗口必须大于 0 天"
        if not 0.0 <= self.low <= 1.0:
            errors["low"] = "疑似重复阈值必须在 0～1 之间"
        if not 0.0 <= self.high <= 1.0:
            errors["high"] = "自动合并阈值必须在 0～1 之间"
        if not errors and self.low > self.high:
            errors["low"] = "疑似重复阈值不能高于自动合并阈值"
        if errors:
            raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in errors.items()), fields=errors)

    @classmethod
    def from_settings(cls, settings: Settings) -> DedupePolicy:
        """The policy of a site's settings (ZHIYUN_DEDUPE_*)."""
        return cls(
            radius_m=settings.dedupe_radius_m,
            window_days=settings.dedupe_window_days,
            high=settings.dedupe_merge_threshold,
            low=settings.dedupe_flag_threshold,
        )

    def decide(self, value: float) -> Decision:
        if value >= self.high:
            return "merge"
        if value >= self.low:
            return "flag"
        return "none"
