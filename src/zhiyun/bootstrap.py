"""Wires the services of one process to one database: what the faces (API, web, CLI) use."""

from __future__ import annotations

from dataclasses import dataclass

from zhiyun.accounts.service import AccountService
from zhiyun.analytics.dashboard import DashboardService
from zhiyun.catalog.page import CategoryNamePanel
from zhiyun.catalog.responsibility import ListCache, ResponsibilityService
from zhiyun.catalog.taxonomy import TaxonomyService
from zhiyun.classifier.service import ModelService
from zhiyun.config import Settings, database_url
from zhiyun.dedupe.page import DuplicateCandidatesPanel
from zhiyun.dedupe.scoring import DedupePolicy
from zhiyun.dedupe.service import DuplicateService
from zhiyun.domain.routing import Thresholds
from zhiyun.geo.service import GeoService
from zhiyun.intake.channel_service import ChannelService
from zhiyun.intake.channels import channel_book
from zhiyun.intake.page import ChannelNamesPanel
from zhiyun.intake.service import IntakeService
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.orders.attachments import AttachmentService
from zhiyun.orders.page import OrderPages
from zhiyun.orders.service import WorkOrderService
from zhiyun.orders.sweep import DeadlineSweep
from zhiyun.orders.worklists import WorklistService
from zhiyun.org.service import OrgService
from zhiyun.reference.cache import ReferenceCache
from zhiyun.reference.service import PolicyService
from zhiyun.routing.auto_dispatch import AutoDispatcher
from zhiyun.routing.page import SuggestionPanel
from zhiyun.routing.service import DispatchService
from zhiyun.store.db import Database


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
    duplicates: DuplicateService
    worklists: WorklistService
    dashboard: DashboardService
    taxonomy: TaxonomyService
    responsibility: ResponsibilityService
    dispatch: DispatchService
    auto_dispatch: AutoDispatcher
    models: ModelService
    pages: OrderPages  # the order page's read model, with every capability's panel

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
    dedupe_policy = DedupePolicy.from_settings(settings)
    intake = IntakeService(db, orders, channels, geo, clock=clock, policy=dedupe_policy)
    duplicates = DuplicateService(db, orders, clock=clock, policy=dedupe_policy)
    responsibility = ResponsibilityService(db, clock=clock, cache=lists)
    dispatch = DispatchService(db, orders, lists, clock=clock)
    pages = OrderPages(
        db,
        orders,
        panels=(
            DuplicateCandidatesPanel(duplicates),
            SuggestionPanel(dispatch, responsibility),
            CategoryNamePanel(lists),
            ChannelNamesPanel(channels),
        ),
    )
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
        intake=intake,
        duplicates=duplicates,
        worklists=WorklistService(db, reference=cache, clock=clock),
        dashboard=DashboardService(db, clock=clock, reference=cache),
        taxonomy=TaxonomyService(db, clock=clock),
        responsibility=responsibility,
        dispatch=dispatch,
        auto_dispatch=auto,
        models=models,
        pages=pages,
    )
