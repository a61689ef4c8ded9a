"""What the order page shows of what was stored with an order besides its fields.

- **Photos**: the order's image attachments, each with who uploaded it (the audit entry that
  recorded the upload: a grid worker's photos, a citizen's, the handling staff's), shown as
  thumbnails and opened in the viewer (static/js/viewer.js). The images themselves come
  through the access-checked attachment route (`/attachments/{id}`).
- **What the channel sent** (intake keeps it in the registration's audit entry, under
  `details["attributes"]`, and the raw payload in the intake records): the call recording's
  id (a link when `ZHIYUN_RECORDING_URL` is set), the ids of the devices that raised a sensor
  alarm, and the links to photos the channel holds (a grid report's, a camera's snapshot).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from zhiyun.domain.access import Role
from zhiyun.orders.views import AttachmentView, TransitionView

# attribute names of the channels' payloads (intake/channels.py, open311/form.py)
RECORDING_KEYS = ("recording_id",)
DEVICE_KEYS = ("device_id",)
PHOTO_LINK_KEYS = ("photos", "snapshot_url", "image_url", "media_url")

PHOTO_GROUPS: tuple[tuple[str, str], ...] = (
    ("grid_worker", "网格员拍摄"),
    ("citizen", "市民提供"),
    ("staff", "办理过程"),
)


@dataclass(frozen=True)
class Photo:
    """An image attachment as the page shows it."""

    id: int
    filename: str
    caption: str
    uploader: str  # "网格员 张三", or "" when the upload's audit entry is not known


@dataclass(frozen=True)
class PhotoGroup:
    key: str
    label: str
    photos: list[Photo]


@dataclass(frozen=True)
class Recording:
    id: str
    url: str | None


@dataclass(frozen=True)
class ChannelFacts:
    recordings: list[Recording]
    devices: list[str]
    photo_links: list[str]

    def __bool__(self) -> bool:
        return bool(self.recordings or self.devices or self.photo_links)


def _source(role: str) -> str:
    if role == Role.GRID_WORKER.value:
        return "grid_worker"
    if role == Role.CITIZEN.value:
        return "citizen"
    return "staff"


def _role_label(role: str) -> str:
    try:
        return Role(role).label
    except ValueError:
        return role


def photo_groups(
    attachments: Sequence[AttachmentView], transitions: Sequence[TransitionView], local_time: Any
) -> list[PhotoGroup]:
    """The order's images by who took them (grid worker, citizen, the staff), oldest first.

    `local_time` formats an instant for the caption (the console's filter)."""
    by_id = {t.id: t for t in transitions}
    grouped: dict[str, list[Photo]] = {key: [] for key, _ in PHOTO_GROUPS}
    for a in sorted(attachments, key=lambda a: (a.created_at, a.id)):
        if not a.content_type.startswith("image/"):
            continue
        entry = by_id.get(a.transition_id) if a.transition_id is not None else None
        uploader = f"{_role_label(entry.actor_role)} {entry.actor_name}".strip() if entry else ""
        caption = " · ".join(x for x in (a.filename, uploader, local_time(a.created_at)) if x)
        grouped[_source(entry.actor_role) if entry else "staff"].append(
            Photo(a.id, a.filename, caption, uploader)
        )
    return [PhotoGroup(key, label, grouped[key]) for key, label in PHOTO_GROUPS if grouped[key]]


def recording_link(template: str | None, recording_id: str) -> str | None:
    """The recording's address from `ZHIYUN_RECORDING_URL` ("…{id}…", the id URL-encoded)."""
    if not template:
        return None
    return template.replace("{id}", quote(recording_id, safe=""))


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value.strip()
    elif isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, str):
                yield item.strip()


def _web_link(value: str) -> bool:
    return value.lower().startswith(("http://", "https://")) and not any(c.isspace() for c in value)


def channel_facts(transitions: Sequence[TransitionView], recording_url: str | None) -> ChannelFacts:
    """Recording ids, device ids and photo links the channel sent, in the order of the trail."""
    recordings: list[str] = []
    devices: list[str] = []
    links: list[str] = []

    def add(target: list[str], values: Iterable[str]) -> None:
        for value in values:
            if value and value not in target:
                target.append(value)

    for t in transitions:
        attributes = t.details.get("attributes")
        if not isinstance(attributes, dict):
            continue
        for key in RECORDING_KEYS:
            add(recordings, _strings(attributes.get(key)))
        for key in DEVICE_KEYS:
            add(devices, _strings(attributes.get(key)))
        for key in PHOTO_LINK_KEYS:
            add(links, (v for v in _strings(attributes.get(key)) if _web_link(v)))
    return ChannelFacts(
        recordings=[Recording(r, recording_link(recording_url, r)) for r in recordings],
        devices=devices,
        photo_links=links,
    )
