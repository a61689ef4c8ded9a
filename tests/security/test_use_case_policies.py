"""Every use case that changes something takes the acting principal and asks its policy first.

The services of `bootstrap.Services` are enumerated by introspection: each public method is
either read-only, plumbing (authentication, caches, building blocks that run inside another
use case's transaction, hooks) — both listed below with the reason — or a use case that
changes something. A new public method that is in neither list fails the first test, so no
mutating method can be added without an actor and a refusal to prove.

Each mutating use case is then called by principals its policy refuses (another unit's
handler, a dispatcher, a leader, an inspector, the system principal, a citizen — whichever
the policy says no to): it must raise PermissionDenied (403), or NotFound (404) where the
principal may not even read the order, and leave every table and the attachment store as
they were. The principal the policy lets through is then let through, so that the refusal
is the policy's and not bad arguments. Database-independent: SQLite only.
"""

from __future__ import annotations

import dataclasses
import inspect
import io
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from tests import portal_support
from tests.e2e.harness import PNG
from tests.outlook_support import seed_history
from tests.sensing_support import SensingWorld, add_device, add_event
from tests.support import (
    ONLY_SQLITE,
    PN_BOX,
    SYNTHETIC_KEYWORDS,
    TEST_ADMIN,
    XB_BOX,
    District,
    build_small_district,
    footprint,
    grid_file,
    polygon,
    synthetic_messages,
)
from zhiyun.accounts.service import NewUser
from zhiyun.analytics.definitions import RateDefinitionService
from zhiyun.analytics.reports import ReportService
from zhiyun.assistant.service import AssistantService
from zhiyun.bootstrap import Services
from zhiyun.capabilities import installed
from zhiyun.catalog.responsibility import RuleInput
from zhiyun.classifier.model import TrainingData
from zhiyun.domain.access import Actor, Role
from zhiyun.domain.assistant import HandoverForm
from zhiyun.domain.calendar import LOCAL_TZ, local_date
from zhiyun.domain.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from zhiyun.domain.grid import WorkerKind
from zhiyun.domain.grid_items import Period
from zhiyun.domain.knowledge import ItemInput
from zhiyun.domain.patrol_visits import FreeReport, VisitSubmission
from zhiyun.domain.reports import ReportKind, last_complete
from zhiyun.domain.sensing_alarms import VerificationAnswer
from zhiyun.domain.sensing_devices import Device, DeviceStatus
from zhiyun.domain.sensing_scenes import SceneSource
from zhiyun.domain.taxonomy import Category
from zhiyun.domain.workorder import (
    Close,
    Dispatch,
    OrderType,
    Reply,
    ResolveOnIntake,
    Satisfaction,
    Sign,
    WorkflowPolicy,
)
from zhiyun.grid.hazards import GridHazardService, HazardReport
from zhiyun.grid.items_service import GridItemService, default_catalogue
from zhiyun.grid.objects_service import ManagedObjectService
from zhiyun.grid.patrol_figures import PatrolFiguresService
from zhiyun.grid.patrol_service import PatrolService
from zhiyun.grid.workers import GridWorkerService, NewPost
from zhiyun.hotline.service import Call, Outcome, SeatService
from zhiyun.hotspots.service import HotIssueService
from zhiyun.hotspots.tracker import HotIssueTracker
from zhiyun.kernel.capability import resolve
from zhiyun.knowledge.service import ImportRecord, KnowledgeService
from zhiyun.orders.service import NewOrder
from zhiyun.org.service import UnitRecord
from zhiyun.outlook.service import OutlookService
from zhiyun.portal.service import PortalService
from zhiyun.replies.service import QuickReplyInput, QuickReplyService, Scope
from zhiyun.sensing.devices import DeviceChanges, DeviceRegistry
from zhiyun.sensing.scenes import SceneCatalogue
from zhiyun.sensing.verification import VerificationService
from zhiyun.store.tables import WorkOrderRow

# --------------------------------------------------------------------------- the classification

