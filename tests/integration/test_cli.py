"""The `zhiyun` command line on a temporary SQLite file, through typer's CliRunner."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from zhiyun.bootstrap import build_services
from zhiyun.cli import support as cli_support
from zhiyun.cli.main import app
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.intake.channel_service import ChannelKeyRejected
from zhiyun.intake.channels import CHANNEL_SPECS

runner = CliRunner()

UNITS_CSV = """code,name,kind,parent_code,aliases
NH,南海区,district,,南海
GC,桂城街道,town,NH,桂城|桂城街
GC-XB,夏北社区,village,GC,夏北
GC-CG,桂城街道城管办,office,GC,
ZJJ,区住建局,department,NH,住建局
ZJJ-ZF,区住建局执法大队,department,ZJJ,
"""


def zhiyun(db: Path | str, *args: str, input: str | None = None) -> Result:
    return runner.invoke(app, [*args, "--db", str(db)], input=input)


def last_line(result: Result) -> str:
    return result.stdout.strip().splitlines()[-1]


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "cli.db"
    result = zhiyun(path, "db", "upgrade")
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def district_db(db: Path, tmp_path: Path) -> Path:
    units = tmp_path / "units.csv"
    units.write_text(UNITS_CSV, encoding="utf-8")
    assert zhiyun(db, "org", "import", str(units)).exit_code == 0
    return db


# --------------------------------------------------------------------------- db


def test_db_upgrade_can_run_again_and_current_reports_the_head(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    first = zhiyun(path, "db", "upgrade")
    assert first.exit_code == 0, first.output
    assert "空库 →" in first.stdout
    again = zhiyun(path, "db", "upgrade")
    assert again.exit_code == 0, again.output
    assert "已是最新版本" in again.stdout
    current = zhiyun(path, "db", "current")
    assert current.exit_code == 0
    assert "结构已是最新" in current.stdout


def test_db_current_on_an_empty_database_says_to_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    result = zhiyun(path, "db", "current")
    assert result.exit_code == 0
    assert "zhiyun db upgrade" in result.stdout


def test_a_command_on_a_missing_database_file_fails_with_a_message(tmp_path: Path) -> None:
    missing = tmp_path / "nope.db"
    result = zhiyun(missing, "user", "list")
    assert result.exit_code == 1
    assert "数据库文件不存在" in result.stderr
    assert not missing.exists()
    no_traceback(result)


def test_a_command_on_an_unmigrated_database_says_to_run_db_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "blank.db"
    sqlite3.connect(path).close()
    result = zhiyun(path, "sweep")
    assert result.exit_code == 1
    assert "zhiyun db upgrade" in result.stderr
    no_traceback(result)


def test_serve_refuses_a_database_that_is_not_migrated(tmp_path: Path) -> None:
    path = tmp_path / "blank.db"
    sqlite3.connect(path).close()
    result = zhiyun(path, "serve", "--port", "8999")
    assert result.exit_code == 1
    assert "请先运行 `zhiyun db upgrade`" in result.stderr
    no_traceback(result)


def test_db_falls_back_to_zhiyun_database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "env.db"
    monkeypatch.setenv("ZHIYUN_DATABASE_URL", str(path))
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert path.exists()


# --------------------------------------------------------------------------- org


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_org_export_then_import_into_another_database_round_trips(
    fmt: str, district_db: Path, tmp_path: Path
) -> None:
    exported = tmp_path / f"units.{fmt}"
    result = zhiyun(district_db, "org", "export", "--format", fmt, "--output", str(exported))
    assert result.exit_code == 0, result.output
    if fmt == "json":
        units = json.loads(exported.read_text(encoding="utf-8"))["units"]
        assert {u["code"] for u in units} == {"NH", "GC", "GC-XB", "GC-CG", "ZJJ", "ZJJ-ZF"}
        assert next(u for u in units if u["code"] == "GC")["aliases"] == ["桂城", "桂城街"]

    other = tmp_path / "other.db"
    assert zhiyun(other, "db", "upgrade").exit_code == 0
    imported = zhiyun(other, "org", "import", str(exported))
    assert imported.exit_code == 0, imported.output
    assert "新增(created) 6" in imported.stdout
    again = zhiyun(other, "org", "import", str(exported))
    assert "新增(created) 0，更新(updated) 0，未变(unchanged) 6" in again.stdout

    first = zhiyun(district_db, "org", "export", "--format", fmt)
    second = zhiyun(other, "org", "export", "--format", fmt)
    assert first.exit_code == second.exit_code == 0
    assert first.stdout == second.stdout


def test_org_import_reports_updates(district_db: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(UNITS_CSV.replace("夏北社区,village", "夏北社区居委会,village"), encoding="utf-8")
    result = zhiyun(district_db, "org", "import", str(renamed))
    assert result.exit_code == 0
    assert "更新(updated) 1" in result.stdout
    assert "未变(unchanged) 5" in result.stdout


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("X1,某村,village,NOPE,", "上级单位编码不存在：X1"),
        ("X1,某村,hamlet,GC,", "未知类型 'hamlet'"),
    ],
)
def test_org_import_of_a_bad_file_fails_and_imports_nothing(
    db: Path, tmp_path: Path, row: str, message: str
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(UNITS_CSV + row + "\n", encoding="utf-8")
    result = zhiyun(db, "org", "import", str(bad))
    assert result.exit_code == 1
    assert message in result.stderr
    no_traceback(result)
    export = zhiyun(db, "org", "export")
    assert export.stdout.strip() == "code,name,kind,parent_code,aliases"


def test_org_import_of_a_missing_file_is_a_clear_error(db: Path, tmp_path: Path) -> None:
    result = zhiyun(db, "org", "import", str(tmp_path / "missing.csv"))
    assert result.exit_code == 1
    assert "文件不存在" in result.stderr


def test_org_import_of_a_directory_is_a_clear_error(db: Path, tmp_path: Path) -> None:
    folder = tmp_path / "units.csv"
    folder.mkdir()
    result = zhiyun(db, "org", "import", str(folder))
    assert result.exit_code == 1
    assert str(folder) in result.stderr
    no_traceback(result)


def test_org_import_with_an_unknown_format_is_a_usage_error(db: Path, tmp_path: Path) -> None:
    result = zhiyun(db, "org", "import", str(tmp_path / "units.csv"), "--format", "xml")
    assert result.exit_code == 2


# --------------------------------------------------------------------------- users


def test_user_add_then_list_shows_the_user(district_db: Path) -> None:
    result = zhiyun(
        district_db, "user", "add", "gc_dispatcher", "--role", "dispatcher", "--unit", "GC",
        "--name", "梁淑仪", "--password", "a-long-password",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "已创建用户 gc_dispatcher" in result.stdout
    listed = zhiyun(district_db, "user", "list")
    assert listed.exit_code == 0
    assert "gc_dispatcher" in listed.stdout
    assert "梁淑仪" in listed.stdout


def test_user_add_prompts_for_the_password_twice(district_db: Path) -> None:
    result = zhiyun(
        district_db, "user", "add", "xiabei", "--role", "handler", "--unit", "GC-XB",
        input="secret-password\nsecret-password\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "secret-password" not in result.output  # hidden input
    services = build_services(str(district_db))
    try:
        assert services.accounts.authenticate("xiabei", "secret-password").role == "handler"
    finally:
        services.close()


def test_user_add_with_an_unknown_role_fails(district_db: Path) -> None:
    result = zhiyun(district_db, "user", "add", "bob", "--role", "chief", "--password", "a-long-password")
    assert result.exit_code != 0
    assert "chief" in result.output
    no_traceback(result)


def test_user_add_with_an_unknown_unit_or_a_short_password_fails_with_the_message(district_db: Path) -> None:
    unknown = zhiyun(
        district_db, "user", "add", "bob", "--role", "handler", "--unit", "XX", "--password", "long-enough"
    )
    assert unknown.exit_code == 1
    assert "组织单位编码 XX 不存在" in unknown.stderr
    short = zhiyun(
        district_db, "user", "add", "bob", "--role", "handler", "--unit", "GC", "--password", "short"
    )
    assert short.exit_code == 1
    assert "密码至少" in short.stderr
    duplicate_args = ("user", "add", "amy", "--role", "leader", "--password", "long-enough")
    assert zhiyun(district_db, *duplicate_args).exit_code == 0
    duplicate = zhiyun(district_db, *duplicate_args)
    assert duplicate.exit_code == 1
    assert "已存在" in duplicate.stderr


def test_user_token_prints_a_working_bearer_token_as_its_last_line(district_db: Path) -> None:
    zhiyun(
        district_db,
        "user",
        "add",
        "gateway",
        "--role",
        "dispatcher",
        "--unit",
        "NH",
        "--password",
        "long-enough",
    )
    result = zhiyun(district_db, "user", "token", "gateway", "--name", "12345-gateway")
    assert result.exit_code == 0, result.output
    token = last_line(result)
    assert token.startswith("zy_")
    services = build_services(str(district_db))
    try:
        assert services.accounts.user_for_token(token).username == "gateway"
    finally:
        services.close()


def test_user_token_for_an_unknown_user_fails(district_db: Path) -> None:
    result = zhiyun(district_db, "user", "token", "ghost", "--name", "x")
    assert result.exit_code == 1
    assert "用户 ghost 不存在" in result.stderr


# --------------------------------------------------------------------------- channels


def test_channel_key_prints_a_working_key_last_and_the_list_shows_its_delivery(
    district_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = zhiyun(district_db, "channel", "key", "police_110")
    assert result.exit_code == 0, result.output
    key = last_line(result)
    assert key.startswith("zyk_")
    services = build_services(str(district_db))
    try:
        payload = CHANNEL_SPECS["police_110"].example
        services.intake.receive("police_110", payload, key=key)
        assert services.channels.get("police_110").received_in_window == 1
    finally:
        services.close()
    monkeypatch.setattr(cli_support.console, "width", 200)  # one table row per line, in any terminal
    listed = zhiyun(district_db, "channel", "list")
    assert listed.exit_code == 0, listed.output
    rows = {line.split("│")[1].strip(): line for line in listed.stdout.splitlines() if line.startswith("│")}
    assert f"{datetime.now(LOCAL_TZ):%Y-%m-%d}" in rows["police_110"]
    assert "从未来件" in rows["grid"]
    assert "人工登记，不经接口" in rows["manual"]


def test_channel_key_for_an_unknown_or_the_manual_channel_fails_with_a_message(db: Path) -> None:
    unknown = zhiyun(db, "channel", "key", "wechat")
    assert unknown.exit_code == 1 and "渠道 wechat 不存在" in unknown.stderr
    manual = zhiyun(db, "channel", "key", "manual")
    assert manual.exit_code == 1 and "不能签发密钥" in manual.stderr
    no_traceback(manual)


def test_channel_revoke_refuses_the_key_afterwards(db: Path) -> None:
    key = last_line(zhiyun(db, "channel", "key", "iot"))
    revoked = zhiyun(db, "channel", "revoke", "iot")
    assert revoked.exit_code == 0 and "已吊销 1 个密钥" in revoked.stdout
    services = build_services(str(db))
    try:
        with pytest.raises(ChannelKeyRejected):
            services.intake.receive("iot", CHANNEL_SPECS["iot"].example, key=key)
    finally:
        services.close()


# --------------------------------------------------------------------------- calendar


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        ("2026-09-30", "1", "2026-10-08"),  # National Day and Mid-Autumn Festival
        ("2026-02-13", "1", "2026-02-14"),  # a Saturday that is a make-up workday (调休)
        ("2026-02-13", "0", "2026-02-13"),
    ],
)
def test_calendar_add_workdays_prints_the_date_last(db: Path, start: str, count: str, expected: str) -> None:
    result = zhiyun(db, "calendar", "add-workdays", start, count)
    assert result.exit_code == 0, result.output
    assert last_line(result) == expected


def test_calendar_add_workdays_beyond_the_known_years_is_a_clear_error(db: Path) -> None:
    result = zhiyun(db, "calendar", "add-workdays", "2026-12-30", "5")
    assert result.exit_code == 1
    assert "2027" in result.stderr
    assert "zhiyun calendar confirm 2027" in result.stderr
    no_traceback(result)


def test_calendar_set_and_confirm_a_new_year_then_counting_across_it_works(db: Path) -> None:
    result = zhiyun(db, "calendar", "set", "2027-02-07", "workday", "--note", "春节调休")
    assert result.exit_code == 0, result.output
    assert "尚未确认" in result.stdout
    assert zhiyun(db, "calendar", "add-workdays", "2027-02-05", "1").exit_code == 1

    assert zhiyun(db, "calendar", "confirm", "2027").exit_code == 0
    across_sunday = zhiyun(db, "calendar", "add-workdays", "2027-02-05", "1")
    assert across_sunday.exit_code == 0, across_sunday.output
    assert last_line(across_sunday) == "2027-02-07"  # Saturday off, Sunday a make-up workday
    across_new_year = zhiyun(db, "calendar", "add-workdays", "2026-12-31", "1")
    assert last_line(across_new_year) == "2027-01-04"  # New Year's Day, then the weekend

    shown = zhiyun(db, "calendar", "show", "2027")
    assert shown.exit_code == 0
    assert "2027-02-07" in shown.stdout
    assert "春节调休" in shown.stdout
    assert "管理员确认：2027" in shown.stdout

    cleared = zhiyun(db, "calendar", "set", "2027-02-07", "default")
    assert cleared.exit_code == 0
    # back to a plain Sunday: the next working day comes later (when depends on the package's 2027 data)
    assert last_line(zhiyun(db, "calendar", "add-workdays", "2027-02-05", "1")) > "2027-02-07"


def test_calendar_set_with_a_bad_date_or_kind_is_a_usage_error(db: Path) -> None:
    assert zhiyun(db, "calendar", "set", "2027-02-30", "workday").exit_code == 2
    assert zhiyun(db, "calendar", "set", "2027-02-07", "party").exit_code == 2


# --------------------------------------------------------------------------- limits and sweep


def test_limits_show_lists_the_guangdong_defaults(db: Path) -> None:
    result = zhiyun(db, "limits", "show")
    assert result.exit_code == 0
    assert "15:workdays" in result.stdout
    assert "24:hours" in result.stdout


def test_limits_set_changes_one_limit_and_keeps_the_other(db: Path) -> None:
    result = zhiyun(db, "limits", "set", "complaint", "normal", "--reply", "12:workdays")
    assert result.exit_code == 0, result.output
    services = build_services(str(db))
    try:
        limit = next(
            t for t in services.policy.time_limits() if (t.order_type, t.urgency) == ("complaint", "normal")
        )
    finally:
        services.close()
    assert (limit.reply.amount, limit.reply.unit.value) == (12, "workdays")
    assert (limit.sign.amount, limit.sign.unit.value) == (1, "workdays")


@pytest.mark.parametrize("value", ["2:days", "zero:hours", "0:hours"])
def test_limits_set_with_a_malformed_limit_is_a_usage_error(db: Path, value: str) -> None:
    result = zhiyun(db, "limits", "set", "help", "urgent", "--sign", value)
    assert result.exit_code == 2


def test_sweep_prints_what_it_did(db: Path) -> None:
    result = zhiyun(db, "sweep")
    assert result.exit_code == 0, result.output
    assert "预警 0，超时 0，催办通知 0" in result.stdout


def test_worker_refuses_a_database_that_is_not_migrated(tmp_path: Path) -> None:
    path = tmp_path / "blank.db"
    sqlite3.connect(path).close()
    result = zhiyun(path, "worker", "--interval", "1")
    assert result.exit_code == 1
    assert "zhiyun db upgrade" in result.stderr


# --------------------------------------------------------------------------- serving


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_healthz_on_a_migrated_database(db: Path, tmp_path: Path) -> None:
    pytest.importorskip("zhiyun.api.app")
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "zhiyun.cli.main", "serve", "--port", str(port), "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.communicate()[0]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                    assert json.loads(response.read()) == {"status": "ok", "database": "ok"}
                    break
            except OSError:
                assert time.monotonic() < deadline, "zhiyun serve did not answer"
                time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=30)[0]
    assert proc.returncode == 0, output
    assert "Traceback" not in output


def test_demo_on_a_busy_port_fails_at_once_with_a_message(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(app, ["demo", "--port", str(port), "--db", str(tmp_path / "demo.db")])
    assert result.exit_code == 1
    assert f"端口 {port} 已被占用" in result.stderr
    assert not (tmp_path / "demo.db").exists()


def test_demo_refuses_a_database_with_a_real_org_structure(db: Path, tmp_path: Path) -> None:
    units = tmp_path / "units.csv"
    units.write_text(UNITS_CSV.replace("GC-XB,夏北社区", "GC-QQ,某某社区"), encoding="utf-8")
    assert zhiyun(db, "org", "import", str(units)).exit_code == 0
    result = runner.invoke(app, ["demo", "--port", str(_free_port()), "--db", str(db)])
    assert result.exit_code == 1
    assert "非演示的组织单位（GC-QQ" in result.stderr
    assert "zhiyun demo 只用于演示数据库" in result.stderr


def test_after_the_demo_seeds_commands_without_db_see_its_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make demo`, then `zhiyun channel list` in the same directory: no --db needed (issue 15).

    The demo runs for real up to the server, which is stubbed, on a smaller seed; then the
    commands run without --db, then with ZHIYUN_DATABASE_URL (which wins over the default).
    """
    import types

    import uvicorn

    from zhiyun.demo import dispatch_setup
    from zhiyun.demo import orders as demo_orders
    from zhiyun.demo.district import sim_users
    from zhiyun.demo.district import users as demo_users

    real_seed = demo_orders.seed_orders
    monkeypatch.setattr(
        demo_orders, "seed_orders", lambda services, progress=None: real_seed(services, count=12)
    )
    monkeypatch.setattr(
        dispatch_setup, "ensure_dispatch", lambda _s: types.SimpleNamespace(summary=lambda: "智能分拨：略")
    )
    monkeypatch.setattr(uvicorn, "run", lambda *_a, **_k: None)
    monkeypatch.delenv("ZHIYUN_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)

    demo = runner.invoke(app, ["demo", "--port", str(_free_port()), "--no-traffic"])
    assert demo.exit_code == 0, demo.output
    assert (tmp_path / "var" / "zhiyun.db").exists()
    assert f"演示数据库：sqlite:///{tmp_path / 'var' / 'zhiyun.db'}" in demo.stdout.replace("\n", "")
    assert "命令行（在本目录运行，默认即演示数据库）：zhiyun channel list；zhiyun user list\n" in demo.stdout
    assert "--db" not in demo.stdout

    users = runner.invoke(app, ["user", "list"])
    assert users.exit_code == 0, users.output
    from zhiyun.demo.grids import DEMO_GRID_WORKERS
    from zhiyun.domain.access import Role

    # the demo's people, the simulator's, and the grid workers (one of whom is among the people)
    people = demo_users()
    named_workers = sum(1 for u in people if u.role is Role.GRID_WORKER)
    accounts = f"用户（{len(people) + len(sim_users()) + DEMO_GRID_WORKERS - named_workers}）"
    assert accounts in users.stdout
    channels = runner.invoke(app, ["channel", "list"])
    assert channels.exit_code == 0, channels.output
    assert "12345" in channels.stdout and "从未来件" in channels.stdout

    # ZHIYUN_DATABASE_URL, then --db, take precedence over the default file
    other = tmp_path / "other.db"
    assert zhiyun(other, "db", "upgrade").exit_code == 0
    monkeypatch.setenv("ZHIYUN_DATABASE_URL", str(other))
    elsewhere = runner.invoke(app, ["user", "list"])
    assert elsewhere.exit_code == 0 and "用户（0）" in elsewhere.stdout
    assert accounts in runner.invoke(app, ["user", "list", "--db", "var/zhiyun.db"]).stdout
    # the demo itself keeps its own file and says what the commands need
    again = runner.invoke(app, ["demo", "--port", str(_free_port()), "--no-traffic"])
    assert again.exit_code == 0, again.output
    assert "沿用已有演示数据" in again.stdout
    assert (
        "用户（0）" in runner.invoke(app, ["user", "list"]).stdout
    )  # nothing seeded into ZHIYUN_DATABASE_URL
    assert "ZHIYUN_DATABASE_URL" in again.stderr and "--db var/zhiyun.db" in again.stderr
    assert "zhiyun user list --db var/zhiyun.db" in again.stdout
