"""The grid worker's patrol page (巡查) on a phone: today's visit tasks on a list and a map, one
object's merged checklist, photos, time and position, re-checks of open hazards and a free
report (随手报) — and all of it working offline.

The page is an app shell: `/grid/patrol` renders the same HTML for every grid worker (their
name and id only), and `static/js/patrol.js` draws everything from the patrol API
(`GET /api/v1/grid/patrol/today`, `POST /api/v1/grid/patrol/visits`) with the session cookie.
`/grid/patrol/sw.js` is its service worker (scope `/grid/patrol`): it keeps the shell and the
last answer of `today` so that a reload without network still shows the day's tasks; the
submissions wait in the browser's IndexedDB and are sent when the network returns, each with
its own id (docs/grid-patrols.md, "On the phone"). Its 核实 tab lists the worker's verification
tasks of sensing alarms from `GET /api/v1/sensing/verifications/mine` and queues the answers the
same way (docs/sensing.md); the page only names those URLs — the grid capability does not import
sensing, and the tab stays hidden when the list answers 404 or 403.

Who may open it: grid workers (`domain.access.may_patrol`); everyone else gets the console's
403 page. What a worker sees is scoped by the patrol service behind the API: their own tasks
in their own grids only.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from zhiyun.domain.access import may_patrol
from zhiyun.web.app import STATIC_DIR
from zhiyun.web.deps import PageActor, PageForbidden, PageUser
from zhiyun.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE = "/grid/patrol"
SCOPE = "/grid/patrol"  # the page itself and everything below it (not only "/grid/patrol/")
WORKER = STATIC_DIR / "js" / "patrol-sw.js"
# What the service worker keeps for offline use besides the page: its own files, the console's
# files the page loads (base.html) and Leaflet. The version of the cache is a digest of the
# patrol files, so that a new release replaces the cached shell.
SHELL_ASSETS: tuple[str, ...] = (
    "/static/css/console.css",
    "/static/css/live.css",
    "/static/css/print.css",
    "/static/css/patrol.css",
    "/static/vendor/leaflet/leaflet.css",
    "/static/vendor/leaflet/leaflet.js",
    "/static/vendor/htmx/htmx.min.js",
    "/static/js/console.js",
    "/static/js/quick-replies.js",
    "/static/js/patrol.js",
)
VERSIONED = ("js/patrol.js", "js/patrol-sw.js", "css/patrol.css")
TEMPLATE = Path(__file__).parent / "templates" / "patrol" / "app.html"


def _patroller(actor: PageActor) -> None:
    if not may_patrol(actor):
        raise PageForbidden("巡查页面仅供网格员使用")


@lru_cache(maxsize=1)
def _worker_script(stamp: tuple[float, ...]) -> bytes:
    digest = hashlib.sha256()
    for name in VERSIONED:
        digest.update((STATIC_DIR / name).read_bytes())
    digest.update(Path(__file__).read_bytes())  # the shell list and the page's template change with it
    digest.update(TEMPLATE.read_bytes())
    source = WORKER.read_text(encoding="utf-8")
    source = source.replace('"__VERSION__"', json.dumps(digest.hexdigest()[:16]))
    source = source.replace('"__SHELL__"', json.dumps([PAGE, *SHELL_ASSETS]))
    return source.encode("utf-8")


def worker_script() -> bytes:
    """The service worker's source with its cache version and shell list filled in (read again
    when one of the files it is made of changes)."""
    files = [STATIC_DIR / name for name in VERSIONED] + [Path(__file__), TEMPLATE]
    return _worker_script(tuple(f.stat().st_mtime for f in files))


@router.get(PAGE, response_class=HTMLResponse)
def patrol_page(request: Request, user: PageUser, actor: PageActor) -> HTMLResponse:
    _patroller(actor)
    return render(
        request,
        "patrol/app.html",
        {"title": "巡查", "worker_id": user.id, "worker_name": user.display_name, "scope": SCOPE},
    )


@router.get(f"{PAGE}/sw.js")
def patrol_service_worker() -> Response:
    """The page's service worker. It holds no data of anyone's (the same file for everyone), so
    it needs no session: a browser checking for a new version after the session ended must
    get the script, not a redirect to the login page (a redirect fails the update)."""
    return Response(
        worker_script(),
        media_type="text/javascript",
        headers={"Service-Worker-Allowed": SCOPE, "Cache-Control": "no-cache"},
    )


__all__ = ["router", "worker_script"]