READ_ONLY: dict[str, str] = {
    "hotline.caller_history": "the caller's orders the agent may read (may_take_calls, scope_clause)",
    "hotline.suggest": "suggestions for an unsaved draft; duplicates shown only if readable (may_take_calls)",
    "hotline.places": "place names of the gazetteer (may_take_calls)",
    "orders.allowed": "the actions the reader may take (reads, can_view)",
    "orders.get": "reads one order (can_view)",
    "pages.page": "the order page: one visibility check (orders.read_in) before any panel",
    "orders.notices": "the reader's unit's notices",
    "orders.returns_by_unit": "counts returns per unit (statistics)",
    "orders.transitions": "an order's audit trail (can_view)",
    "accounts.get_user": "reads a user (the faces ask may_administer_users first)",
    "accounts.list_tokens": "reads tokens (the faces ask: the user themself or an admin)",
    "accounts.list_users": "reads users (the faces ask may_administer_users)",
    "accounts.live_tokens_by_user": "reads tokens (the admin pages)",
    "accounts.user_by_name": "reads a user",
    "org.export_text": "reads the tree",
    "org.records": "reads the tree",
    "policy.add_workdays": "calendar arithmetic",
    "policy.calendar": "reads the calendar",
    "policy.known_years": "reads the calendar",
    "policy.overrides": "reads the calendar",
    "policy.time_limits": "reads the time limits",
    "policy.workflow_policy": "reads the workflow's numbers",
    "attachments.open": "reads a file of an order the reader may see",
    "geo.export_geojson": "reads the boundaries",
    "portal.categories": "the categories a citizen chooses from (reads the taxonomy)",
    "assistant.transcript": "the citizen's own conversation, by its unguessable id (may_use_portal)",
    "assistant.conversations": "小南's conversations, for staff (may_read_assistant)",
    "assistant.conversation": "one conversation's transcript, for staff (may_read_assistant)",
    "assistant.report": "小南's report, for staff (may_read_assistant)",
    "geo.export_grids": "reads the grids (geography: polygons and codes, no person's data)",
    "geo.grids": "reads the grids (geography: codes, villages and areas)",
    "grid_workers.visible_grids": "the grids the reader may see (domain.grid.visible_grid_ids)",
    "grid_workers.assigned_grids": "a worker's grids, as far as the reader may see them (visible_grid_ids)",
    "grid_workers.village_counts": "grid and worker counts of the villages the reader may see (villages_in_view)",
    "grid_objects.search": "the managed objects the reader may see (object_scope), a page of them",
    "grid_objects.get": "one managed object the reader may see (object_scope; NotFound otherwise)",
    "grid_objects.counts": "counts of the managed objects the reader may see, per grid or village",
    "grid_objects.map_objects": "the managed objects the reader may see in a map box",
    "grid_objects.geojson": "the managed objects the reader may see in a map box, as GeoJSON",
    "grid_objects.grid_outlines": "the outlines of the grids whose managed objects the reader may see (the map)",
    "grid_objects.villages_in_view": "the villages whose managed objects the reader may see (the page's filter)",
    "geo.locate": "locates a point or an address",
    "geo.locator": "builds the locator from the stored boundaries (a process cache)",
    "channels.get": "reads a channel (its registry row is created on first read)",
    "channels.channels": "reads the channels (their registry rows are created on first read)",
    "duplicates.candidates": "the possible duplicates the reader may see",
    "worklists.count": "counts what the reader may see",
    "worklists.counts": "counts the reader's queues",
    "worklists.explain": "the query plan of a list (diagnostics)",
    "worklists.export_rows": "exports what the reader may see",
    "worklists.map_points": "what the reader may see, on the map",
    "worklists.page": "lists what the reader may see (the API's order list and the console's)",
    "worklists.queues": "the reader's queues",
    "live.pulse": "counts the reader's queues (the worklists' own statements) in one query",
    "live.next_in_queue": "the next order of a list the reader may see (visible_row_in, worklists.page)",
    "dashboard.dashboard": "figures scoped to the reader (may_view_dashboard)",
    "dashboard.scope_of": "the reader's scope (may_view_dashboard)",
    "taxonomy.categories": "reads the taxonomy",
    "taxonomy.export_csv": "reads the taxonomy",
    "taxonomy.get": "reads a category",
    "taxonomy.history": "reads the change history",
    "taxonomy.taxonomy": "reads the taxonomy",
    "responsibility.export_csv": "reads the list",
    "responsibility.get": "reads a rule",
    "responsibility.history": "reads the change history",
    "responsibility.lists": "reads the lists (cached)",
    "responsibility.resolve": "applies the list to a case",
    "responsibility.rules": "reads the list",
    "dispatch.feedback": "reads the training feedback",
    "dispatch.suggestion": "the suggestion for an order the reader may see",
    "models.active": "the active model (a process cache)",
    "models.active_version": "reads the active version",
    "models.closed_orders": "reads training data",
    "models.load": "loads a stored model",
    "models.version": "reads a version",
    "models.versions": "reads the versions",
    "dispatch_policy.dispatch_policy": "reads the target accuracy of automatic dispatch (a setting)",
    "dispatch_policy.overview": "the active model's figures and the thresholds targets give (may_manage_models)",
    "replies.usable": "the quick replies the reader may insert (may_use_quick_replies, their own), "
    "filled for an order they may read (can_view)",
    "replies.get": "reads one quick reply the reader may read (404 otherwise)",
    "replies.expand": "fills a quick reply the reader may read for an order they may read",
    "replies.personal": "the reader's own quick replies (may_manage_own_quick_replies)",
    "replies.unit_set": "a unit's quick replies, for whoever keeps them (may_manage_quick_replies)",
    "replies.kept_sets": "the quick-reply sets the reader keeps (may_manage_quick_replies)",
    "replies.kept_units": "the units whose quick replies the reader keeps",
    "grid_patrol.today": "a grid worker's own tasks (may_patrol; tasks of their own user id only)",
    "grid_patrol.visit": "the receipt of one's own submission (may_patrol; NotFound for anyone else's)",
    "grid_patrol.plan_recorded": "the figures of a month's saved plan (what the dashboard shows)",
    "grid_ledger.ledger": "a ledger of the visits in the grids the reader may see "
    "(may_read_patrol_ledger, visible_grid_ids; NotFound for an object out of sight)",
    "grid_ledger.export": "the same ledger, written as XLSX to the caller's file (no table changes)",
    "grid_ledger.choices": "the villages, grids and items the reader's ledgers may be about (visible_grid_ids)",
    "grid_patrol_figures.figures": "a month's patrol figures in the grids the reader may see "
    "(may_read_patrol_ledger, visible_grid_ids)",
    "grid_patrol_figures.kept": "the same figures, kept a few minutes per scope (may_read_patrol_ledger)",
    "grid_patrol_figures.district_snapshot": "the district's figures as the worker last counted them "
    "(the dashboard panel shows them to district-wide readers only)",
    "analytics_definitions.current": "reads the rate definition in force (may_view_dashboard or may_define_rates)",
    "analytics_definitions.history": "reads the rate definition's versions (the same policies)",
    "analytics_reports.reports": "lists the reports of the units may_read_reports_of lets the reader see",
    "analytics_reports.report": "reads one report (may_read_reports_of its unit; another unit's is NotFound)",
    "analytics_reports.subscriptions": "reads the reader's own subscriptions",
    "hotspots_service.issues": "lists the hot issues the reader sees (may_view_dashboard; a dispatcher: their subtree's)",
    "hotspots_service.detail": "reads one hot issue and the orders the reader may see (can_view, order by order)",
    "sensing_scenes.scenes": "reads the scene catalogue (reference data: alarms are judged by it)",
    "sensing_scenes.get": "reads one version of a scene",
    "sensing_scenes.export_json": "reads the scene catalogue",
    "sensing_devices.devices": "the devices the reader may read (may_read_devices, device_scope), a page of them",
    "sensing_devices.get": "one device the reader may read (may_read_devices, device_scope; NotFound otherwise)",
    "sensing_devices.export_rows": "the devices the reader may read, as rows (may_read_devices, device_scope)",
    "sensing_devices.export_csv": "the devices the reader may read, as CSV (may_read_devices, device_scope)",
    "sensing_devices.export_xlsx": "the devices the reader may read, as XLSX (may_read_devices, device_scope)",
    "sensing_verification.mine": "a grid worker's own pending tasks and those nobody owes in their grids (may_answer)",
    "sensing_verification.get": "one task the reader may answer (may_answer; NotFound otherwise)",
    "sensing_verification.pending_for_unit": "the tasks of the villages under a dispatcher's unit "
    "(may_dispatch_verifications)",
    "sensing_verification.evidence": "an evidence image of an event the reader may see (may_see_event; NotFound otherwise)",
    "sensing_figures.figures": "sensing's figures of the villages the reader sees "
    "(may_read_sensing, sensing_villages; NotFound for a town or village out of sight)",
    "sensing_figures.kept": "the same figures of the last 30 days, kept a few minutes per scope (may_read_sensing)",
    "sensing_figures.events": "the events of the villages the reader sees (may_read_sensing, sensing_villages)",
    "sensing_figures.event": "one event the reader sees (may_read_sensing, sensing_villages; NotFound otherwise)",
    "sensing_figures.choices": "the statuses, scenes and places the reader's event filters offer (may_read_sensing)",
    "sensing_figures.period": "checks a period of days (no data read)",
    "outlook.warnings": "the warnings of the towns the reader sees (may_read_outlook, may_see_area)",
    "outlook.warning": "one warning the reader sees (may_see_area; NotFound otherwise)",
    "outlook.forecasts": "the next four weeks per category and town the reader sees (may_see_area)",
    "outlook.seasons": "the seasonal calendar of the towns the reader sees (may_read_outlook)",
    "outlook.history": "the daily counts of the towns the reader sees (may_read_outlook; the backtest)",
    "grid_items.items": "reads the grid items catalogue (reference data: planners and patrol pages read it)",
    "grid_items.get": "reads one version of a grid item",
    "grid_items.versions": "reads a grid item's version history",
    "grid_items.export_json": "reads the grid items catalogue",
    "grid_items.export_xlsx": "reads the grid items catalogue",
    "grid_hazards.hazards_of_order": "the hazards of an order the reader may read (visible_row_in)",
    "grid_hazards.local_resolution": "就地解决 figures of the villages the reader may see (villages_in_view)",
    "knowledge_service.items": "the knowledge items the reader may read (may_read_knowledge; drafts: may_keep_knowledge)",
    "knowledge_service.get": "one knowledge item the reader may read (NotFound otherwise; history for keepers)",
    "knowledge_search.ask": "public by design (the citizens' assistant): published items valid today only, "
    "and only what they say (title, answer, source, department)",
    "knowledge_search.stamp": "the knowledge base's version stamp (the id of its last change)",
}

