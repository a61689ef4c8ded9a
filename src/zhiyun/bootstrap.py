"""Wires the services of one process to one database: what the faces (API, web, CLI) use."""

from __future__ import annotations

from dataclasses import dataclass

from zhiyun.accounts.service import AccountService
from zhiyun.analytics.dashboard import DashboardService
from zhiyun.config import Settings, database_url
from zhiyun.dispatch.auto_dispatch import AutoDispatcher, Thresholds
from zhiyun.dispatch.model_service import ModelService
from zhiyun.dispatch.responsibility_service import ListCache, ResponsibilityService
from zhiyun.dispatch.service import DispatchService
from zhiyun.dispatch.taxonomy_service import TaxonomyService
from zhiyun.intake.channel_service import ChannelService
from zhiyun.intake.channels import channel_book
from zhiyun.intake.geo_service import GeoService
from zhiyun.intake.service import IntakeService
from zhiyun.org.service import OrgService
from zhiyun.store.db import Database
from zhiyun.workflow.attachments import AttachmentService
from zhiyun.workflow.reference import Clock, ReferenceCache, system_clock
from zhiyun.workflow.service import WorkOrderService
from zhiyun.workflow.settings_service import PolicyService
from zhiyun.workflow.sweep import DeadlineSweep
from zhiyun.workflow.worklists import WorklistService


@dataclass
class Services:
    """Every use-case service over one database, sharing one reference-data cache."""

    db: Database
    settings: Settings
    orders: WorkOrderService
    accounts: AccountService
    org: OrgService
    policy: PolicyService
    attachments: AttachmentService
    sweep: DeadlineSweep
    geo: GeoService
    channels: ChannelService
    intake: IntakeService
    worklists: WorklistService
    dashboard: DashboardService
    taxonomy: TaxonomyService
    responsibility: ResponsibilityService
    dispatch: DispatchService
    auto_dispatch: AutoDispatcher
    models: ModelService

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
    geo = GeoService(db)
    lists = ListCache()
    models = ModelService(db, settings, clock=clock)
    auto = AutoDispatcher(
        orders,
        models.active,
        lists,
        thresholds=Thresholds(settings.dispatch_threshold, settings.dispatch_category_thresholds),
        enabled=settings.auto_dispatch,
    ).install()
    return Services(
        db=db,
        settings=settings,
        orders=orders,
        accounts=AccountService(db, settings, clock=clock),
        org=OrgService(db),
        policy=PolicyService(db, reference=cache),
        attachments=AttachmentService(db, settings, clock=clock, reference=cache),
        sweep=DeadlineSweep(db, clock=clock),
        geo=geo,
        channels=channels,
        intake=IntakeService(db, orders, channels, geo, clock=clock, policy=settings.dedupe_policy()),
        worklists=WorklistService(db, reference=cache, clock=clock),
        dashboard=DashboardService(db, clock=clock, reference=cache),
        taxonomy=TaxonomyService(db, clock=clock),
        responsibility=ResponsibilityService(db, clock=clock, cache=lists),
        dispatch=DispatchService(db, orders, lists, clock=clock),
        auto_dispatch=auto,
        models=models,
    )
