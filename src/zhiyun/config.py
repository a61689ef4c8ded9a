"""Typed settings, read from the environment (prefix ZHIYUN_) and command-line flags."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_PATH = Path("var/zhiyun.db")


class Settings(BaseSettings):
    """Site configuration. Every field can be set as ZHIYUN_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="ZHIYUN_", extra="ignore")

    database_url: str = Field(default=str(DEFAULT_SQLITE_PATH), description="SQLite path or database URL")
    attachment_dir: Path = Field(default=Path("var/attachments"))
    attachment_max_bytes: int = 20 * 1024 * 1024
    attachment_types: tuple[str, ...] = (
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "application/pdf",
        "audio/mpeg",
        "audio/wav",
        "audio/x-wav",
        "video/mp4",
        "text/plain",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/msword",
        "application/vnd.ms-excel",
    )
    order_number_prefix: str = "NH"
    session_days: int = 7
    cookie_secure: bool = False
    sweep_interval_seconds: int = 60
    # Open311 GeoReport v2 (docs/open311.md)
    open311_jurisdiction_id: str = "nanhai.gov.cn"
    open311_base_url: str | None = None
    open311_contact: str | None = None
    # Duplicates at intake: where and when to look, and the score thresholds (docs/dedupe.md).
    dedupe_radius_m: float = 300.0
    dedupe_window_days: float = 7.0
    dedupe_merge_threshold: float = 0.50
    dedupe_flag_threshold: float = 0.30
    # Automatic dispatch (docs/dispatch.md): the classifier's confidence an order needs to be
    # dispatched without a person, overridable per category code (JSON: {"CG0101": 0.5}).
    auto_dispatch: bool = True
    dispatch_threshold: float = Field(default=0.6, ge=0.0, le=1.0)
    # The knowledge base (docs/knowledge.md): the score a knowledge item needs for 小南 to answer
    # with it; None: the threshold chosen on the shipped evaluation set (knowledge/search.py).
    knowledge_answer_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    dispatch_category_thresholds: dict[str, float] = Field(default_factory=dict)
    # The accuracy automatic dispatch aims at (docs/classifier.md, "How the automatic-dispatch
    # threshold is chosen"): a model with a held-out calibration dispatches from the lowest
    # confidence whose decisions were right this often; an admin changes it in the console
    # (系统管理 → 智能分拨) or with `zhiyun model target`. The fixed threshold above is for models
    # without a calibration.
    dispatch_target_accuracy: float = Field(default=0.95, ge=0.5, le=0.999)
    # Console maps (docs/console.md): an optional tile layer on the intranet, e.g.
    # "http://tiles.example.gov/{z}/{x}/{y}.png"; without it the maps draw only vector layers.
    map_tile_url: str | None = None
    # Call recordings (docs/console.md): the address of a recording in the call center's
    # system, "{id}" standing for the recording id (URL-encoded), e.g.
    # "http://rec.example.gov/play/{id}"; without it the order page shows the id as text.
    recording_url: str | None = None
    # The classifier (docs/classifier.md): how often a process checks which model version is active.
    classifier_reload_seconds: float = Field(default=10.0, ge=0.0)
    # Login throttling (docs/operations.md, "Logins and API tokens"): failed password checks
    # per account name and per client address; see domain/throttle.py for the rules.
    login_account_free_failures: int = Field(default=5, ge=0)
    login_account_window_minutes: float = Field(default=15.0, gt=0)
    login_account_lock_minutes: float = Field(default=1.0, gt=0)
    login_account_max_lock_minutes: float = Field(default=30.0, gt=0)
    login_address_free_failures: int = Field(default=30, ge=0)
    login_address_window_minutes: float = Field(default=15.0, gt=0)
    login_address_lock_minutes: float = Field(default=15.0, gt=0)
    login_address_max_lock_minutes: float = Field(default=15.0, gt=0)
    # Password checks (argon2, ~0.5 s of CPU each) running at once in one process, and how
    # long an attempt waits for its turn before it is answered 429.
    login_concurrency: int = Field(default=2, ge=1)
    login_wait_seconds: float = Field(default=10.0, ge=0)
    # Load balancers in front of the API (addresses or networks, JSON: ["10.0.0.5"]): only
    # behind them is X-Forwarded-For believed (accounts/client_address.py).
    trusted_proxies: list[str] = Field(default_factory=list)
    # argon2id costs of password hashes (argon2-cffi's defaults): lower them only on a weak machine
    password_time_cost: int = Field(default=3, ge=1)
    password_memory_kib: int = Field(default=65536, ge=8)
    password_parallelism: int = Field(default=4, ge=1)
    # API tokens: lifetime when none is asked for, and the longest that may be asked for.
    token_days_default: int = Field(default=90, ge=1)
    token_days_max: int = Field(default=365, ge=1)
    # Sensing's MQTT broker (docs/sensing.md, "Connecting devices"): `zhiyun sensing consume`
    # takes alarms from `{prefix}/alarms/{source}/{device}` and heartbeats from
    # `{prefix}/heartbeats/{source}/{device}` with QoS 1 in a persistent session named by the
    # client id (one id per consumer: a second consumer with the same id takes the session over).
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = Field(default=1883, ge=1, le=65535)
    mqtt_username: str | None = None
    mqtt_password: str | None = None
    mqtt_tls: bool = False
    mqtt_client_id: str = Field(default="zhiyun-sensing", min_length=1, max_length=64)
    mqtt_topic_prefix: str = Field(default="zhiyun", pattern=r"^[A-Za-z0-9_\-/]{1,40}$")
    # MQTT 5 (Mosquitto 2, EMQX: the session's expiry and the consumer's receive window are
    # said at connect) or 3.1.1 (a persistent session by clean_session=false; the demo's broker)
    mqtt_protocol: Literal["5", "3.1.1"] = "5"
    # Sensing figures (docs/sensing.md, "统计与反馈 Figures"): a device, scene or algorithm version
    # whose precision (confirmed ÷ confirmed and false alarms) is below the floor on at least
    # the minimum of labels is flagged for the vendor.
    sensing_precision_floor: float = Field(default=0.6, ge=0.0, le=1.0)
    sensing_precision_min_labels: int = Field(default=20, ge=1)

    @field_validator("recording_url")
    @classmethod
    def _recording_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not value.lower().startswith(("http://", "https://")) or "{id}" not in value:
            raise ValueError("ZHIYUN_RECORDING_URL must be an http(s) address containing {id}")
        return value


def database_url(value: str | None = None) -> str:
    """A SQLAlchemy URL from `--db`, ZHIYUN_DATABASE_URL or the default SQLite file.

    A value with "://" is a URL (postgresql:// becomes postgresql+psycopg://); anything
    else is a SQLite file path.
    """
    raw = value or Settings().database_url
    if "://" in raw:
        if raw.startswith("postgresql://") or raw.startswith("postgres://"):
            return "postgresql+psycopg://" + raw.split("://", 1)[1]
        return raw
    if raw == ":memory:":
        return "sqlite://"
    path = Path(raw).expanduser().resolve()
    return f"sqlite:///{path}"