PLUMBING: dict[str, str] = {
    "orders.act_in": "a building block inside another use case's transaction: apply() asks the life cycle",
    "orders.register_in": "a building block inside another use case's transaction: asks may_register_at",
    "orders.after_register_in": "runs the hooks of a registration that already asked",
    "orders.record_in": "a building block inside another use case's transaction: asks the event's "
    "policy (may_record_system_event, may_decide_duplicate, may_change_category, may_attach)",
    "orders.can_read_in": "a visibility check inside another use case",
    "orders.detail_in": "a read inside another use case",
    "orders.visible_row_in": "a read inside another use case (can_view)",
    "orders.read_in": "the order page's read inside its session: the visibility check itself",
    "duplicates.candidates_in": "a panel's read, after the page checked visibility (each candidate checked too)",
    "dispatch.suggestion_in": "a panel's read, after the page checked visibility",
    "responsibility.get_in": "a panel's read of a rule (reference data)",
    "worklists.statement": "the lists' one statement, scoped by scope_clause, for reads that compose it (live counts)",
    "intake.register_by_hand_in": "a building block inside the seat's transaction: register_in asks may_register_at",
    "intake.accept_in": "a building block inside another use case's transaction (a grid worker's report): "
    "the person registers, register_in asks may_register_at",
    "attachments.add_in": "a building block inside another use case's transaction: asks may_upload and may_attach",
    "attachments.add_to_report_in": "a building block inside the portal report's registration: asks "
    "may_attach_to_report (a citizen, the order still at intake)",
    "grid_hazards.report_in": "a building block inside the patrol submission's transaction: asks "
    "may_report_in_grid (the worker's posts), then intake's registration asks may_register_at",
    "grid_hazards.recheck_in": "a building block inside the patrol submission's transaction: asks may_recheck "
    "(the worker's posts; another grid's hazard is NotFound); `recheck` is the use case",
    "grid_hazards.open_hazards_in": "a read inside the patrol submission's session, of the objects it scoped",
    "grid_hazards.hazards_of_order_in": "a panel's read, after the page checked visibility",
    "grid_hazards.local_resolution_in": "figures inside a session whose caller scoped the villages (villages_in_view)",
    "sensing_devices.heard_in": "a building block inside the alarm consumer's and the heartbeat webhook's "
    "transaction (whose caller authenticated the channel): moves last_seen_at, no person's data",
    "sensing_pipeline.take": "a channel's alarms: its caller authenticated the iot channel's key (the webhook, "
    "before the body is read) or is the consumer process holding the broker's credentials; it answers only "
    "the alarms' own receipts",
    "sensing_pipeline.store": "the same, without raising: the consumer raises after acknowledging the batch",
    "sensing_pipeline.raise_due": "the platform raises events whose condition its stored alarms met (each event "
    "locked; a task, or an order registered as the system principal through intake, which asks its policies)",
    "sensing_scenes.current_in": "reference data (the scene catalogue) inside the pipeline's transaction",
    "sensing_pipeline.prepare": "the consumer process loading reference data (scenes, units, calendar, the word "
    "segmenter) before it takes alarms: reads nothing of a person, changes nothing",
    "sensing_raising.prepare": "the same, for raising (reference data and the word segmenter)",
    "sensing_raising.raise_in": "a building block inside the alarm pipeline's transaction: the platform raises "
    "an event whose condition is met (a task, or an order registered as the system principal)",
    "intake.duplicate_candidates": "a read inside the seat's suggestion, which filters by can_view",
    "auto_dispatch.suggest": "a read inside the seat's suggestion (no order, no person's data)",
    "reference.get": "the reference-data cache's read (org tree, calendar, limits) inside a session",
    "reference.clear": "drops the cache after a change that a use case already checked",
    "channels.names_in": "a panel's read of the channels' names (reference data)",
    "pages.add": "composition: registers a panel at start-up",
    "accounts.authenticate": "logging in: the password is the principal",
    "accounts.open_session": "logging in: a session for the user just authenticated",
    "accounts.close_session": "logging out: the session's own secret",
    "accounts.user_for_session": "authentication (a session secret)",
    "accounts.user_for_token": "authentication (a bearer token; notes its use at most once a minute)",
    "channels.authenticate": "authentication (a channel key)",
    "channels.check_key": "authentication (a channel key)",
    "channels.key_passed": "authentication (a channel key, cached)",
    "channels.forget_keys": "empties this process's key cache",
    "intake.admit": "authentication (a channel key)",
    "intake.admitted": "authentication (a channel key)",
    "intake.accept": "a channel's message, authenticated by its key: acts as the system principal",
    "intake.receive": "a channel's message, authenticated by its key: acts as the system principal",
    "geo.clear": "empties this process's locator cache",
    "grid_objects.clear": "empties this process's cache of the grids (and the bulk locator)",
    "dashboard.wait_for_refresh": "waits for a rebuild in the background",
    "auto_dispatch.after_act": "a hook inside an order use case that already asked",
    "auto_dispatch.after_register": "a hook inside a registration: dispatches as the system principal",
    "auto_dispatch.before_register": "a hook inside a registration that already asked",
    "auto_dispatch.install": "wiring, when the services are built",
    "knowledge_search.index": "builds this process's retrieval index of the published items (a cache)",
    "knowledge_search.wait_for_rebuild": "waits for a rebuild of the retrieval index in the background",
    "dispatch_policy.calibrated_threshold": "automatic dispatch's question inside a registration that "
    "already asked (the model's calibration and the cached target: no order, no person's data)",
    "outlook.outlook_in": "a report's section inside the report's transaction: the report's use case asked "
    "may_read_reports_of for its unit, which chose the towns",
}


def _return_type(factory: Callable[..., Any]) -> type:
    # factories name Services only for type checking: supply it
    hints = typing.get_type_hints(factory, globalns={**factory.__globals__, "Services": Services})
    returned: type = hints["return"]
    return returned


def _service_name(capability: str, ref: str, services: int) -> str:
    """A capability's one service by the capability's name; one of several by its module too
    (zhiyun.grid.items_service:build → grid_items)."""
    if services == 1:
        return capability
    module = ref.split(":")[0].rsplit(".", 1)[-1].removesuffix("_service")
    return f"{capability}_{module}"


def _service_types() -> dict[str, type]:
    """The core services (the fields of Services) and those the capabilities add (by the
    return type of their factories), named by field or by capability."""
    hints = typing.get_type_hints(Services)
    core = {
        f.name: hints[f.name]
        for f in dataclasses.fields(Services)
        if f.name not in ("db", "settings", "clock", "added")
    }
    added = {
        _service_name(capability.name, ref, len(capability.services)): _return_type(resolve(ref))
        for capability in installed()
        for ref in capability.services
    }
    return core | added


def _public_methods() -> dict[str, Callable[..., Any]]:
    return {
        f"{name}.{method}": function
        for name, cls in _service_types().items()
        for method, function in inspect.getmembers(cls, inspect.isfunction)
        if not method.startswith("_")
    }


# --------------------------------------------------------------------------- the world


