"""`zhiyun sweep`: one deadline sweep now (the worker runs it on a schedule)."""

from __future__ import annotations

from zhiyun.cli.support import (
    DbOption,
    cli_actor,
    console,
    open_services,
)


def sweep(db: DbOption = None) -> None:
    """立即执行一次时限扫描：标记即将超时与超时工单，为新超时工单发催办通知。"""
    with open_services(db) as services:
        report = services.sweep.run(cli_actor())
    console.print(
        f"时限扫描完成：预警 {report.warnings}，超时 {report.overdue}，催办通知 {report.notices}，"
        f"已由其他进程处理 {report.skipped}"
    )
