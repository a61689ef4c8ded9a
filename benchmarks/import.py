"""Bulk import throughput: N generated historical orders from a CSV file, as `zhiyun import orders`.

The file (Chinese titles and contents, mobile and landline numbers, addresses and
coordinates for most orders, times over two years, statuses mostly closed, a few rows
broken on purpose) is generated into a temporary directory first; generating it is not
timed. The import then runs through the same use case as the CLI (BulkImporter.run with
the same mapping format), timed from opening the file to the last commit.

    python benchmarks/import.py                        # 1,000,000 orders, throwaway PostgreSQL
    python benchmarks/import.py --orders 100000
    python benchmarks/import.py --db sqlite:///var/bench.db --orders 50000
    python benchmarks/import.py --profile             # cProfile of the run, top functions on stderr

Without --db it creates a fresh PostgreSQL database next to ZHIYUN_BENCH_PG_URL (default
postgresql://postgres@127.0.0.1:5432/test), migrates it, loads a small org and drops it at
the end. On a database you name it adds its orders under channel "bench-<run id>".

Progress goes to stderr; the last line on stdout is one JSON object:
{"benchmark": "import", "orders_per_s": …, "orders": …, "seconds": …, "database": …, …}.
With `--baseline` it first measures the bare yardstick on a throwaway database
(`benchmarks/baseline.py`: COPY of as many order-like rows into a table with six secondary
indexes) and adds it and `ratio` (orders_per_s over it).
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import json
import os
import pstats
import random
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from benchmarks.baseline import yardstick
from benchmarks.support import admin_url, log, throwaway_postgres

from zhiyun.bootstrap import Services, build_services
from zhiyun.config import database_url
from zhiyun.domain.access import Actor, Role
from zhiyun.importer.mapping import DEFAULT_BATCH, ImportMapping
from zhiyun.importer.pipeline import BulkImporter
from zhiyun.importer.report import ImportProgress
from zhiyun.org.service import UnitRecord
from zhiyun.store.migrate import upgrade
from zhiyun.store.tables import OrgUnitRow, TransitionRow, WorkOrderRow

BENCH_ADMIN = Actor(user_id=None, role=Role.ADMIN, unit_id=None, name="基准测试")  # sets the stage up

TOWNS = [
    ("GC", "桂城街道", ["夏北社区", "平南社区", "叠滘社区", "东二社区"]),
    ("DL", "大沥镇", ["盐步社区", "黄岐社区", "凤池社区"]),
    ("LS", "里水镇", ["和顺社区", "里水社区", "洲村"]),
    ("XQ", "西樵镇", ["樵镇社区", "百西村"]),
    ("JJ", "九江镇", ["儒林社区", "沙头村"]),
    ("DZ", "丹灶镇", ["丹灶社区", "仙岗村"]),
    ("SS", "狮山镇", ["官窑社区", "小塘社区", "罗村社区"]),
]
DEPARTMENTS = [("ZJJ", "区住建局"), ("CGJ", "区城管局"), ("SJJ", "区市场监管局"), ("HBJ", "区环保局")]


def org_records() -> list[UnitRecord]:
    records = [UnitRecord("NH", "南海区", "district")]
    for code, name, villages in TOWNS:
        records.append(UnitRecord(code, name, "town", "NH"))
        for i, village in enumerate(villages, start=1):
            records.append(UnitRecord(f"{code}-{i:02d}", village, "village", code))
    records.extend(UnitRecord(code, name, "department", "NH") for code, name in DEPARTMENTS)
    return records


# --------------------------------------------------------------------------- the file

TOPICS = [
    ("垃圾堆积", "小区门口垃圾堆积多日无人清运，气味很大，影响居民出行，请尽快安排清理。", "环境卫生"),
    (
        "噪音扰民",
        "附近工地夜间施工噪音很大，晚上十一点后仍在作业，严重影响休息，希望相关部门核查。",
        "环境保护",
    ),
    ("占道经营", "路边流动摊贩占道经营，堵塞人行道，早晚高峰行人只能走机动车道，存在安全隐患。", "市容管理"),
    ("路灯不亮", "小区旁边道路的路灯已经坏了一个多星期，晚上一片漆黑，老人小孩出行不便。", "市政设施"),
    ("井盖缺失", "人行道上的井盖破损缺失，已经有人差点踩空，请尽快修复或设置警示标志。", "市政设施"),
    ("违章停车", "小区出入口长期有车辆乱停乱放，消防通道被占用，多次劝说无效。", "交通管理"),
    ("学位咨询", "孩子今年九月上小学，想咨询积分入学需要准备哪些材料，在哪里办理。", "教育"),
    ("医保缴费", "咨询城乡居民医保今年的缴费时间和缴费标准，在网上缴费失败怎么办。", "社会保障"),
    ("油烟扰民", "楼下餐馆油烟直排，没有安装净化设备，家里窗户都不敢开。", "环境保护"),
    ("道路积水", "下雨后路口积水严重，水深过膝，车辆和行人都无法通行，排水不畅。", "市政设施"),
    ("欠薪投诉", "在工厂上班三个月，老板拖欠工资一直不发，多次讨要无果，请求帮助。", "劳动保障"),
    ("违建举报", "小区楼顶有人私自搭建铁皮房，存在安全隐患，请执法部门查处。", "城乡建设"),
]
CHANNELS = ["12345"] * 7 + ["district_mayor", "grid", "110", "chengguan"]
TYPES = ["投诉"] * 4 + ["求助"] * 3 + ["咨询"] * 2 + ["建议", "举报"]
SURNAMES = "陈李黄张梁何林罗周吴郑谢冯邓区潘麦"
GIVEN = [
    "伟",
    "芳",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "志强",
]
ROADS = ["南海大道", "桂澜路", "海八路", "灯湖东路", "佛平路", "广佛路", "桃园路", "听音湖路"]
SATISFACTION = ["满意"] * 7 + ["基本满意"] * 2 + ["不满意", "联系不上", ""]
RESULTS = [
    "已安排人员现场处理完毕。",
    "经核查情况属实，已责令整改。",
    "已向市民解释相关政策。",
    "已转交属地跟进处理。",
]

HEADER = [
    "工单编号",
    "来源渠道",
    "标题",
    "诉求内容",
    "诉求类型",
    "紧急程度",
    "工单状态",
    "诉求人",
    "联系电话",
    "地址",
    "纬度",
    "经度",
    "登记时间",
    "办结时间",
    "满意度",
    "分类编码",
    "承办单位",
    "办理结果",
]

MAPPING = {
    "description": "benchmarks/import.py: a 12345 hotline export",
    "columns": {
        "external_id": "工单编号",
        "channel": "来源渠道",
        "title": "标题",
        "content": "诉求内容",
        "order_type": "诉求类型",
        "urgency": "紧急程度",
        "status": "工单状态",
        "citizen_name": "诉求人",
        "citizen_phone": "联系电话",
        "address": "地址",
        "latitude": "纬度",
        "longitude": "经度",
        "registered_at": "登记时间",
        "replied_at": "办结时间",
        "satisfaction": "满意度",
        "category_code": "分类编码",
        "responsible_unit": "承办单位",
        "result": "办理结果",
    },
    "value_maps": {"status": {"已办结": "closed", "已撤销": "cancelled", "待分拨": "pending_dispatch"}},
}


def generate(path: Path, count: int, run_id: str, *, seed: int = 20261126) -> int:
    """Write `count` orders (about 1 in 500 broken on purpose); returns how many are broken."""
    rng = random.Random(seed)
    units = [name for _, _, villages in TOWNS for name in villages] + [name for _, name, _ in TOWNS]
    units += [code for code, _ in DEPARTMENTS]
    start = datetime(2024, 11, 1, 8, 0, 0)
    span = int(timedelta(days=730).total_seconds())
    broken = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        rows = []
        for i in range(count):
            title, content, category = TOPICS[rng.randrange(len(TOPICS))]
            village = units[rng.randrange(len(units))]
            road = ROADS[rng.randrange(len(ROADS))]
            registered = start + timedelta(seconds=rng.randrange(span))
            status = "已办结" if rng.random() < 0.93 else ("已撤销" if rng.random() < 0.7 else "待分拨")
            replied = ""
            if status == "已办结":
                replied = (registered + timedelta(minutes=rng.randrange(30, 60 * 24 * 12))).strftime(
                    "%Y-%m-%d %H:%M:%S"
                )
            phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
            if rng.random() < 0.08:
                phone = f"0757-8{rng.randrange(10**6, 10**7)}"
            has_point = rng.random() < 0.6
            lat = f"{23.0 + rng.random() * 0.2:.6f}" if has_point else ""
            lon = f"{113.0 + rng.random() * 0.2:.6f}" if has_point else ""
            row = [
                f"{run_id}-{i:08d}",
                CHANNELS[rng.randrange(len(CHANNELS))],
                f"{village}{title}" if rng.random() < 0.5 else title,
                f"{road}{rng.randrange(1, 300)}号{village}附近，{content}",
                TYPES[rng.randrange(len(TYPES))],
                "紧急" if rng.random() < 0.05 else "一般",
                status,
                SURNAMES[rng.randrange(len(SURNAMES))] + GIVEN[rng.randrange(len(GIVEN))],
                phone,
                f"佛山市南海区{road}{rng.randrange(1, 300)}号",
                lat,
                lon,
                registered.strftime("%Y-%m-%d %H:%M:%S"),
                replied,
                SATISFACTION[rng.randrange(len(SATISFACTION))] if status == "已办结" else "",
                f"{category}-{rng.randrange(1, 20):02d}",
                village if status != "待分拨" else "",
                RESULTS[rng.randrange(len(RESULTS))] if status == "已办结" else "",
            ]
            if i % 500 == 499:  # a broken row: no title, a bad phone, or a point outside China
                broken += 1
                kind = (i // 500) % 3
                if kind == 0:
                    row[2] = ""
                elif kind == 1:
                    row[8] = "12-34"
                else:
                    row[10], row[11] = "0", "0"
            rows.append(row)
            if len(rows) >= 10_000:
                writer.writerows(rows)
                rows.clear()
        writer.writerows(rows)
    return broken


# --------------------------------------------------------------------------- databases


def prepare(services: Services) -> None:
    upgrade(services.db)
    with services.db.reading() as session:
        has_org = session.scalar(select(func.count()).select_from(OrgUnitRow)) or 0
    if not has_org:
        services.org.import_records(BENCH_ADMIN, org_records())
        log(f"created the org structure ({len(org_records())} units)")


# --------------------------------------------------------------------------- the run


def run(url: str, orders: int, batch: int, writers: int | None, profile: bool) -> dict[str, object]:
    run_id = uuid.uuid4().hex[:8]
    services = build_services(url)
    try:
        prepare(services)
        with tempfile.TemporaryDirectory(prefix="zhiyun-import-bench-") as tmp:
            path = Path(tmp) / "orders.csv"
            mapping_path = Path(tmp) / "mapping.json"
            mapping_path.write_text(json.dumps(MAPPING, ensure_ascii=False, indent=2), encoding="utf-8")
            log(f"generating {orders:,} orders into {path} …")
            started = time.perf_counter()
            broken = generate(path, orders, run_id)
            log(
                f"generated {path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - started:.1f} s "
                f"({broken} rows broken on purpose)"
            )
            with services.db.reading() as session:
                before = session.scalar(select(func.count()).select_from(WorkOrderRow)) or 0
            importer = BulkImporter(
                services.db, prefix=services.settings.order_number_prefix, writers=writers
            )
            last_log = [0.0]

            def progress(state: ImportProgress) -> None:
                now = time.perf_counter()
                if now - last_log[0] >= 5 or (state.size and state.position >= state.size):
                    last_log[0] = now
                    share = f"{100 * state.position / state.size:.0f}%" if state.size else ""
                    log(
                        f"  {share:>4} read {state.read:,}, imported {state.imported:,}, "
                        f"already {state.already_imported:,}, rejected {state.rejected:,}"
                    )

            log(f"importing (batches of {batch:,}, {importer.writers} writer(s)) …")
            profiler = cProfile.Profile() if profile else None
            if profiler is not None:
                profiler.enable()
            report = importer.run(
                path,
                ImportMapping.load(mapping_path),
                batch_size=batch,
                rejects_path=Path(tmp) / "rejects.csv",
                progress=progress,
            )
            if profiler is not None:
                profiler.disable()
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
                log(out.getvalue())
        with services.db.reading() as session:
            stored = (session.scalar(select(func.count()).select_from(WorkOrderRow)) or 0) - before
            audit = session.scalar(
                select(func.count()).select_from(TransitionRow).where(TransitionRow.action == "import")
            )
        log(
            f"imported {report.imported:,} orders in {report.seconds:.1f} s "
            f"({report.orders_per_s:,.0f} orders/s); rejected {report.rejected:,}; "
            f"{stored:,} new rows in work_order, {audit:,} import audit rows"
        )
        if report.imported + report.rejected != orders or stored != report.imported:
            raise SystemExit(f"counts do not add up: {report}")
        return {
            "benchmark": "import",
            "orders_per_s": round(report.orders_per_s, 1),
            "orders": report.imported,
            "rejected": report.rejected,
            "seconds": round(report.seconds, 2),
            "database": services.db.dialect,
            "batch": batch,
            "writers": importer.writers,
            "cpus": os.cpu_count(),
        }
    finally:
        services.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--orders", type=int, default=1_000_000, help="orders in the file (default 1,000,000)"
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=DEFAULT_BATCH,
        help=f"rows per batch (one transaction each; default {DEFAULT_BATCH:,})",
    )
    parser.add_argument(
        "--db", help="a database URL or SQLite path (default: a throwaway PostgreSQL database)"
    )
    parser.add_argument("--writers", type=int, help="writer connections (default 2 on PostgreSQL)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile summary to stderr")
    parser.add_argument(
        "--baseline", action="store_true", help="measure the bare indexed COPY first and report the ratio"
    )
    args = parser.parse_args(argv)
    if args.orders < 1 or args.batch < 1:
        parser.error("--orders and --batch must be positive")
    bare = yardstick("copy_indexed", rows=args.orders) if args.baseline else None
    if args.db:
        report = run(database_url(args.db), args.orders, args.batch, args.writers, args.profile)
    else:
        admin = admin_url()
        with throwaway_postgres(admin) as url:
            report = run(url, args.orders, args.batch, args.writers, args.profile)
    if bare is not None:
        orders_per_s = report["orders_per_s"]
        assert isinstance(orders_per_s, float)
        report.update(bare, ratio=round(orders_per_s / bare["copy_indexed_rows_per_s"], 3))
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
