"""The workbench: the user's queues with their counts, filters and the order list."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from zhiyun.web.deps import PageUser
from zhiyun.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/workbench", response_class=HTMLResponse)
def workbench(request: Request, user: PageUser) -> HTMLResponse:
    return render(request, "workbench.html", {"title": "工作台"})
