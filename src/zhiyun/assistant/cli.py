"""`zhiyun assistant`: 小南's report (and, with the knowledge base, its evaluation)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

import typer
from rich.markup import escape

from zhiyun.assistant.service import AssistantService
from zhiyun.cli.support import DbOption, ZhiyunGroup, cli_actor, console, open_services
from zhiyun.knowledge.cli import evaluate

assistant_app = typer.Typer(
    cls=ZhiyunGroup,
    help="小南：智能问答的报告与评测。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@assistant_app.callback()
def assistant_group() -> None:
    """小南：智能问答的报告与评测。"""


# `zhiyun assistant evaluate --kb FILE … --questions FILE …`: the knowledge base's retrieval as
# 小南 asks it, on a file (docs/knowledge.md)
assistant_app.command("evaluate")(evaluate)


@assistant_app.command("report")
def report(
    days: Annotated[int, typer.Option(min=1, max=366, help="统计最近多少天")] = 30,
    db: DbOption = None,
) -> None:
    """小南报告：回答率、转人工原因、未能回答的问题（按主题）、点赞/点踩；最后一行输出 JSON。"""
    with open_services(db) as services:
        until = services.clock()
        found = services.get(AssistantService).report(cli_actor(), until - timedelta(days=days), until)
    console.print(f"最近 {days} 天：{found.conversations} 次对话，{found.questions} 个问题")
    console.print(
        f"  直接回答 {found.answered_questions} 个（{found.answered_share:.1%}），转人工登记工单 {found.orders} 件"
    )
    labels = {
        "unanswered": "无法回答",
        "asked_person": "要求人工",
        "complaint": "投诉或反映问题",
        "urgent": "紧急情况",
    }
    for reason, count in found.handovers.items():
        console.print(f"  转人工：{labels.get(reason, reason)} {count} 次")
    console.print(f"  评价：有用 {found.thumbs_up}，没用 {found.thumbs_down}")
    if found.unanswered_topics:
        console.print("未能回答的问题（知识库缺口，按主题）：")
        for topic, count, examples in found.unanswered_topics:
            console.print(f"  {escape(topic)}（{count}）：{escape('；'.join(examples))}")
    print(json.dumps(found.as_dict(), ensure_ascii=False))
