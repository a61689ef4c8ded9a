"""The console's 知识库 pages: /knowledge (the items the user reads, a search box that asks the
knowledge base as 小南 would, and for the keepers the drafts and the proposals from answered
consultation orders), /knowledge/new and /knowledge/{id} (the item, its edit form, the review
buttons — 审核通过, 退回修改, 发布, 撤回 — and its history).

Plain forms (POST, then a redirect), through `KnowledgeService` and `KnowledgeSearch`; the
service asks the policies itself.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from zhiyun.domain.access import Actor, may_keep_knowledge, may_propose_knowledge, may_read_knowledge
from zhiyun.domain.errors import DomainError, ValidationFailed
from zhiyun.domain.knowledge import ItemAction, ItemInput, ItemStatus
from zhiyun.knowledge.search import Answer, KnowledgeSearch
from zhiyun.knowledge.service import KnowledgeService
from zhiyun.web.admin import FormDep, text
from zhiyun.web.deps import CsrfChecked, PageActor, PageForbidden, PageUser, ServicesDep
from zhiyun.web.templating import render

router = APIRouter(include_in_schema=False)

DONE = {
    "create": "已新建知识点（草稿）",
    "update": "已保存，知识点为草稿，须重新审核发布",
    "review": "已审核通过",
    "send_back": "已退回修改",
    "publish": "已发布",
    "withdraw": "已撤回",
}
ACTION_LABELS = {a.value: a.label for a in ItemAction}


def _readable(actor: Actor) -> None:
    if not may_read_knowledge(actor):
        raise PageForbidden("只有工作人员可以查看知识库")


def _day(form: FormData, name: str, label: str) -> date | None:
    value = text(form, name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"{label}格式应为 YYYY-MM-DD", field=name) from None


def _input(form: FormData) -> ItemInput:
    raw_answer = form.get("answer")
    raw_questions = form.get("questions")
    return ItemInput(
        title=text(form, "title"),
        answer=raw_answer if isinstance(raw_answer, str) else "",
        category=text(form, "category"),
        department=text(form, "department"),
        source=text(form, "source"),
        policy_ref=text(form, "policy_ref"),
        valid_from=_day(form, "valid_from", "生效日期"),
        valid_to=_day(form, "valid_to", "失效日期"),
        questions=tuple(
            q.strip()
            for q in (raw_questions if isinstance(raw_questions, str) else "").splitlines()
            if q.strip()
        ),
    )


def _list_page(
    request: Request,
    services: ServicesDep,
    actor: Actor,
    *,
    message: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    _readable(actor)
    params = request.query_params
    status = params.get("status") or None
    if status not in {s.value for s in ItemStatus}:
        status = None
    words = (params.get("q") or "").strip()[:100]
    asked = (params.get("ask") or "").strip()[:500]
    answer: Answer | None = None
    if asked:
        try:
            answer = services.get(KnowledgeSearch).ask(asked, 3)
        except DomainError as exc:
            error = exc.message
    page = services.get(KnowledgeService).items(actor, status=status, words=words or None, limit=100)
    context: dict[str, Any] = {
        "title": "知识库",
        "page": page,
        "status": status,
        "statuses": list(ItemStatus),
        "words": words,
        "asked": asked,
        "answer": answer,
        "keeper": may_keep_knowledge(actor),
        "proposer": may_propose_knowledge(actor),
        "message": message,
        "error": error,
    }
    return render(request, "knowledge/items.html", context, status_code=status_code)


@router.get("/knowledge", response_class=HTMLResponse)
def items_page(request: Request, user: PageUser, actor: PageActor, services: ServicesDep) -> HTMLResponse:
    done = request.query_params.get("done", "")
    message = DONE.get(done)
    if done.startswith("proposed-") and done[9:].isdigit():
        message = f"已由咨询工单生成 {int(done[9:])} 条草稿"
    return _list_page(request, services, actor, message=message)


@router.post("/knowledge/proposals", dependencies=[CsrfChecked])
def propose_post(
    request: Request, user: PageUser, actor: PageActor, services: ServicesDep, form: FormDep
) -> Response:
    try:
        made = services.get(KnowledgeService).propose_from_orders(actor, limit=50)
    except DomainError as exc:
        return _list_page(request, services, actor, error=exc.message, status_code=exc.http_status)
    return RedirectResponse(f"/knowledge?done=proposed-{len(made)}", status_code=303)


def _item_page(
    request: Request,
    services: ServicesDep,
    actor: Actor,
    item_id: int | None,
    *,
    message: str | None = None,
    error: str | None = None,
    status_code: int = 200,
    draft: ItemInput | None = None,
) -> HTMLResponse:
    _readable(actor)
    item = services.get(KnowledgeService).get(actor, item_id) if item_id is not None else None
    context: dict[str, Any] = {
        "title": item.title if item else "新建知识点",
        "item": item,
        "draft": draft,
        "keeper": may_keep_knowledge(actor),
        "action_labels": ACTION_LABELS,
        "message": message,
        "error": error,
    }
    return render(request, "knowledge/item.html", context, status_code=status_code)


@router.get("/knowledge/new", response_class=HTMLResponse)
def new_page(request: Request, user: PageUser, actor: PageActor, services: ServicesDep) -> HTMLResponse:
    if not may_keep_knowledge(actor):
        raise PageForbidden("只有管理员可以新建知识点")
    return _item_page(request, services, actor, None)


@router.post("/knowledge/new", dependencies=[CsrfChecked])
def new_post(
    request: Request, user: PageUser, actor: PageActor, services: ServicesDep, form: FormDep
) -> Response:
    draft: ItemInput | None = None
    try:
        draft = _input(form)
        created = services.get(KnowledgeService).create(actor, draft)
    except DomainError as exc:
        return _item_page(
            request, services, actor, None, error=exc.message, status_code=exc.http_status, draft=draft
        )
    return RedirectResponse(f"/knowledge/{created.id}?done=create", status_code=303)


@router.get("/knowledge/{item_id}", response_class=HTMLResponse)
def item_page(
    request: Request, item_id: int, user: PageUser, actor: PageActor, services: ServicesDep
) -> HTMLResponse:
    return _item_page(
        request, services, actor, item_id, message=DONE.get(request.query_params.get("done", ""))
    )


@router.post("/knowledge/answer-order/{number}", dependencies=[CsrfChecked])
def answer_order_post(
    request: Request, number: str, actor: PageActor, services: ServicesDep, form: FormDep
) -> Response:
    """一键秒回 on a consultation order's page: close it at intake with the chosen item's answer."""
    _readable(actor)
    item = text(form, "item_id")
    try:
        if not item.isdigit() or int(item) >= 2**31 or len(number) > 40:
            raise ValidationFailed("知识点不正确", field="item_id")
        services.get(KnowledgeService).answer_order(actor, number, int(item))
    except DomainError as exc:
        return render(
            request, "error.html", {"title": "未能答复", "message": exc.message}, status_code=exc.http_status
        )
    return RedirectResponse(f"/orders/{quote(number)}?done=resolve_on_intake", status_code=303)


@router.post("/knowledge/{item_id}", dependencies=[CsrfChecked])
def item_post(
    request: Request, item_id: int, user: PageUser, actor: PageActor, services: ServicesDep, form: FormDep
) -> Response:
    knowledge = services.get(KnowledgeService)
    op = text(form, "op")
    try:
        if op == "update":
            version = text(form, "version")
            knowledge.update(
                actor, item_id, _input(form), version=int(version) if version.isdigit() else None
            )
        elif op in {a.value for a in ItemAction} - {"create", "edit"}:
            knowledge.act(actor, item_id, op, text(form, "note"))
        else:
            raise ValidationFailed("未知的操作")
    except DomainError as exc:
        return _item_page(request, services, actor, item_id, error=exc.message, status_code=exc.http_status)
    return RedirectResponse(f"/knowledge/{item_id}?done={op}", status_code=303)
