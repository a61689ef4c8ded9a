"""Grid workers (网格员) in the database (SQLite and PostgreSQL): posts, what each worker sees,
counts per village, accounts added in bulk, a grid that workers still work, `zhiyun grid workers`.

The small district of tests/support.py with the four grids of 夏北社区 (GC-XB) and of 平南社区
(GC-PN).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher
from tests.support import (
    ONLY_SQLITE,
    PASSWORD,
    TEST_ADMIN,
    District,
    build_small_district_with_boundaries,
    grid_file,
)
from typer.testing import CliRunner, Result

from zhiyun.accounts.service import NewUser
from zhiyun.bootstrap import Services
from zhiyun.domain.access import Actor, Role
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.grid import WorkerKind
from zhiyun.geo.grids import GridFileRefused
from zhiyun.grid.workers import GridWorkerService, NewPost
from zhiyun.store.db import Database


@pytest.fixture
def district(services: Services) -> District:
    return build_small_district_with_boundaries(services)


def worker(
    services: Services, username: str, village: str, kind: WorkerKind, grid: str | None = None
) -> Actor:
    services.accounts.add_user(
        TEST_ADMIN, username=username, password=PASSWORD, role=Role.GRID_WORKER, unit_code=village
    )
    services.get(GridWorkerService).add_posts(TEST_ADMIN, [NewPost(username, village, kind, grid)])
    return services.accounts.user_by_name(username).actor()


def test_a_grid_worker_sees_only_their_grids_and_a_chief_the_whole_village(
    services: Services, district: District
) -> None:
    services.geo.import_grids(TEST_ADMIN, grid_file())
    workers = services.get(GridWorkerService)
    full = worker(services, "xb_2", "GC-XB", WorkerKind.FULL_TIME, "440605001001002")
    chief = worker(services, "pn_chief", "GC-PN", WorkerKind.CHIEF)
    codes = lambda grids: [g.code for g in grids]  # noqa: E731
    assert codes(workers.visible_grids(full)) == ["440605001001002"]
    assert codes(workers.visible_grids(chief)) == [f"440605001002{n:03d}" for n in range(1, 5)]
    assert codes(workers.visible_grids(district.actors["xiabei"])) == [
        f"440605001001{n:03d}" for n in range(1, 5)
    ]
    assert len(workers.visible_grids(district.actors["town"])) == 8
    assert workers.visible_grids(district.actors["yanbu"]) == []  # 盐步社区 has no grids
    assert len(workers.visible_grids(district.actors["leader"])) == 8
    # a worker's grids, as far as the reader may see them
    assert codes(workers.assigned_grids(full, full.user_id or 0)) == ["440605001001002"]
    assert workers.assigned_grids(district.actors["pingnan"], full.user_id or 0) == []
    assert len(workers.assigned_grids(TEST_ADMIN, chief.user_id or 0)) == 4


def test_posts_are_checked_and_a_village_has_one_chief(services: Services, district: District) -> None:
    services.geo.import_grids(TEST_ADMIN, grid_file())
    workers = services.get(GridWorkerService)
    worker(services, "xb_chief", "GC-XB", WorkerKind.CHIEF)
    services.accounts.add_user(
        TEST_ADMIN, username="xb_new", password=PASSWORD, role=Role.GRID_WORKER, unit_code="GC-XB"
    )
    with pytest.raises(ValidationFailed) as refused:
        workers.add_posts(
            TEST_ADMIN,
            [
                NewPost("xb_new", "GC-XB", WorkerKind.CHIEF),
                NewPost("xb_new", "GC-XB", WorkerKind.FULL_TIME, "440605001002001"),
                NewPost("xiabei", "GC-XB", WorkerKind.PART_TIME, "440605001001001"),
                NewPost("nobody", "GC-XX", WorkerKind.PART_TIME, "440605001001001"),
                NewPost("xb_new", "GC-XB", WorkerKind.CHIEF, "440605001001001"),
            ],
        )
    assert refused.value.details["problems"] == [
        "第 1 条（xb_new）：夏北社区已有网格长",
        "第 2 条（xb_new）：网格 440605001002001 不属于夏北社区",
        "第 3 条（xiabei）：用户角色须为网格员（grid_worker），实为 handler",
        "第 4 条（nobody）：用户不存在",
        "第 4 条（nobody）：村居 GC-XX 不存在",
        "第 5 条（xb_new）：网格长负责整个村居，不指定网格",
    ]
    assert (
        workers.add_posts(TEST_ADMIN, [NewPost("xb_new", "GC-XB", WorkerKind.PART_TIME, "440605001001001")])
        == 1
    )
    assert (
        workers.add_posts(TEST_ADMIN, [NewPost("xb_new", "GC-XB", WorkerKind.PART_TIME, "440605001001001")])
        == 0
    )


def test_village_counts_are_per_village_the_reader_may_see(services: Services, district: District) -> None:
    services.geo.import_grids(TEST_ADMIN, grid_file())
    worker(services, "xb_chief", "GC-XB", WorkerKind.CHIEF)
    worker(services, "xb_1", "GC-XB", WorkerKind.FULL_TIME, "440605001001001")
    worker(services, "xb_1b", "GC-XB", WorkerKind.PART_TIME, "440605001001001")
    counts = {c.village_code: c for c in services.get(GridWorkerService).village_counts(TEST_ADMIN)}
    assert set(counts) == {"GC-XB", "GC-PN", "DL-YB"}
    xb = counts["GC-XB"]
    assert (xb.grids, xb.full_time, xb.part_time, xb.chiefs, xb.workers, xb.town_name) == (
        4,
        1,
        1,
        1,
        3,
        "桂城街道",
    )
    assert counts["DL-YB"].grids == 0
    mine = services.get(GridWorkerService).village_counts(district.actors["pingnan"])
    assert [c.village_code for c in mine] == ["GC-PN"]


def test_many_users_are_added_at_once_with_one_hash_or_none_at_all(
    services: Services, district: District
) -> None:
    shared = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("shared-password-1")
    created = services.accounts.add_users(
        TEST_ADMIN,
        [NewUser(f"w{n}", Role.GRID_WORKER, "GC-XB", f"网格员{n}") for n in range(50)],
        password_hash=shared,
    )
    assert len(created) == 50
    assert services.accounts.authenticate("w7", "shared-password-1").unit_name == "夏北社区"
    with pytest.raises(ValidationFailed) as refused:
        services.accounts.add_users(
            TEST_ADMIN,
            [
                NewUser("w1", Role.GRID_WORKER, "GC-XB"),
                NewUser("x y", "grid_worker", "GC-XB"),
                NewUser("z1", "system", "NOPE"),
            ],
            password_hash=shared,
        )
    message = refused.value.message
    assert "用户名 w1 已存在" in message and "x y：用户名须为" in message
    assert "z1：未知角色 system" in message and "组织单位编码 NOPE 不存在" in message
    assert services.accounts.user_by_name("w49").display_name == "网格员49"
    with pytest.raises(ValidationFailed, match="argon2"):
        services.accounts.add_users(
            TEST_ADMIN, [NewUser("w99", Role.GRID_WORKER, "GC-XB")], password_hash="plain"
        )


def test_replace_is_refused_while_grid_workers_work_the_grid(services: Services, district: District) -> None:
    services.geo.import_grids(TEST_ADMIN, grid_file(("GC-XB",)))
    worker(services, "xb_4", "GC-XB", WorkerKind.FULL_TIME, "440605001001004")
    with pytest.raises(GridFileRefused, match="网格员 1 条"):
        services.geo.import_grids(
            TEST_ADMIN, grid_file(("GC-XB",), skip=("440605001001004",)), replace=True, strict=False
        )


# --------------------------------------------------------------------------- the command line

runner = CliRunner()


def grid_cli(db: Database, *args: str) -> Result:
    from zhiyun.grid.cli import grid_app

    return runner.invoke(grid_app, [*args, "--db", db.url])


@ONLY_SQLITE
def test_cli_lists_grid_workers_per_village(services: Services, district: District) -> None:
    services.geo.import_grids(TEST_ADMIN, grid_file())
    worker(services, "xb_chief", "GC-XB", WorkerKind.CHIEF)
    worker(services, "xb_1", "GC-XB", WorkerKind.FULL_TIME, "440605001001001")
    result = grid_cli(services.db, "workers")
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if "GC-XB" in line)
    assert [cell.strip() for cell in line.strip("│ ").split("│")] == [
        "桂城街道",
        "夏北社区",
        "GC-XB",
        "4",
        "1",
        "0",
        "1",
        "2",
    ]
    assert "3 个村居" in result.output


def _accounts(services: Services, *names: str) -> None:
    for name in names:
        services.accounts.add_user(
            TEST_ADMIN, username=name, password=PASSWORD, role=Role.GRID_WORKER, unit_code="GC-XB"
        )


@ONLY_SQLITE
def test_cli_posts_grid_workers_from_a_file_all_or_nothing(
    services: Services, district: District, tmp_path: Path
) -> None:
    services.geo.import_grids(TEST_ADMIN, grid_file())
    _accounts(services, "xb_chief", "xb_1", "xb_2")
    good = tmp_path / "posts.csv"
    good.write_text(
        "用户名,村居,类型,网格编码,起始日期\n"
        "xb_chief,GC-XB,网格长,,2026-12-01\n"
        "xb_1,GC-XB,专职网格员,440605001001001,\n"
        "xb_2,GC-XB,part_time,440605001001002,\n",
        encoding="utf-8-sig",
    )
    first = grid_cli(services.db, "post", str(good))
    assert first.exit_code == 0, first.output
    assert "新设岗位 3 个" in first.output
    again = grid_cli(services.db, "post", str(good))
    assert again.exit_code == 0 and "新设岗位 0 个" in again.output
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "username,village,kind,grid\nxb_2,GC-XB,专职网格员,440605001002001\nxb_1,GC-XB,队长,440605001001001\n",
        encoding="gb18030",
    )
    refused = grid_cli(services.db, "post", str(bad))
    assert refused.exit_code == 1 and "第 3 行" in refused.output and "队长" in refused.output
    wrong_grid = tmp_path / "wrong.csv"
    wrong_grid.write_text(
        "username,village,kind,grid\nxb_2,GC-XB,专职网格员,440605001002001\n", encoding="utf-8"
    )
    refused = grid_cli(services.db, "post", str(wrong_grid))
    assert refused.exit_code == 1 and "不属于夏北社区" in refused.output
    counts = next(
        v for v in services.get(GridWorkerService).village_counts(TEST_ADMIN) if v.village_code == "GC-XB"
    )
    assert (counts.chiefs, counts.full_time, counts.part_time) == (1, 1, 1)
