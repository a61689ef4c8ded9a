"""Wires the services of one process to one database: what the faces (API, web, CLI) use.

The core services are fields of `Services`. A capability that comes later declares its own
service factories (`Capability.services`): they are built here after the core, and the faces
find them by type with `services.get(GridService)`. The order page's panels come from every
installed capability's `panels`, the leader dashboard's from their `dashboard`
(zhiyun.capabilities)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from zhiyun.accounts.service import AccountService
from zhiyun.analytics.dashboard import DashboardService
from zhiyun.analytics.reports import ReportService
from zhiyun.capabilities import installed
from zhiyun.catalog.responsibility import ListCache, ResponsibilityService
from zhiyun.catalog.taxonomy import TaxonomyService
from zhiyun.classifier.dispatch_policy import DispatchPolicyService
from zhiyun.classifier.service import ModelService
from zhiyun.config import Settings, database_url
from zhiyun.dedupe.policy import DedupePolicy
from zhiyun.dedupe.service import DuplicateService
from zhiyun.domain.routing import Thresholds
from zhiyun.geo.service import GeoService
from zhiyun.intake.channel_service import ChannelService
from zhiyun.intake.channels import channel_book
from zhiyun.intake.service import IntakeService
from zhiyun.kernel.capability import resolve
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.orders.attachments import AttachmentService
from zhiyun.orders.live import LiveQueueService
from zhiyun.orders.order_page import OrderPages
from zhiyun.orders.service import WorkOrderService
from zhiyun.orders.sweep import DeadlineSweep
from zhiyun.orders.worklists import WorklistService
from zhiyun.org.service import OrgService
from zhiyun.reference.cache import ReferenceCache
from zhiyun.reference.service import PolicyService
from zhiyun.routing.auto_dispatch import AutoDispatcher
from zhiyun.routing.service import DispatchService
from zhiyun.store.db import Database

T = TypeVar("T")


@dataclass
class Services:
    """Every use-case service over one database, sharing one reference-data cache."""

    db: Database
    settings: Settings
    reference: ReferenceCache  # the org tree, calendar and time limits, shared by every service
    orders: WorkOrderService
    accounts: AccountService
    org: OrgService
    policy: PolicyService
    attachments: AttachmentService
    sweep: DeadlineSweep
    geo: GeoService
    channels: ChannelService
    intake: IntakeService
    duplicates: DuplicateService
    worklists: WorklistService
    dashboard: DashboardService
    taxonomy: TaxonomyService
    responsibility: ResponsibilityService
    dispatch: DispatchService
    auto_dispatch: AutoDispatcher
    models: ModelService
    dispatch_policy: DispatchPolicyService  # the target accuracy and the threshold it gives
    pages: OrderPages  # the order page's read model, with every capability's panel
    live: LiveQueueService  # the workbench's poll (queue counts, arrivals) and 下一件
    clock: Clock = system_clock
    added: list[object] = field(default_factory=list)  # services of `Capability.services`

    def get(self, kind: type[T]) -> T:
        """The service of type `kind`: a core field or one a capability added."""
        for value in (*self.__dict__.values(), *self.added):
            if isinstance(value, kind):
                return value
        raise LookupError(f"no {kind.__name__} is installed")

    def close(self) -> None:
        self.db.dispose()


def build_services(
    db: Database | str | None = None,
    settings: Settings | None = None,
    *,
    clock: Clock = system_clock,
) -> Services:
    """Services over `db` (a Database, a `--db` value, or ZHIYUN_DATABASE_URL / the default file)."""
    settings = settings or Settings()
    if not isinstance(db, Database):
        db = Database(database_url(db or settings.database_url))
    cache = ReferenceCache()
    orders = WorkOrderService(db, settings, clock=clock, reference=cache, channels=channel_book())
    channels = ChannelService(db, clock=clock)
    geo = GeoService(db, clock=clock)
    lists = ListCache()
    models = ModelService(db, settings, clock=clock)
    dispatch_policy = DispatchPolicyService(db, settings, models, clock=clock)
    auto = AutoDispatcher(
        orders,
        models.active,
        lists,
        thresholds=Thresholds(settings.dispatch_threshold, settings.dispatch_category_thresholds),
        calibrated=dispatch_policy.calibrated_threshold,
        enabled=settings.auto_dispatch,
    ).install()
    dedupe_policy = DedupePolicy.from_settings(settings)
    intake = IntakeService(db, orders, channels, geo, clock=clock, policy=dedupe_policy)
    duplicates = DuplicateService(db, orders, clock=clock, policy=dedupe_policy)
    responsibility = ResponsibilityService(db, clock=clock, cache=lists)
    worklists = WorklistService(db, reference=cache, clock=clock)
    dispatch = DispatchService(db, orders, lists, clock=clock)
    services = Services(
        db=db,
        settings=settings,
        reference=cache,
        orders=orders,
        accounts=AccountService(db, settings, clock=clock),
        org=OrgService(db),
        policy=PolicyService(db, reference=cache),
        attachments=AttachmentService(db, settings, clock=clock, reference=cache),
        sweep=DeadlineSweep(db, clock=clock),
        geo=geo,
        channels=channels,
        intake=intake,
        duplicates=duplicates,
        worklists=worklists,
        dashboard=DashboardService(db, clock=clock, reference=cache),
        taxonomy=TaxonomyService(db, clock=clock),
        responsibility=responsibility,
        dispatch=dispatch,
        auto_dispatch=auto,
        models=models,
        dispatch_policy=dispatch_policy,
        pages=OrderPages(db, orders, panels=()),
        live=LiveQueueService(db, worklists, orders, clock=clock),
        clock=clock,
    )
    capabilities = installed()
    for capability in capabilities:
        services.added.extend(_build(ref, services) for ref in capability.services)
    panels = [_build(ref, services) for capability in capabilities for ref in capability.panels]
    services.pages = OrderPages(db, orders, panels=tuple(panels))
    for capability in capabilities:
        for ref in capability.dashboard:
            services.dashboard.panels.add(_build(ref, services))
    reports = services.get(ReportService)
    for capability in capabilities:
        for ref in capability.reports:
            reports.sections.add(_build(ref, services))
    return services


def _build(factory_ref: str, services: Services) -> Any:
    """What a capability's factory (`"module:function"`, called with the services) builds."""
    return resolve(factory_ref)(services)
