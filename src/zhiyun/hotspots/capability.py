"""What the hotspots capability registers: the `zhiyun hotspots` commands."""

from __future__ import annotations

from zhiyun.kernel.capability import Capability, Command

CAPABILITY = Capability(
    name="hotspots",
    summary="Hot issues (热点问题): messages about one matter at one place grouped and ranked by a published hot index.",
    commands=(Command("hotspots", "zhiyun.hotspots.cli:hotspots_app"),),
)