@dataclass
class World:
    """The small district, and on demand what a use case needs to act on."""

    services: Services
    district: District
    tmp: Path
    made: dict[str, Any] = field(default_factory=dict)

    def actor(self, name: str) -> Actor:
        if name == "system":
            return Actor.system("渠道接口")
        if name == "citizen":  # with the id of a staff account: a citizen is never that user
            return Actor.citizen(self.district.actors["xiabei"].user_id, "市民")
        if name in self.made.get("grid_workers", {}):
            return self.made["grid_workers"][name]
        return self.district.actors[name]

    def user_id(self, name: str) -> int:
        user_id = self.district.actors[name].user_id
        assert user_id is not None
        return user_id

    def order(self) -> int:
        """An order signed for at 夏北社区 (GC-XB): its handler xiabei holds it, 桂城 dispatched it."""
        if "order" not in self.made:
            s, a, u = self.services, self.district.actors, self.district.units
            order = s.orders.register(
                a["district"], NewOrder(title="路灯不亮", content="夏北路路灯不亮")
            ).order
            key = order.summary.id
            s.orders.act(a["district"], key, Dispatch(target_unit_id=u["GC"], note="请办理"))
            s.orders.act(a["town"], key, Sign())
            s.orders.act(a["town"], key, Dispatch(target_unit_id=u["GC-XB"], note="请办理"))
            s.orders.act(a["xiabei"], key, Sign())
            self.made["order"] = key
        return int(self.made["order"])

    def flagged(self) -> int:
        """The order above, flagged as a possible duplicate."""
        key = self.order()
        with self.services.db.transaction() as session:
            row = session.get(WorkOrderRow, key)
            assert row is not None
            row.possible_duplicate = True
        return key

    def taxonomy(self) -> None:
        if "taxonomy" not in self.made:
            self.services.taxonomy.ensure_default(TEST_ADMIN)
            self.services.taxonomy.save(TEST_ADMIN, Category("ZZ", "测试分类"), create=True)
            self.made["taxonomy"] = True

    def rule(self) -> int:
        self.taxonomy()
        if "rule" not in self.made:
            view = self.services.responsibility.create(
                TEST_ADMIN, RuleInput(unit_code="GC-CG", category_code="CG01")
            )
            self.made["rule"] = view.rule.id
        return int(self.made["rule"])

    def token(self, owner: str = "xiabei") -> int:
        issued = self.services.accounts.issue_token(TEST_ADMIN, self.user_id(owner), "脚本")
        return self.services.accounts.list_tokens(issued.user.id)[0].id

    def key(self) -> None:
        self.services.channels.issue_key(TEST_ADMIN, "12345")

    def model(self) -> int:
        return self.services.models.train(
            TEST_ADMIN, _training(), source="test", folds=3, activate=False
        ).version

    def training_file(self) -> Path:
        path = self.tmp / "labelled.csv"
        rows = [
            "title,label",
            *(f"{title} {content},{label}" for title, content, label, _ in synthetic_messages(12)),
        ]
        path.write_text("\n".join(rows), encoding="utf-8")
        return path

    def knowledge_item(self) -> int:
        """A draft knowledge item kept by 桂城街道 (GC)."""
        if "knowledge_item" not in self.made:
            made = self.services.get(KnowledgeService).create(
                TEST_ADMIN, ItemInput("结婚登记", "带身份证"), unit_id=self.district.units["GC"]
            )
            self.made["knowledge_item"] = made.id
        return int(self.made["knowledge_item"])

    def answered_consultation(self) -> None:
        """A closed consultation order of the district center whose reply answered the question."""
        s, a = self.services, self.district.actors
        order = s.orders.register(
            a["district"],
            NewOrder(title="医保怎么补缴", content="医保断缴怎么补", order_type=OrderType.CONSULT),
        ).order
        s.orders.act(a["district"], order.summary.id, ResolveOnIntake(note="带身份证到社保窗口办理补缴。"))
        s.orders.act(a["district"], order.summary.id, Close())

    def quick_reply(self, scope: Scope = Scope.UNIT) -> int:
        """A quick reply of 夏北社区's set (GC-XB), or of its handler xiabei's own."""
        key = f"quick_reply_{scope.value}"
        if key not in self.made:
            replies = self.services.get(QuickReplyService)
            data = QuickReplyInput("回访", "{市民称呼}您好")
            if scope is Scope.UNIT:
                made = replies.create(TEST_ADMIN, scope, data, unit_id=self.district.units["GC-XB"])
            else:
                made = replies.create(self.actor("xiabei"), scope, data)
            self.made[key] = made.id
        return int(self.made[key])

    def grid_worker(self) -> None:
        """A grid worker's account at 夏北社区 (GC-XB), not yet posted."""
        if "grid_worker" not in self.made:
            self.services.accounts.add_user(
                TEST_ADMIN,
                username="gridder",
                password="grid-password-1",
                role=Role.GRID_WORKER,
                unit_code="GC-XB",
            )
            self.made["grid_worker"] = True

    def patroller(self) -> None:
        """The grid worker's account (`grid_worker`), named `gridder` among the actors."""
        self.grid_worker()
        user = self.services.accounts.user_by_name("gridder")
        self.district.actors["gridder"] = user.actor()

    def scenes(self) -> SceneCatalogue:
        """The default scene catalogue, installed over the default taxonomy."""
        catalogue = self.services.get(SceneCatalogue)
        if "scenes" not in self.made:
            taxonomy = (
                resources.files("zhiyun.catalog").joinpath("data/taxonomy.csv").read_text(encoding="utf-8")
            )
            self.services.taxonomy.import_csv(TEST_ADMIN, taxonomy)
            catalogue.ensure_default(TEST_ADMIN)
            self.made["scenes"] = True
        return catalogue

    def device(self) -> None:
        """The scene catalogue and one camera of the registry, CAM-POLICY-1."""
        self.scenes()
        if "device" not in self.made:
            self.services.get(DeviceRegistry).register(
                TEST_ADMIN, Device("CAM-POLICY-1", "政策测试摄像头", SceneSource.CAMERA, heartbeat_s=300)
            )
            self.made["device"] = True

    def grid_items(self) -> GridItemService:
        """The default grid items catalogue, installed."""
        items = self.services.get(GridItemService)
        if "grid_items" not in self.made:
            items.ensure_default(TEST_ADMIN)
            self.made["grid_items"] = True
        return items

    def hazard(self) -> tuple[int, int]:
        """A hazard grid worker `gw_xb` reported in 夏北社区's first grid (grid workers `gw_xb` and
        `gw_pn`, of 平南社区's first grid, posted; the villages' boundaries and grids imported):
        (hazard id, order id)."""
        if "hazard" not in self.made:
            s = self.services
            s.geo.import_geojson(
                TEST_ADMIN,
                {
                    "type": "FeatureCollection",
                    "features": [
                        {"type": "Feature", "properties": {"code": "GC-XB"}, "geometry": polygon(XB_BOX)},
                        {"type": "Feature", "properties": {"code": "GC-PN"}, "geometry": polygon(PN_BOX)},
                    ],
                },
            )
            s.geo.import_grids(TEST_ADMIN, grid_file())
            workers: dict[str, Actor] = {}
            for username, village, grid in (
                ("gw_xb", "GC-XB", "440605001001001"),
                ("gw_pn", "GC-PN", "440605001002001"),
            ):
                s.accounts.add_user(
                    TEST_ADMIN,
                    username=username,
                    password="grid-password-1",
                    role=Role.GRID_WORKER,
                    unit_code=village,
                )
                s.get(GridWorkerService).add_posts(
                    TEST_ADMIN, [NewPost(username, village, WorkerKind.FULL_TIME, grid)]
                )
                workers[username] = s.accounts.user_by_name(username).actor()
            self.made["grid_workers"] = workers
            grid_id = next(g.id for g in s.geo.grids() if g.code == "440605001001001")
            report = HazardReport(
                key="S1:free:1",
                worker=workers["gw_xb"],
                title="路边垃圾堆放",
                description="垃圾堆放多日",
                grid_id=grid_id,
            )
            with s.db.transaction() as session:
                found = s.get(GridHazardService).report_in(session, report, s.clock())
            self.made["hazard"] = (found.hazard_id, found.order_id)
        hazard: tuple[int, int] = self.made["hazard"]
        return hazard

    def verification_task(self) -> int:
        """A verification task of a 垃圾满溢 event of a camera in 夏北社区's first grid, owed by
        `gw_xb` (the grids, workers and scene catalogue of `hazard` and `scenes`): its id."""
        if "verification_task" not in self.made:
            self.hazard()
            self.scenes()
            workers = self.made["grid_workers"]
            grids = {g.code: g.id for g in self.services.geo.grids()}
            world = SensingWorld(
                self.services,
                self.district,
                workers["gw_xb"],
                workers["gw_xb"],
                workers["gw_pn"],
                self.district.actors["town"],
                grids,
            )
            event = world.raise_event(add_event(world, add_device(world)))
            self.made["verification_task"] = world.verification().mine(workers["gw_xb"])[0].id
            assert world.event(event.id).status == "verifying"
        return int(self.made["verification_task"])

    def portal_report(self) -> str:
        """A citizen's report on the portal (phone 13812345678): its order's number."""
        if "portal_report" not in self.made:
            self.made["portal_report"] = portal_support.report(self.services)
        return str(self.made["portal_report"])

    def portal_rating_due(self) -> str:
        """A portal report whose reply waits for its callback: its number."""
        if "portal_rating_due" not in self.made:
            number = portal_support.report(self.services)
            portal_support.bring_to_callback(self.services, self.district, number)
            self.made["portal_rating_due"] = number
        return str(self.made["portal_rating_due"])

    def warning(self) -> int:
        """A warning (预警) of 桂城街道's 噪音扰民, raised by detection over a made-up history with
        yesterday's surge (tests/outlook_support.py): its id."""
        if "warning" not in self.made:
            seed_history(self.services, self.district)
            outlook = self.services.get(OutlookService)
            outlook.detect(Actor.system("预警检测"))
            self.made["warning"] = next(w.id for w in outlook.warnings(TEST_ADMIN) if w.window == "day")
        return int(self.made["warning"])

    def objects_file(self) -> Path:
        """A file of managed objects (one shop of 夏北社区; the small district has no grids: it
        is stored in none)."""
        path = self.tmp / "objects.csv"
        path.write_text(
            "编号,类型,名称,地址,经度,纬度\nP-1,三小场所,好又多便利店,夏北路 1 号,113.105,23.015\n",
            encoding="utf-8",
        )
        return path

    def units_file(self) -> Path:
        path = self.tmp / "units.csv"
        path.write_text("code,name,kind,parent_code,aliases\nGC-NEW,新社区,village,GC,\n", encoding="utf-8")
        return path


