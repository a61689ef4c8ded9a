"""The 小南对话 pages (staff): the conversations with their outcomes, one conversation's
transcript, and the report's figures."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from zhiyun.assistant.service import AssistantService
from zhiyun.domain.access import Actor, may_read_assistant
from zhiyun.domain.assistant import HandoverReason
from zhiyun.domain.errors import DomainError
from zhiyun.web.deps import PageActor, PageForbidden, ServicesDep
from zhiyun.web.templating import render

router = APIRouter(include_in_schema=False)

OUTCOMES = {"open": "进行中", "answered": "已回答", "handover": "转人工", "urgent": "紧急"}
REASONS = {r.value: r.label for r in HandoverReason}


def _reader(actor: Actor) -> Actor:
    if not may_read_assistant(actor):
        raise PageForbidden("小南对话仅供管理员、领导和质检员查看")
    return actor


@router.get("/assistant", response_class=HTMLResponse)
def conversations_page(
    request: Request,
    services: ServicesDep,
    actor: PageActor,
    outcome: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    service = services.get(AssistantService)
    chosen = outcome if outcome in OUTCOMES else None
    until = services.clock()
    return render(
        request,
        "assistant/conversations.html",
        {
            "title": "小南对话",
            "conversations": service.conversations(_reader(actor), chosen),
            "report": service.report(actor, until - timedelta(days=30), until),
            "outcome": chosen,
            "outcomes": OUTCOMES,
            "reasons": REASONS,
        },
    )


@router.get("/assistant/conversations/{conversation_id}", response_class=HTMLResponse)
def conversation_page(
    request: Request,
    services: ServicesDep,
    actor: PageActor,
    conversation_id: Annotated[int, Path(ge=1, le=2**62)],
) -> HTMLResponse:
    try:
        found = services.get(AssistantService).conversation(_reader(actor), conversation_id)
    except DomainError as exc:
        return render(
            request, "error.html", {"title": "未找到", "message": exc.message}, status_code=exc.http_status
        )
    return render(
        request,
        "assistant/conversation.html",
        {"title": f"小南对话 {found.id}", "c": found, "outcomes": OUTCOMES, "reasons": REASONS},
    )
