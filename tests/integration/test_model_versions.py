"""Model versions in the database (SQLite and PostgreSQL): train, store, activate, roll back, reload."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from tests.support import SYNTHETIC_KEYWORDS, TEST_ADMIN, synthetic_messages

from zhiyun.classifier.files import ModelFileError
from zhiyun.classifier.model import TrainingData
from zhiyun.classifier.service import ModelService, NoModelToRollBack
from zhiyun.classifier.tables import ClassifierModelRow
from zhiyun.config import Settings
from zhiyun.domain.errors import NotFound, ValidationFailed
from zhiyun.store.db import Database
from zhiyun.store.tables import OrgUnitRow, WorkOrderRow


def _data(per_class: int = 12, seed: int = 3) -> TrainingData:
    rows = synthetic_messages(per_class, seed)
    return TrainingData(
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows]
    )


def _service(db: Database, reload_seconds: float = 0.0) -> ModelService:
    return ModelService(db, Settings(classifier_reload_seconds=reload_seconds))


def _train(service: ModelService, activate: bool | None = None, seed: int = 3) -> int:
    version = service.train(
        TEST_ADMIN,
        _data(seed=seed),
        source="test",
        folds=3,
        keywords=SYNTHETIC_KEYWORDS,
        activate=activate,
    )
    return version.version


def test_training_stores_a_version_with_its_evaluation_and_activates_the_first(database: Database) -> None:
    service = _service(database)

    version = service.train(TEST_ADMIN, _data(), source="test", folds=3, keywords=SYNTHETIC_KEYWORDS)

    assert version.version == 1
    assert version.active
    assert version.created_by == TEST_ADMIN.name
    assert set(version.labels) == set(SYNTHETIC_KEYWORDS)
    assert version.macro_f1 is not None and version.macro_f1 > 0.8
    assert version.evaluation["folds"] == 3
    assert len(version.sha256) == 64
    assert [v.version for v in service.versions()] == [1]
    model = service.active()
    assert model is not None
    assert model.version == 1  # what dispatch suggestions record as the deciding model
    assert model.predict("丹灶镇公司拖欠工资", "老板拖欠工资不发").categories[0].label == "劳动和社会保障"


def test_a_later_version_waits_until_it_is_activated(database: Database) -> None:
    service = _service(database)
    _train(service)

    second = service.train(TEST_ADMIN, _data(seed=4), source="test", folds=3)

    assert second.version == 2 and not second.active
    assert service.active_version() is not None
    assert service.active_version().version == 1  # type: ignore[union-attr]


def test_activate_switches_and_rollback_returns_to_the_previous_version(database: Database) -> None:
    service = _service(database)
    _train(service)
    _train(service, activate=False, seed=4)
    _train(service, activate=False, seed=5)

    service.activate(TEST_ADMIN, 3)
    assert [v.version for v in service.versions() if v.active] == [3]
    service.activate(TEST_ADMIN, 2)
    assert service.active_version().previous_version == 3  # type: ignore[union-attr]

    back = service.rollback(TEST_ADMIN)
    assert back.version == 3
    again = service.rollback(TEST_ADMIN)
    assert again.version == 1
    assert [v.version for v in service.versions() if v.active] == [1]
    with pytest.raises(NoModelToRollBack):
        service.rollback(TEST_ADMIN)


def test_activating_an_unknown_version_is_refused(database: Database) -> None:
    with pytest.raises(NotFound):
        _service(database).activate(TEST_ADMIN, 42)


def test_rollback_without_any_active_model_is_refused(database: Database) -> None:
    with pytest.raises(NoModelToRollBack, match="没有启用"):
        _service(database).rollback(TEST_ADMIN)


def test_a_tampered_version_is_refused_and_the_active_one_stays(database: Database) -> None:
    service = _service(database)
    _train(service)
    _train(service, activate=False, seed=4)
    with database.transaction() as session:
        data = session.get_one(ClassifierModelRow, 2, with_for_update=False)
        spoiled = bytearray(data.data)
        spoiled[100] ^= 0x55
        session.execute(
            update(ClassifierModelRow).where(ClassifierModelRow.version == 2).values(data=bytes(spoiled))
        )

    with pytest.raises(ModelFileError, match="校验失败"):
        service.activate(TEST_ADMIN, 2)
    with pytest.raises(ModelFileError):
        service.load(2)
    assert service.active_version().version == 1  # type: ignore[union-attr]


def test_another_process_sees_the_newly_activated_version(database: Database) -> None:
    trainer = _service(database)
    api_process = _service(database, reload_seconds=0.0)
    _train(trainer)
    first = api_process.active()
    _train(trainer, activate=True, seed=4)

    second = api_process.active()

    assert first is not None and second is not None
    assert second is not first
    assert api_process.active() is second  # unchanged version: the cached model


def test_a_loaded_version_carries_its_held_out_calibration_and_an_older_one_none(database: Database) -> None:
    service = _service(database)
    _train(service)
    stored = service.active_version()
    assert stored is not None and "calibration" in stored.evaluation
    assert stored.calibration is not None and stored.calibration.messages == stored.evaluation["messages"]
    model = service.active()
    assert model is not None and model.calibration is not None
    assert model.calibration.to_dict() == stored.evaluation["calibration"]
    # a version trained before calibrations were kept (no key), and one whose calibration is damaged
    _train(service, activate=False, seed=4)
    _train(service, activate=False, seed=5)
    with database.transaction() as session:
        for version, calibration in ((2, None), (3, {"bins": [{"low": "零"}], "curve": []})):
            row = session.scalars(
                select(ClassifierModelRow).where(ClassifierModelRow.version == version)
            ).one()
            kept = {k: v for k, v in row.evaluation.items() if k != "calibration"}
            row.evaluation = kept if calibration is None else {**kept, "calibration": calibration}
    for version in (2, 3):
        service.activate(TEST_ADMIN, version)
        loaded = service.active()
        assert loaded is not None and loaded.version == version and loaded.calibration is None
        assert service.version(version).calibration is None


def test_without_any_version_there_is_no_active_model(database: Database) -> None:
    assert _service(database).active() is None
    assert _service(database).versions() == []


def test_training_from_the_database_uses_closed_orders_with_a_category(database: Database) -> None:
    now = datetime(2026, 5, 1, tzinfo=UTC)
    with database.transaction() as session:
        unit = OrgUnitRow(code="D", name="区中心", kind="district")
        session.add(unit)
        session.flush()
        for i, (title, content, label, order_type) in enumerate(synthetic_messages(8, 11)):
            session.add(
                WorkOrderRow(
                    number=f"T{i:05d}",
                    title=title,
                    content=content,
                    order_type=order_type,
                    urgency="normal",
                    category_code=label,
                    status="closed" if i % 10 else "in_progress",
                    chain=[],
                    registered_unit_id=unit.id,
                    current_unit_id=unit.id,
                    registered_at=now,
                    closed_at=now + timedelta(days=1) if i % 10 else None,
                )
            )
    service = _service(database)

    data = service.closed_orders()
    version = service.train_from_db(TEST_ADMIN, folds=3, min_per_class=3)

    assert len(data) == 36  # 40 orders, every tenth still open
    assert version.source == "database:closed_orders(36)"
    assert set(version.labels) == set(SYNTHETIC_KEYWORDS)
    assert set(version.meta["order_types"]) == {"consult", "complaint"}


def test_training_from_an_empty_database_is_refused(database: Database) -> None:
    with pytest.raises(ValidationFailed, match="没有已归档"):
        _service(database).train_from_db(TEST_ADMIN)