def _training() -> TrainingData:
    rows = synthetic_messages(12, 3)
    return TrainingData(
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows]
    )


def _grid_square(lat: float, lon: float, code: str, village: str) -> dict[str, Any]:
    data = _square(lat, lon, code)
    data["features"][0]["properties"]["village"] = village
    return data


def _square(lat: float, lon: float, code: str) -> dict[str, Any]:
    ring = [[lon, lat], [lon + 0.01, lat], [lon + 0.01, lat + 0.01], [lon, lat + 0.01], [lon, lat]]
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": code},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        ],
    }


def hot_issue(world: World) -> int:
    """A hot issue of 桂城 (three callers about one mixing plant), ranked by the worker's turn."""
    from zhiyun.domain.principals import SCHEDULED_JOBS
    from zhiyun.orders.service import NewOrder as Order

    town = world.district.actors["town"]
    for n, title in enumerate(
        ("丽园小区搅拌站夜间噪音扰民", "投诉丽园小区附近搅拌站噪音", "丽园小区搅拌站深夜施工噪音")
    ):
        world.services.orders.register(
            town,
            Order(
                title=title, content=f"{title}，影响休息。", citizen_phone=f"1380000000{n}", channel="12345"
            ),
        )
    world.services.get(HotIssueTracker).refresh(SCHEDULED_JOBS)
    (issue,) = world.services.get(HotIssueService).issues(world.district.actors["leader"])
    return issue.id


# --------------------------------------------------------------------------- the cases

STAFF = ("town", "yanbu", "leader", "inspector")
NOT_ADMINS = (*STAFF, "system", "citizen")  # everyone but an admin
NOT_SYSTEM_JOBS = (*STAFF, "citizen")  # the system and admins run these


@dataclass(frozen=True)
class Case:
    """One mutating use case: how to set up for it, how to call it, who is refused, who is not."""

    method: str
    call: Callable[[Services, Any, Actor], object]
    refused: tuple[str, ...]
    allowed: str = "admin"
    prepare: Callable[[World], Any] = lambda world: None
    allowed_raises: type[DomainError] | None = None  # a rule past the policy (an empty database, say)
    label: str = ""

    @property
    def id(self) -> str:
        return self.method + (f"[{self.label}]" if self.label else "")


