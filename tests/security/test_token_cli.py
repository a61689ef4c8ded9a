"""`zhiyun user tokens` and `zhiyun user revoke` on a temporary SQLite file (security probe F6)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from zhiyun.accounts.service.credentials import AuthenticationFailed
from zhiyun.bootstrap import build_services
from zhiyun.cli import support as cli_support
from zhiyun.cli.main import app

runner = CliRunner()


def zhiyun(db: Path, *args: str) -> Result:
    return runner.invoke(app, [*args, "--db", str(db)])


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(cli_support.console, "width", 200)  # one table row per line
    path = tmp_path / "cli.db"
    assert zhiyun(path, "db", "upgrade").exit_code == 0
    for name in ("gateway", "other"):
        added = zhiyun(path, "user", "add", name, "--role", "admin", "--password", "long-enough")
        assert added.exit_code == 0, added.output
    return path


def token(db: Path, user: str, name: str) -> str:
    result = zhiyun(db, "user", "token", user, "--name", name)
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


def token_rows(result: Result) -> dict[str, list[str]]:
    """The table's rows by token id: the cells of each line that starts with │."""
    rows = {}
    for line in result.stdout.splitlines():
        if line.startswith("│"):
            cells = [c.strip() for c in line.strip("│").split("│")]
            if cells[0].isdigit():
                rows[cells[0]] = cells
    return rows


def works(db: Path, secret: str) -> bool:
    services = build_services(str(db))
    try:
        services.accounts.user_for_token(secret)
        return True
    except AuthenticationFailed:
        return False
    finally:
        services.close()


def test_user_token_without_days_prints_an_expiry_not_forever(db: Path) -> None:
    result = zhiyun(db, "user", "token", "gateway", "--name", "12345-gateway")
    assert result.exit_code == 0
    assert "长期有效" not in result.output and "有效期：20" in result.output
    too_long = zhiyun(db, "user", "token", "gateway", "--name", "x", "--days", "400")
    assert too_long.exit_code == 1 and "令牌有效天数须为 1–365 天" in too_long.stderr


def test_user_tokens_lists_the_live_tokens_without_their_secret(db: Path) -> None:
    first, second = token(db, "gateway", "12345-gateway"), token(db, "gateway", "grid-platform")
    token(db, "other", "not-gateway")
    listed = zhiyun(db, "user", "tokens", "gateway")
    assert listed.exit_code == 0, listed.output
    rows = token_rows(listed)
    assert sorted(r[1] for r in rows.values()) == ["12345-gateway", "grid-platform"]
    assert first not in listed.output and second not in listed.output
    assert {r[2] for r in rows.values()} == {first[:10], second[:10]}
    assert all(r[5] == "从未使用" and r[6] == "有效" for r in rows.values())


def test_user_revoke_revokes_one_token_at_once_and_all_lists_it_as_revoked(db: Path) -> None:
    kept, dropped = token(db, "gateway", "kept"), token(db, "gateway", "dropped")
    rows = token_rows(zhiyun(db, "user", "tokens", "gateway"))
    (dropped_id,) = [i for i, r in rows.items() if r[1] == "dropped"]

    result = zhiyun(db, "user", "revoke", "gateway", dropped_id)
    assert result.exit_code == 0, result.output
    assert f"已吊销 gateway 的令牌 {dropped_id}「dropped」" in result.stdout
    assert not works(db, dropped) and works(db, kept)
    assert [r[1] for r in token_rows(zhiyun(db, "user", "tokens", "gateway")).values()] == ["kept"]
    everything = token_rows(zhiyun(db, "user", "tokens", "gateway", "--all"))
    assert everything[dropped_id][6].startswith("已吊销")


def test_user_revoke_all_revokes_every_token_of_that_user_only(db: Path) -> None:
    mine = [token(db, "gateway", f"t{i}") for i in range(3)]
    theirs = token(db, "other", "theirs")
    result = zhiyun(db, "user", "revoke", "gateway", "--all")
    assert result.exit_code == 0, result.output
    assert "已吊销 gateway 的 3 个有效令牌" in result.stdout
    assert not any(works(db, t) for t in mine) and works(db, theirs)


def test_user_revoke_refuses_another_users_token_an_unknown_user_and_a_bad_call(db: Path) -> None:
    token(db, "other", "theirs")
    (their_id,) = token_rows(zhiyun(db, "user", "tokens", "other"))
    foreign = zhiyun(db, "user", "revoke", "gateway", their_id)
    assert foreign.exit_code == 1 and "令牌不存在" in foreign.stderr
    unknown = zhiyun(db, "user", "tokens", "ghost")
    assert unknown.exit_code == 1 and "用户 ghost 不存在" in unknown.stderr
    neither = zhiyun(db, "user", "revoke", "gateway")
    assert neither.exit_code == 2 and "--all" in neither.stderr
    both = zhiyun(db, "user", "revoke", "gateway", their_id, "--all")
    assert both.exit_code == 2
    huge = zhiyun(db, "user", "revoke", "gateway", "99999999999999999999")
    assert huge.exit_code == 2
    for result in (foreign, unknown, neither, both, huge):
        no_traceback(result)
