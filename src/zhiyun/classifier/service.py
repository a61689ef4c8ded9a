"""Use cases of the classifier's model versions: train, evaluate, list, activate, roll back.

Every trained model is stored in the database (`classifier_model`: the .npz bytes, its
SHA-256, where it came from, its k-fold evaluation) so that every API process on one
PostgreSQL sees the same versions. Exactly one version is active; `active()` returns it,
cached per process and re-checked every `Settings.classifier_reload_seconds` (a cheap
query of the active version and checksum), so an `activate` or `rollback` in one process
reaches the others within seconds. A version whose bytes do not match its checksum or
format is refused (`ModelFileError`) when it is activated or loaded.

Training runs outside any transaction (it takes a while); storing the version is one short
transaction, and so is every switch.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhiyun.classifier.calibration import Calibration
from zhiyun.classifier.evaluation import check_trainable, cross_validate, drop_small_classes
from zhiyun.classifier.features import FeatureConfig
from zhiyun.classifier.files import dump, load, sha256
from zhiyun.classifier.model import TextClassifier, TrainingData, train_classifier
from zhiyun.classifier.tables import ClassifierModelRow
from zhiyun.classifier.training_file import read_labelled
from zhiyun.config import Settings
from zhiyun.domain.access import Actor, may_manage_models, may_train_models, require
from zhiyun.domain.errors import NotFound, ValidationFailed
from zhiyun.domain.workorder import OrderStatus
from zhiyun.store.base import utcnow
from zhiyun.store.db import Database
from zhiyun.store.tables import WorkOrderRow

__all__ = ["ModelService", "ModelVersion", "NoModelToRollBack", "stored_calibration"]

DEFAULT_FOLDS = 5
DB_MIN_PER_CLASS = 5
FILE_MIN_PER_CLASS = 2
DB_TRAINING_LIMIT = 300_000  # the most recently closed orders


class NoModelToRollBack(ValidationFailed):
    """There is no earlier active version to go back to."""

    code = "no_previous_model"
    http_status = 409


@dataclass(frozen=True)
class ModelVersion:
    """A stored model version, without its bytes."""

    version: int
    created_at: datetime
    created_by: str
    source: str
    labels: tuple[str, ...]
    evaluation: dict[str, Any]
    meta: dict[str, Any]
    sha256: str
    size_bytes: int
    active: bool
    activated_at: datetime | None
    previous_version: int | None

    @property
    def macro_f1(self) -> float | None:
        value = self.evaluation.get("macro_f1")
        return float(value) if isinstance(value, int | float) else None

    @property
    def accuracy(self) -> float | None:
        value = self.evaluation.get("accuracy")
        return float(value) if isinstance(value, int | float) else None

    @property
    def calibration(self) -> Calibration | None:
        """The held-out calibration of its confidences, when its evaluation has one that reads."""
        return stored_calibration(self.evaluation)


_VIEW_COLUMNS = (
    ClassifierModelRow.version,
    ClassifierModelRow.created_at,
    ClassifierModelRow.created_by,
    ClassifierModelRow.source,
    ClassifierModelRow.labels,
    ClassifierModelRow.evaluation,
    ClassifierModelRow.meta,
    ClassifierModelRow.sha256,
    ClassifierModelRow.size_bytes,
    ClassifierModelRow.active,
    ClassifierModelRow.activated_at,
    ClassifierModelRow.previous_version,
)


def stored_calibration(evaluation: object) -> Calibration | None:
    """The calibration a version's stored evaluation holds; None without one or for one that
    does not read as a calibration (an older release's, a damaged one): never an error, since
    the model stays usable with the site's fixed threshold."""
    if not isinstance(evaluation, Mapping):
        return None
    data = evaluation.get("calibration")
    if not isinstance(data, Mapping):
        return None
    try:
        calibration = Calibration.from_dict(data)
    except (ValueError, ArithmeticError):  # ArithmeticError: an infinite count (1e999) as int
        return None
    return calibration if _plausible(calibration) else None


def _plausible(calibration: Calibration) -> bool:
    """Thresholds, shares, accuracies and confidences between 0 and 1 (NaN is not), counts not
    negative, thresholds rising: what a measured calibration always is."""

    def fraction(value: float) -> bool:
        return 0.0 <= value <= 1.0

    points = calibration.curve
    return (
        fraction(calibration.ece)
        and all(fraction(p.threshold) and fraction(p.share) and fraction(p.accuracy) for p in points)
        and all(p.count >= 0 for p in points)
        and all(a.threshold < b.threshold for a, b in pairwise(points))
        and all(fraction(b.confidence) and fraction(b.accuracy) and b.count >= 0 for b in calibration.bins)
    )


def _view(row: Any) -> ModelVersion:
    return ModelVersion(
        version=row.version,
        created_at=row.created_at,
        created_by=row.created_by,
        source=row.source,
        labels=tuple(row.labels or ()),
        evaluation=dict(row.evaluation or {}),
        meta=dict(row.meta or {}),
        sha256=row.sha256,
        size_bytes=row.size_bytes,
        active=bool(row.active),
        activated_at=row.activated_at,
        previous_version=row.previous_version,
    )


class ModelService:
    """Model versions over one database; `active()` is the classifier the dispatcher uses."""

    def __init__(self, db: Database, settings: Settings, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self._lock = threading.Lock()
        self._cached: tuple[int, str, TextClassifier] | None = None
        self._checked_at = float("-inf")

    # -- training -------------------------------------------------------------------

    def train(
        self,
        actor: Actor,
        data: TrainingData,
        *,
        source: str,
        folds: int = DEFAULT_FOLDS,
        seed: int = 0,
        min_per_class: int = FILE_MIN_PER_CLASS,
        keywords: Mapping[str, Iterable[str]] | None = None,
        config: FeatureConfig | None = None,
        activate: bool | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> ModelVersion:
        """Evaluate by stratified k-fold, train on everything, store a new version.

        Classes with fewer than `min_per_class` messages are left out (and named in the
        version's metadata); the folds shrink to the smallest class when it is smaller.
        `activate=None` activates the new version when no version is active yet.

        Who may train: `domain.access.may_train_models` (an admin, the system's scheduled
        runs); asking for `activate=True` needs `may_manage_models` as well.
        """
        require(may_train_models, actor)
        if activate:
            require(may_manage_models, actor)
        actor_name = actor.name or actor.role.label
        kept, dropped = drop_small_classes(data, max(min_per_class, 2))
        labels = [str(v) for v in kept.labels]
        if not labels:
            raise ValidationFailed("没有可用于训练的数据（所有类别的样本都太少）", field="label")
        smallest = min(Counter(labels).values())
        used_folds = max(2, min(folds, smallest))
        check_trainable(labels, used_folds)
        config = config or FeatureConfig()
        evaluation = cross_validate(
            kept, folds=used_folds, seed=seed, keywords=keywords, config=config, progress=progress
        )
        started = time.perf_counter()
        model = train_classifier(kept, keywords=keywords, config=config, seed=seed)
        meta = {
            "messages": len(labels),
            "dropped_classes": dropped,
            "folds": used_folds,
            "seed": seed,
            "train_seconds": round(time.perf_counter() - started, 2),
            "order_types": list(model.order_type_head.classes) if model.order_type_head else [],
            "learned_urgency": model.urgency_head is not None,
            "keyword_labels": len(keywords or {}),
            "features": model.features.n_features,
        }
        data_bytes, _ = dump(model, {"source": source, "created_by": actor_name})
        return self._store(
            data_bytes,
            labels=model.labels,
            evaluation=evaluation.to_dict(),
            meta=meta,
            actor_name=actor_name,
            source=source,
            activate=activate,
        )

    def train_from_db(
        self,
        actor: Actor,
        *,
        min_per_class: int = DB_MIN_PER_CLASS,
        folds: int = DEFAULT_FOLDS,
        seed: int = 0,
        keywords: Mapping[str, Iterable[str]] | None = None,
        activate: bool | None = None,
        limit: int = DB_TRAINING_LIMIT,
        progress: Callable[[int, int], None] | None = None,
    ) -> ModelVersion:
        """Train on closed orders with a category: title, content, category_code, order_type."""
        require(may_train_models, actor)
        data = self.closed_orders(limit)
        if not data.labels:
            raise ValidationFailed("数据库中没有已归档且有类别的工单，无法训练", field="data")
        return self.train(
            actor,
            data,
            source=f"database:closed_orders({len(data)})",
            folds=folds,
            seed=seed,
            min_per_class=min_per_class,
            keywords=keywords,
            activate=activate,
            progress=progress,
        )

    def train_from_file(
        self,
        actor: Actor,
        path: Path,
        text_cols: Sequence[str],
        label_col: str,
        *,
        type_col: str | None = None,
        min_per_class: int = FILE_MIN_PER_CLASS,
        folds: int = DEFAULT_FOLDS,
        seed: int = 0,
        keywords: Mapping[str, Iterable[str]] | None = None,
        activate: bool | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> ModelVersion:
        """Train on a labelled CSV/XLSX file (see `training_file.read_labelled`)."""
        require(may_train_models, actor)
        data = read_labelled(Path(path), text_cols, label_col, type_col=type_col)
        return self.train(
            actor,
            data,
            source=f"file:{Path(path).name}",
            folds=folds,
            seed=seed,
            min_per_class=min_per_class,
            keywords=keywords,
            activate=activate,
            progress=progress,
        )

    def closed_orders(self, limit: int = DB_TRAINING_LIMIT) -> TrainingData:
        """The most recently closed orders that have a category, as training data (with type and urgency)."""
        query = (
            select(
                WorkOrderRow.title,
                WorkOrderRow.content,
                WorkOrderRow.category_code,
                WorkOrderRow.order_type,
                WorkOrderRow.urgency,
            )
            .where(WorkOrderRow.status == OrderStatus.CLOSED.value, WorkOrderRow.category_code.is_not(None))
            .order_by(WorkOrderRow.closed_at.desc(), WorkOrderRow.id.desc())
            .limit(limit)
        )
        with self.db.reading() as session:
            rows = session.execute(query).all()
        return TrainingData(
            [r.title or "" for r in rows],
            [r.content or "" for r in rows],
            [str(r.category_code) for r in rows],
            [r.order_type or None for r in rows],
            [r.urgency or None for r in rows],
        )

    def _store(
        self,
        data: bytes,
        *,
        labels: Sequence[str],
        evaluation: dict[str, Any],
        meta: dict[str, Any],
        actor_name: str,
        source: str,
        activate: bool | None,
    ) -> ModelVersion:
        now = self.clock()
        with self.db.transaction() as session:
            latest = session.scalar(select(func.max(ClassifierModelRow.version)))
            current = session.scalars(
                select(ClassifierModelRow).where(ClassifierModelRow.active.is_(True)).with_for_update()
            ).first()
            row = ClassifierModelRow(
                version=(latest or 0) + 1,
                created_at=now,
                created_by=actor_name[:100],
                source=source[:500],
                labels=list(labels),
                evaluation=evaluation,
                meta=meta,
                sha256=sha256(data),
                size_bytes=len(data),
                data=data,
                active=False,
            )
            if activate or (activate is None and current is None):
                if current is not None:
                    current.active = False
                    row.previous_version = current.version
                row.active = True
                row.activated_at = now
            session.add(row)
            session.flush()
            return _view(row)

    # -- versions -------------------------------------------------------------------

    def versions(self) -> list[ModelVersion]:
        """Every stored version, newest first (without the model bytes)."""
        with self.db.reading() as session:
            rows = session.execute(select(*_VIEW_COLUMNS).order_by(ClassifierModelRow.version.desc())).all()
        return [_view(r) for r in rows]

    def version(self, version: int) -> ModelVersion:
        with self.db.reading() as session:
            row = session.execute(select(*_VIEW_COLUMNS).where(ClassifierModelRow.version == version)).first()
        if row is None:
            raise NotFound(f"模型版本 {version} 不存在")
        return _view(row)

    def load(self, version: int, session: Session | None = None) -> TextClassifier:
        """The classifier of a stored version (checked against its checksum), with the
        calibration its evaluation holds (None when it holds none, or none that reads); read in
        `session` when the caller is inside a transaction already."""
        query = select(
            ClassifierModelRow.data, ClassifierModelRow.sha256, ClassifierModelRow.evaluation
        ).where(ClassifierModelRow.version == version)
        if session is not None:
            row = session.execute(query).first()
        else:
            with self.db.reading() as own:
                row = own.execute(query).first()
        if row is None:
            raise NotFound(f"模型版本 {version} 不存在")
        classifier = load(bytes(row.data), row.sha256)
        classifier.version = version
        classifier.calibration = stored_calibration(row.evaluation)
        return classifier

    def activate(self, actor: Actor, version: int) -> None:
        """Make `version` the active model (its file is checked first); the old one is remembered."""
        require(may_manage_models, actor)
        with self.db.transaction() as session:
            target = session.scalars(
                select(ClassifierModelRow).where(ClassifierModelRow.version == version).with_for_update()
            ).first()
            if target is None:
                raise NotFound(f"模型版本 {version} 不存在")
            load(bytes(target.data), target.sha256)  # refuse a damaged or foreign file
            if target.active:
                return
            current = session.scalars(
                select(ClassifierModelRow).where(ClassifierModelRow.active.is_(True)).with_for_update()
            ).all()
            for row in current:
                row.active = False
            target.previous_version = current[0].version if current else None
            target.active = True
            target.activated_at = self.clock()
        self._checked_at = float("-inf")

    def rollback(self, actor: Actor) -> ModelVersion:
        """Go back to the version that was active before the current one; returns it."""
        require(may_manage_models, actor)
        with self.db.transaction() as session:
            current = session.scalars(
                select(ClassifierModelRow).where(ClassifierModelRow.active.is_(True)).with_for_update()
            ).first()
            if current is None:
                raise NoModelToRollBack("当前没有启用的模型，无法回退")
            if current.previous_version is None:
                raise NoModelToRollBack(f"模型版本 {current.version} 之前没有启用过其他版本，无法回退")
            target = session.scalars(
                select(ClassifierModelRow)
                .where(ClassifierModelRow.version == current.previous_version)
                .with_for_update()
            ).first()
            if target is None:
                raise NoModelToRollBack(f"上一个版本 {current.previous_version} 已不存在，无法回退")
            load(bytes(target.data), target.sha256)
            current.active = False
            target.active = True
            target.activated_at = self.clock()
            session.flush()
            view = _view(target)
        self._checked_at = float("-inf")
        return view

    # -- the active classifier --------------------------------------------------------

    def active_version(self) -> ModelVersion | None:
        with self.db.reading() as session:
            row = session.execute(select(*_VIEW_COLUMNS).where(ClassifierModelRow.active.is_(True))).first()
        return _view(row) if row is not None else None

    def active(self, session: Session | None = None) -> TextClassifier | None:
        """The active classifier, or None; reloaded when another version becomes active.

        A caller inside a transaction passes its `session`: the check then reads through the
        caller's connection. Taking a second connection from the pool while holding one would
        deadlock a full pool (every request holding one connection and waiting for this lock,
        the lock's holder waiting for a connection), as concurrent intake of one message did."""
        now = time.monotonic()
        cached = self._cached
        if now - self._checked_at < self.settings.classifier_reload_seconds:
            # also "no active model": every intake asks, and most districts start without one
            return cached[2] if cached is not None else None
        query = select(ClassifierModelRow.version, ClassifierModelRow.sha256).where(
            ClassifierModelRow.active.is_(True)
        )
        with self._lock:
            if session is not None:
                head = session.execute(query).first()
            else:
                with self.db.reading() as own:
                    head = own.execute(query).first()
            if head is None:
                self._cached = None
                self._checked_at = now
                return None
            cached = self._cached
            if cached is None or (cached[0], cached[1]) != (head.version, head.sha256):
                self._cached = (head.version, head.sha256, self.load(head.version, session))
            self._checked_at = now
            return self._cached[2] if self._cached else None