CASES: tuple[Case, ...] = (
    # -- early warning 预警
    Case(
        "outlook.detect",
        lambda s, ctx, who: s.get(OutlookService).detect(who),
        ("district", "town", "leader", "inspector", "xiabei", "citizen"),
        allowed="admin",
    ),
    Case(
        "outlook.watch_hot_issues",
        lambda s, ctx, who: s.get(OutlookService).watch_hot_issues(who),
        ("district", "town", "leader", "inspector", "xiabei", "citizen"),
        allowed="admin",
    ),
    Case(
        "outlook.acknowledge",
        lambda s, wid, who: s.get(OutlookService).acknowledge(who, wid),
        ("town2", "xiabei", "inspector", "system", "citizen"),
        allowed="town",
        prepare=World.warning,
    ),
    Case(
        "outlook.dismiss",
        lambda s, wid, who: s.get(OutlookService).dismiss(who, wid, "临时现象"),
        ("town2", "yanbu", "inspector", "system", "citizen"),
        allowed="leader",
        prepare=World.warning,
    ),
    Case(
        "outlook.make_order",
        lambda s, wid, who: s.get(OutlookService).make_order(who, wid),
        ("town2", "xiabei", "leader", "inspector", "system", "citizen"),
        allowed="town",
        prepare=World.warning,
    ),
    # -- orders
    Case(
        "orders.register",
        lambda s, ctx, who: s.orders.register(who, NewOrder(title="来电", content="咨询")),
        ("yanbu", "xiabei", "leader", "inspector", "citizen"),
        allowed="town",
    ),
    Case(
        "orders.act",
        lambda s, key, who: s.orders.act(who, key, Reply(note="已处理")),
        ("yanbu", "town", "leader", "inspector", "system", "citizen", "pingnan"),
        allowed="xiabei",
        prepare=World.order,
    ),
    Case(
        "hotline.register_call",
        lambda s, ctx, who: s.get(SeatService).register_call(
            who,
            Call(
                NewOrder(title="来电咨询", content="咨询办事地点", citizen_phone="13800001111"), Outcome.HOLD
            ),
        ),
        ("xiabei", "yanbu", "leader", "inspector", "system", "citizen"),
        allowed="agent",
    ),
    Case(
        "hotline.repeat_call",
        lambda s, key, who: s.get(SeatService).repeat_call(who, key, "又来电催问"),
        ("xiabei", "leader", "inspector", "system", "citizen", "town2"),
        allowed="town_agent",
        prepare=World.order,
    ),
    Case(
        "attachments.add",
        lambda s, key, who: s.attachments.add(who, key, "现场.png", io.BytesIO(PNG)),
        ("yanbu", "pingnan", "leader", "system", "citizen"),
        allowed="xiabei",
        prepare=World.order,
    ),
    Case(
        "duplicates.decide",
        lambda s, key, who: s.duplicates.decide(who, key, merge_into=None, note="不是重复件"),
        ("leader", "xiabei", "yanbu", "town2", "system", "citizen"),
        allowed="town",
        prepare=World.flagged,
    ),
    Case(
        "dispatch.change_category",
        lambda s, key, who: s.dispatch.change_category(who, key, "CG01"),
        ("leader", "xiabei", "inspector", "yanbu", "town2", "system", "citizen"),
        allowed="town",
        prepare=lambda w: (w.taxonomy(), w.order())[1],
    ),
    # -- administration
    Case(
        "org.import_records",
        lambda s, ctx, who: s.org.import_records(who, [UnitRecord("GC-NEW", "新社区", "village", "GC")]),
        NOT_ADMINS,
    ),
    Case(
        "org.import_file",
        lambda s, path, who: s.org.import_file(who, path),
        NOT_ADMINS,
        prepare=World.units_file,
    ),
    Case(
        "policy.set_day",
        lambda s, ctx, who: s.policy.set_day(who, date(2026, 12, 31), "holiday", "调休"),
        NOT_ADMINS,
    ),
    Case("policy.confirm_year", lambda s, ctx, who: s.policy.confirm_year(who, 2027), NOT_ADMINS),
    Case(
        "policy.set_time_limit",
        lambda s, ctx, who: s.policy.set_time_limit(who, "help", "normal", (2, "workdays"), (5, "workdays")),
        NOT_ADMINS,
    ),
    Case(
        "policy.set_workflow_policy",
        lambda s, ctx, who: s.policy.set_workflow_policy(who, WorkflowPolicy(max_extensions=3)),
        NOT_ADMINS,
    ),
    Case(
        "channels.configure",
        lambda s, ctx, who: s.channels.configure(who, "12345", enabled=False),
        NOT_ADMINS,
    ),
    Case("channels.issue_key", lambda s, ctx, who: s.channels.issue_key(who, "12345"), NOT_ADMINS),
    Case(
        "channels.revoke_keys",
        lambda s, ctx, who: s.channels.revoke_keys(who, "12345"),
        NOT_ADMINS,
        prepare=World.key,
    ),
    Case(
        "accounts.add_user",
        lambda s, ctx, who: s.accounts.add_user(
            who, username="newbie", password="newbie-password-1", role="handler", unit_code="GC-XB"
        ),
        NOT_ADMINS,
    ),
    Case("accounts.set_active", lambda s, ctx, who: s.accounts.set_active(who, "xiabei", False), NOT_ADMINS),
    Case(
        "accounts.set_password",
        lambda s, ctx, who: s.accounts.set_password(who, "xiabei", "another-password-1"),
        ("town", "yanbu", "leader", "inspector", "system", "citizen"),
        allowed="xiabei",
        label="oneself",
    ),
    Case(
        "accounts.set_password",
        lambda s, ctx, who: s.accounts.set_password(who, "xiabei", "another-password-1"),
        (),
        label="an admin",
    ),
    Case(
        "accounts.set_password",
        lambda s, ctx, who: s.accounts.set_password(who, "nobody", "another-password-1"),
        ("town", "system", "citizen"),
        allowed_raises=NotFound,
        label="nobody's: no hint to non-admins",
    ),
    Case(
        "accounts.issue_token",
        lambda s, user_id, who: s.accounts.issue_token(who, user_id, "脚本"),
        ("town", "yanbu", "leader", "inspector", "system", "citizen"),
        allowed="xiabei",
        prepare=lambda w: w.user_id("xiabei"),
    ),
    Case(
        "accounts.revoke_token",
        lambda s, ids, who: s.accounts.revoke_token(who, *ids),
        ("town", "yanbu", "leader", "inspector", "system", "citizen"),
        allowed="xiabei",
        prepare=lambda w: (w.user_id("xiabei"), w.token("xiabei")),
    ),
    Case(
        "accounts.revoke_all_tokens",
        lambda s, user_id, who: s.accounts.revoke_all_tokens(who, user_id),
        ("town", "yanbu", "leader", "inspector", "system", "citizen"),
        prepare=lambda w: (w.token("xiabei"), w.user_id("xiabei"))[1],
    ),
    Case("taxonomy.ensure_default", lambda s, ctx, who: s.taxonomy.ensure_default(who), NOT_ADMINS),
    Case(
        "taxonomy.import_categories",
        lambda s, ctx, who: s.taxonomy.import_categories(who, [Category("ZZ2", "测试二")]),
        NOT_ADMINS,
    ),
    Case(
        "taxonomy.import_csv",
        lambda s, ctx, who: s.taxonomy.import_csv(who, "code,name\nZZ3,测试三\n"),
        NOT_ADMINS,
    ),
    Case(
        "taxonomy.save",
        lambda s, ctx, who: s.taxonomy.save(who, Category("ZZ4", "测试四"), create=True),
        NOT_ADMINS,
        prepare=World.taxonomy,
    ),
    Case(
        "taxonomy.delete",
        lambda s, ctx, who: s.taxonomy.delete(who, "ZZ"),
        NOT_ADMINS,
        prepare=World.taxonomy,
    ),
    Case(
        "responsibility.create",
        lambda s, ctx, who: s.responsibility.create(who, RuleInput(unit_code="GC-CG", category_code="CG01")),
        NOT_ADMINS,
        prepare=World.taxonomy,
    ),
    Case(
        "responsibility.update",
        lambda s, rule_id, who: s.responsibility.update(
            who, rule_id, RuleInput(unit_code="GC", category_code="CG01")
        ),
        NOT_ADMINS,
        prepare=World.rule,
    ),
    Case(
        "responsibility.delete",
        lambda s, rule_id, who: s.responsibility.delete(who, rule_id),
        NOT_ADMINS,
        prepare=World.rule,
    ),
    Case(
        "responsibility.import_rules",
        lambda s, ctx, who: s.responsibility.import_rules(
            who, [(None, RuleInput(unit_code="DL", category_code="CG01"))]
        ),
        NOT_ADMINS,
        prepare=World.taxonomy,
    ),
    Case(
        "responsibility.import_csv",
        lambda s, text, who: s.responsibility.import_csv(who, text),
        NOT_ADMINS,
        prepare=lambda w: (w.rule(), w.services.responsibility.export_csv())[1],
    ),
    Case(
        "geo.import_geojson",
        lambda s, ctx, who: s.geo.import_geojson(who, _square(23.04, 113.14, "GC-XB")),
        NOT_ADMINS,
    ),
    Case(
        "geo.import_grids",
        lambda s, ctx, who: s.geo.import_grids(who, _grid_square(23.04, 113.14, "440605001001001", "GC-XB")),
        NOT_ADMINS,
    ),
    Case(
        "accounts.add_users",
        lambda s, ctx, who: s.accounts.add_users(
            who,
            [NewUser("grid_a", Role.GRID_WORKER, "GC-XB"), NewUser("grid_b", Role.GRID_WORKER, "GC-XB")],
            password_hash=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("grid-password-1"),
        ),
        NOT_ADMINS,
    ),
    Case(
        "grid_workers.add_posts",
        lambda s, ctx, who: s.get(GridWorkerService).add_posts(
            who, [NewPost("gridder", "GC-XB", WorkerKind.CHIEF)]
        ),
        NOT_ADMINS,
        prepare=World.grid_worker,
    ),
    Case(
        "grid_objects.import_file",
        lambda s, path, who: s.get(ManagedObjectService).import_file(who, path),
        NOT_ADMINS,
        prepare=World.objects_file,
    ),
    Case(
        "grid_objects.import_file",
        lambda s, path, who: s.get(ManagedObjectService).import_file(who, path, dry_run=True),
        NOT_ADMINS,
        prepare=World.objects_file,
        label="a dry run",
    ),
    Case(
        "models.train",
        lambda s, ctx, who: s.models.train(who, _training(), source="test", folds=3),
        NOT_SYSTEM_JOBS,
        allowed="system",
        label="a scheduled run",
    ),
    Case(
        "models.train",
        lambda s, ctx, who: s.models.train(who, _training(), source="test", folds=3, activate=True),
        NOT_ADMINS,
        label="and activate it",
    ),
    Case(
        "models.train_from_db",
        lambda s, ctx, who: s.models.train_from_db(who, folds=3),
        NOT_SYSTEM_JOBS,
        allowed="system",
        allowed_raises=ValidationFailed,  # no closed orders yet: refused by the data, past the policy
    ),
    Case(
        "models.train_from_file",
        lambda s, path, who: s.models.train_from_file(who, path, ["title"], "label", folds=3),
        NOT_SYSTEM_JOBS,
        prepare=World.training_file,
    ),
    Case(
        "models.activate",
        lambda s, version, who: s.models.activate(who, version),
        NOT_ADMINS,
        prepare=World.model,
    ),
    Case(
        "models.rollback",
        lambda s, ctx, who: s.models.rollback(who),
        NOT_ADMINS,
        allowed_raises=ValidationFailed,  # nothing to roll back to: past the policy
    ),
    Case(
        "dispatch_policy.set_target_accuracy",
        lambda s, ctx, who: s.dispatch_policy.set_target_accuracy(who, 0.97),
        NOT_ADMINS,
    ),
    # -- quick replies 常用语
    Case(
        "replies.create",
        lambda s, unit, who: s.get(QuickReplyService).create(
            who, Scope.UNIT, QuickReplyInput("回访", "您好"), unit_id=unit
        ),
        ("xiabei", "town", "yanbu", "leader", "inspector", "system", "citizen"),
        prepare=lambda w: w.district.units["GC-XB"],
        label="a unit's",
    ),
    Case(
        "replies.create",
        lambda s, ctx, who: s.get(QuickReplyService).create(
            who, Scope.PERSONAL, QuickReplyInput("回访", "您好")
        ),
        ("system", "citizen"),
        allowed="xiabei",
        label="one's own",
    ),
    Case(
        "replies.update",
        lambda s, reply, who: s.get(QuickReplyService).update(who, reply, QuickReplyInput("回访", "改")),
        ("xiabei", "pingnan", "town", "yanbu", "leader", "inspector", "system", "citizen"),
        prepare=World.quick_reply,
        label="a unit's",
    ),
    Case(
        "replies.update",
        lambda s, reply, who: s.get(QuickReplyService).update(who, reply, QuickReplyInput("回访", "改")),
        ("pingnan", "admin", "town", "system", "citizen"),
        allowed="xiabei",
        prepare=lambda w: w.quick_reply(Scope.PERSONAL),
        label="one's own",
    ),
    Case(
        "replies.delete",
        lambda s, reply, who: s.get(QuickReplyService).delete(who, reply),
        ("xiabei", "pingnan", "town", "yanbu", "leader", "inspector", "system", "citizen"),
        prepare=World.quick_reply,
        label="a unit's",
    ),
    Case(
        "replies.delete",
        lambda s, reply, who: s.get(QuickReplyService).delete(who, reply),
        ("pingnan", "admin", "town", "system", "citizen"),
        allowed="xiabei",
        prepare=lambda w: w.quick_reply(Scope.PERSONAL),
        label="one's own",
    ),
    # -- the knowledge base 知识库
    Case(
        "knowledge_service.create",
        lambda s, unit, who: s.get(KnowledgeService).create(
            who, ItemInput("结婚登记", "带身份证"), unit_id=unit
        ),
        ("xiabei", "town", "leader", "inspector", "agent", "system", "citizen"),
        prepare=lambda w: w.district.units["GC"],
    ),
    Case(
        "knowledge_service.update",
        lambda s, item, who: s.get(KnowledgeService).update(who, item, ItemInput("结婚登记", "改")),
        ("xiabei", "town", "leader", "inspector", "agent", "system", "citizen"),
        prepare=World.knowledge_item,
    ),
    Case(
        "knowledge_service.act",
        lambda s, item, who: s.get(KnowledgeService).act(who, item, "review"),
        ("xiabei", "town", "leader", "agent", "system", "citizen"),
        allowed="inspector",
        prepare=World.knowledge_item,
    ),
    Case(
        "knowledge_service.answer_order",  # then the order's life cycle: tests/integration/test_knowledge_answers.py
        lambda s, ctx, who: s.get(KnowledgeService).answer_order(who, "NH-NO-SUCH-ORDER", 2**30),
        ("system", "citizen"),
        allowed="district",
        allowed_raises=NotFound,
    ),
    Case(
        "knowledge_service.import_items",
        lambda s, ctx, who: s.get(KnowledgeService).import_items(
            who, [ImportRecord(ItemInput("结婚登记", "带身份证"), "A1")], publish=True
        ),
        ("inspector", "town", "xiabei", "leader", "system", "citizen"),
    ),
    Case(
        "knowledge_service.propose_from_orders",
        lambda s, ctx, who: s.get(KnowledgeService).propose_from_orders(who),
        ("xiabei", "leader", "inspector", "system", "citizen"),
        allowed="agent",
        prepare=World.answered_consultation,
    ),
    # -- grid items 入格事项
    Case(
        "grid_items.create",
        lambda s, ctx, who: s.get(GridItemService).create(
            who, dataclasses.replace(default_catalogue()[0], code="ZZ-001")
        ),
        NOT_ADMINS,
    ),
    Case(
        "grid_items.publish",
        lambda s, item, who: s.get(GridItemService).publish(
            who, dataclasses.replace(item, name="改过的名称")
        ),
        NOT_ADMINS,
        prepare=lambda w: w.grid_items().get("XF-001").item,
    ),
    Case(
        "grid_items.set_active",
        lambda s, ctx, who: s.get(GridItemService).set_active(who, "XF-001", False),
        NOT_ADMINS,
        prepare=World.grid_items,
    ),
    Case(
        "grid_items.import_file",
        lambda s, data, who: s.get(GridItemService).import_file(who, "items.json", data),
        NOT_ADMINS,
        prepare=lambda w: w.grid_items().export_json().replace("违法建设巡查", "违法建设检查").encode(),
    ),
    Case(
        "grid_items.import_file",
        lambda s, data, who: s.get(GridItemService).import_file(who, "items.json", data, dry_run=True),
        NOT_ADMINS,
        prepare=lambda w: w.grid_items().export_json().encode(),
        label="a dry run",
    ),
    Case(
        "grid_items.ensure_default",
        lambda s, ctx, who: s.get(GridItemService).ensure_default(who),
        NOT_ADMINS,
    ),
    # -- hot issues 热点问题
    Case(
        "hotspots_tracker.refresh", lambda s, ctx, who: s.get(HotIssueTracker).refresh(who), NOT_SYSTEM_JOBS
    ),
    Case(
        "hotspots_tracker.rebuild", lambda s, ctx, who: s.get(HotIssueTracker).rebuild(who), NOT_SYSTEM_JOBS
    ),
    Case(
        "hotspots_service.proactive_order",
        lambda s, issue, who: s.get(HotIssueService).proactive_order(who, issue),
        ("leader", "inspector", "yanbu", "system", "citizen"),
        allowed="town",
        prepare=hot_issue,
    ),
    Case(
        "hotspots_service.merge",
        lambda s, issue, who: s.get(HotIssueService).merge(who, issue),
        ("leader", "inspector", "yanbu", "system", "citizen"),
        allowed="town",
        prepare=hot_issue,
    ),
    # -- the rate definition 统计口径, the reports 统计报表
    Case(
        "analytics_reports.make",
        lambda s, ctx, who: s.get(ReportService).make(who, *ctx),
        ("town", "yanbu", "system", "citizen"),
        allowed="leader",
        prepare=lambda w: (
            w.district.units["NH"],
            ReportKind.WEEKLY,
            last_complete(ReportKind.WEEKLY, w.services.clock().astimezone(LOCAL_TZ).date()),
        ),
    ),
    Case(
        "analytics_reports.make_due", lambda s, ctx, who: s.get(ReportService).make_due(who), NOT_SYSTEM_JOBS
    ),
    Case(
        "analytics_reports.subscribe",
        lambda s, ctx, who: s.get(ReportService).subscribe(who, ctx, ReportKind.DAILY),
        ("town", "yanbu", "system", "citizen"),
        allowed="leader",
        prepare=lambda w: w.district.units["NH"],
    ),
    Case(
        "analytics_reports.unsubscribe",
        lambda s, ctx, who: s.get(ReportService).unsubscribe(who, ctx),
        ("town", "inspector", "yanbu", "system", "citizen"),
        allowed="leader",
        prepare=lambda w: w.services.get(ReportService).subscribe(
            w.district.actors["leader"], w.district.units["NH"], ReportKind.DAILY
        ),
    ),
    Case(
        "analytics_reports.mark_seen",
        lambda s, ctx, who: s.get(ReportService).mark_seen(who),
        ("yanbu", "system", "citizen"),
        allowed="leader",
        prepare=lambda w: w.services.get(ReportService).subscribe(
            w.district.actors["leader"], w.district.units["NH"], ReportKind.DAILY
        ),
    ),
    Case(
        "analytics_definitions.define",
        lambda s, ctx, who: s.get(RateDefinitionService).define(
            who, {"exclusions": ["invalid"], "note": "重复件计入统计"}
        ),
        NOT_ADMINS,
    ),
    # -- the sensing scene catalogue 场景目录
    Case(
        "sensing_scenes.ensure_default",
        lambda s, ctx, who: s.get(SceneCatalogue).ensure_default(who),
        NOT_ADMINS,
        prepare=lambda w: w.services.taxonomy.ensure_default(TEST_ADMIN),
    ),
    Case(
        "sensing_scenes.import_file",
        lambda s, text, who: s.get(SceneCatalogue).import_file(who, text),
        NOT_ADMINS,
        prepare=lambda w: w.scenes().export_json().replace("早市", "晨市"),
    ),
    Case(
        "sensing_scenes.set_active",
        lambda s, ctx, who: s.get(SceneCatalogue).set_active(who, "CAM-04", False),
        NOT_ADMINS,
        prepare=lambda w: w.scenes(),
    ),
    # -- the sensing device registry 感知设备
    Case(
        "sensing_devices.register",
        lambda s, ctx, who: s.get(DeviceRegistry).register(
            who, Device("CAM-POLICY-2", "政策测试摄像头", SceneSource.CAMERA, heartbeat_s=300)
        ),
        NOT_ADMINS,
        prepare=World.device,
    ),
    Case(
        "sensing_devices.update",
        lambda s, ctx, who: s.get(DeviceRegistry).update(
            who, "CAM-POLICY-1", DeviceChanges(heartbeat_s=600, heartbeat_given=True)
        ),
        NOT_ADMINS,
        prepare=World.device,
    ),
    Case(
        "sensing_devices.set_status",
        lambda s, ctx, who: s.get(DeviceRegistry).set_status(who, "CAM-POLICY-1", DeviceStatus.DISABLED),
        NOT_ADMINS,
        prepare=World.device,
    ),
    Case(
        "sensing_devices.import_file",
        lambda s, data, who: s.get(DeviceRegistry).import_file(who, "devices.csv", data),
        NOT_ADMINS,
        prepare=lambda w: (w.device(), "设备编码,设备名称,类型\nCAM-POLICY-3,导入的摄像头,视频\n".encode())[
            1
        ],
    ),
    # -- sensing verification 告警核实
    Case(
        "sensing_verification.answer",
        lambda s, task, who: s.get(VerificationService).answer(
            who, task, VerificationAnswer.FALSE_ALARM, "", [], "policy-answer-1"
        ),
        ("yanbu", "town2", "leader", "inspector", "xiabei", "system", "citizen", "gw_pn"),
        allowed="gw_xb",
        prepare=World.verification_task,
    ),
    Case(
        "sensing_verification.reassign",
        lambda s, task, who: s.get(VerificationService).reassign(
            who, task, s.accounts.user_by_name("gw_xb").id
        ),
        ("yanbu", "town2", "leader", "inspector", "xiabei", "gw_xb", "system", "citizen"),
        allowed="town",
        prepare=World.verification_task,
    ),
    Case(
        "sensing_verification.escalate_due",
        lambda s, ctx, who: s.get(VerificationService).escalate_due(who),
        NOT_SYSTEM_JOBS,
        allowed="system",
    ),
    # -- merged patrols 合并巡查
    Case(
        "grid_patrol_figures.record_district_snapshot",
        lambda s, ctx, who: s.get(PatrolFiguresService).record_district_snapshot(who, Period.month(2026, 12)),
        ("town", "yanbu", "citizen"),  # a leader or an inspector reads the whole district: may count it
        allowed="system",
    ),
    Case(
        "grid_patrol.plan",
        lambda s, ctx, who: s.get(PatrolService).plan(who, Period.month(2026, 12)),
        NOT_SYSTEM_JOBS,
        allowed="system",
    ),
    Case(
        "grid_patrol.submit",
        lambda s, ctx, who: s.get(PatrolService).submit(
            who, VisitSubmission("policy-visit-1", s.clock(), report=FreeReport("路灯不亮"))
        ),
        (*STAFF, "admin", "system", "citizen"),
        allowed="gridder",
        prepare=World.patroller,
        allowed_raises=ValidationFailed,  # past the policy: a worker with no grid has nowhere to report
    ),
    # -- the citizens' portal 市民门户 (a citizen only; staff and the system use the console). A
    # citizen's wrong digits or an order not yet due are refused after the tries are counted:
    # tests/integration/test_portal.py
    Case(
        "portal.report",
        lambda s, ctx, who: s.get(PortalService).report(who, portal_support.REPORT, client="192.0.2.1"),
        (*STAFF, "admin", "xiabei", "system"),
        allowed="citizen",
    ),
    Case(
        "portal.track",
        lambda s, number, who: s.get(PortalService).track(who, number, "5678", client="192.0.2.1"),
        (*STAFF, "admin", "xiabei", "system"),
        allowed="citizen",
        prepare=World.portal_report,
    ),
    Case(
        "portal.rate",
        lambda s, number, who: s.get(PortalService).rate(
            who, number, "5678", Satisfaction.SATISFIED, client="192.0.2.1"
        ),
        (*STAFF, "admin", "xiabei", "system"),
        allowed="citizen",
        prepare=World.portal_rating_due,
    ),
    # -- 小南 (public: the faces act as the portal's citizen; a conversation is its unguessable id)
    Case(
        "assistant.ask",
        lambda s, ctx, who: s.get(AssistantService).ask(who, "怎么领结婚证", client="192.0.2.9"),
        (*STAFF, "admin", "xiabei", "system"),
        allowed="citizen",
    ),
    Case(
        "assistant.feedback",
        lambda s, ctx, who: s.get(AssistantService).feedback(who, "no-such-conversation-0", 1, True),
        (*STAFF, "admin", "xiabei", "system"),
        allowed="citizen",
        allowed_raises=NotFound,  # past the policy: no such conversation
    ),
    Case(
        "assistant.handover",
        lambda s, ctx, who: s.get(AssistantService).handover(
            who, "no-such-conversation-0", HandoverForm("探测", "13900000000", "探测", "探测路 1 号")
        ),
        (*STAFF, "admin", "xiabei", "system"),
        allowed="citizen",
        allowed_raises=NotFound,
    ),
    Case(
        "portal.prune", lambda s, ctx, who: s.get(PortalService).prune(who), NOT_SYSTEM_JOBS, allowed="system"
    ),
    # -- grid hazards 网格隐患
    Case(
        "grid_hazards.recheck",
        lambda s, ctx, who: s.get(GridHazardService).recheck(who, ctx[0], True, "已整改"),
        (*STAFF, "admin", "xiabei", "system", "citizen", "gw_pn"),
        allowed="gw_xb",
        prepare=World.hazard,
    ),
    Case(
        "grid_hazards.resolve_locally",
        lambda s, ctx, who: s.get(GridHazardService).resolve_locally(
            who, ctx[1], "已整改", local_date(s.clock())
        ),
        (*STAFF, "xiabei", "gw_xb", "system", "citizen"),
        prepare=World.hazard,
    ),
    Case(
        "grid_hazards.set_rectification",
        lambda s, ctx, who: s.get(GridHazardService).set_rectification(who, ctx[1], local_date(s.clock())),
        ("yanbu", "town2", "leader", "inspector", "xiabei", "gw_xb", "system", "citizen"),
        allowed="town",
        prepare=World.hazard,
    ),
    # -- the system's own work
    Case("sweep.run", lambda s, ctx, who: s.sweep.run(who), NOT_SYSTEM_JOBS, allowed="system"),
    Case(
        "duplicates.prune_signatures",
        lambda s, ctx, who: s.duplicates.prune_signatures(who),
        NOT_SYSTEM_JOBS,
        allowed="system",
    ),
    Case(
        "dashboard.refresh_rollup",
        lambda s, ctx, who: s.dashboard.refresh_rollup(who),
        NOT_SYSTEM_JOBS,
        allowed="system",
    ),
)


