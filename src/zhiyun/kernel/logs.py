"""Logs without citizens' personal data.

The database driver is told to keep bound parameters out of its errors (`hide_parameters`,
zhiyun.store.db), but a log line can still carry a citizen's number: a database error
quotes the value it choked on, an exception message repeats its input. `PersonalDataFilter`
masks mobile and ID card numbers in every record — message, arguments and traceback — on
the handlers that write the logs (ours and uvicorn's).
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from zhiyun.domain.access import mask_personal_numbers

_FORMATTER = logging.Formatter()


class PersonalDataFilter(logging.Filter):
    """Masks personal numbers in a record before a handler writes it (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        # the message and each argument are masked apart: formatters such as uvicorn's access
        # log read the arguments themselves
        if isinstance(record.msg, str):
            record.msg = mask_personal_numbers(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_masked(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _masked(v) for k, v in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_numbers(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_numbers(record.stack_info)
        return True


def _masked(value: object) -> object:
    return mask_personal_numbers(value) if isinstance(value, str) else value


def scrub_handlers(logger: logging.Logger | None = None) -> None:
    """Put the filter on every handler of `logger` (the root logger by default)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, PersonalDataFilter) for f in handler.filters):
            handler.addFilter(PersonalDataFilter())


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with the filter on each of its handlers, and the same
    for the application's own loggers (through the root logger)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"personal_data": {"()": PersonalDataFilter}}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("personal_data")
    config["formatters"]["application"] = {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    config["handlers"]["application"] = {
        "class": "logging.StreamHandler",
        "formatter": "application",
        "stream": "ext://sys.stderr",
        "filters": ["personal_data"],
    }
    config["root"] = {"handlers": ["application"], "level": "INFO"}
    return config