# --------------------------------------------------------------------------- the tests


def test_every_public_method_of_every_service_is_read_only_plumbing_or_a_checked_use_case() -> None:
    methods = set(_public_methods())
    mutating = {case.method for case in CASES}
    assert not (set(READ_ONLY) & set(PLUMBING)) and not (mutating & (set(READ_ONLY) | set(PLUMBING)))
    unclassified = methods - set(READ_ONLY) - set(PLUMBING) - mutating
    assert not unclassified, f"new service methods: say whether they change anything: {sorted(unclassified)}"
    gone = (set(READ_ONLY) | set(PLUMBING) | mutating) - methods
    assert not gone, f"listed here but no longer on the services: {sorted(gone)}"


@pytest.mark.parametrize("method", sorted({case.method for case in CASES}))
def test_every_use_case_that_changes_something_takes_the_acting_principal_first(method: str) -> None:
    signature = inspect.signature(_public_methods()[method])
    params = [p for p in signature.parameters.values() if p.name != "self"]
    assert params and params[0].name == "actor", f"{method}{signature}"
    assert params[0].annotation in ("Actor", Actor)
    assert params[0].default is inspect.Parameter.empty, "the actor is never optional"


@ONLY_SQLITE
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_a_use_case_refuses_whom_its_policy_refuses_and_writes_nothing(
    services: Services, tmp_path: Path, case: Case
) -> None:
    world = World(services, build_small_district(services), tmp_path)
    context = case.prepare(world)
    for name in case.refused:
        who = world.actor(name)
        before = footprint(services)
        with pytest.raises((PermissionDenied, NotFound)) as refused:
            case.call(services, context, who)
        assert type(refused.value) in (PermissionDenied, NotFound), f"{name}: {refused.value!r}"
        assert footprint(services) == before, f"{case.id}: {name} was refused but something was written"
    # whom the policy lets through gets through (the refusals above were the policy's)
    who = world.actor(case.allowed)
    if case.allowed_raises is None:
        case.call(services, context, who)
    else:
        with pytest.raises(case.allowed_raises) as past:
            case.call(services, context, who)
        assert not isinstance(past.value, PermissionDenied)


def test_the_cases_refuse_every_kind_of_principal_somewhere() -> None:
    refused = {name for case in CASES for name in case.refused}
    assert {"system", "citizen", "leader", "inspector", "yanbu", "town"} <= refused
    assert SYNTHETIC_KEYWORDS  # the training data has its classes
