"""What a citizen app sends over Open311 per topic: the service code and the answers to its attributes."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from zhiyun.demo.traffic.values import iso

# --------------------------------------------------------------------------- Open311 app reports

OPEN311_CHANNEL = "open311"
# The citizen app's own report id: sent as an attribute the service does not define, as
# FixMyStreet sends attribute[fixmystreet_id]; intake keeps it with the order's payload.
OPEN311_REPORT_ID = "attribute[app_report_id]"
OPEN311_APP = "南海随手拍"

Open311Form = dict[str, str | list[str]]


def _street_light(rng: random.Random, at: datetime) -> Open311Form:
    fault = rng.choices(("not_lit", "flickering", "on_in_daytime", "pole_damaged"), weights=(70, 15, 10, 5))[
        0
    ]
    form: Open311Form = {"attribute[fault]": fault}
    if rng.random() < 0.3:
        form["attribute[pole_number]"] = f"LD-{rng.randrange(1000, 9999)}"
    return form


def _road_damage(rng: random.Random, at: datetime) -> Open311Form:
    return {
        "attribute[damage_type]": rng.choice(("pothole", "subsidence", "sidewalk", "curb")),
        "attribute[blocks_traffic]": rng.choices(("yes", "no"), weights=(25, 75))[0],
    }


def _street_vending(rng: random.Random, at: datetime) -> Open311Form:
    return {
        "attribute[kind]": rng.choice(("mobile_vendor", "shop_overflow", "night_market")),
        "attribute[time_of_day][]": sorted(
            rng.sample(["morning", "noon", "evening", "late_night"], rng.randint(1, 2))
        ),
    }


def _garbage(rng: random.Random, at: datetime) -> Open311Form:
    kinds = ["household", "construction", "bulky", "kitchen"]
    return {"attribute[waste_type][]": sorted(rng.sample(kinds, rng.randint(1, 2)))}


def _illegal_parking(rng: random.Random, at: datetime) -> Open311Form:
    form: Open311Form = {
        "attribute[vehicle_type]": rng.choices(("car", "truck", "ebike"), weights=(70, 10, 20))[0]
    }
    if form["attribute[vehicle_type]"] != "ebike" and rng.random() < 0.5:
        letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
        form["attribute[plate_number]"] = (
            f"粤{rng.choice('ABEXY')}{rng.choice(letters)}{rng.randrange(10000):04d}"
        )
    return form


def _noise(source: str) -> Callable[[random.Random, datetime], Open311Form]:
    def answers(rng: random.Random, at: datetime) -> Open311Form:
        form: Open311Form = {"attribute[source]": source}
        if rng.random() < 0.5:
            form["attribute[heard_at]"] = iso(at - timedelta(hours=rng.randint(1, 12)))
        return form

    return answers


def _drainage(rng: random.Random, at: datetime) -> Open311Form:
    return {"attribute[water_depth]": str(rng.choice((5, 10, 15, 20, 30, 40))), "attribute[sewage]": "no"}


def _greenery(rng: random.Random, at: datetime) -> Open311Form:
    return {"attribute[issue]": rng.choices(("fallen_tree", "dead_branch"), weights=(70, 30))[0]}


def _no_attributes(rng: random.Random, at: datetime) -> Open311Form:
    return {}


# The topics a citizen reports from the app: its GeoReport v2 service and the answers to
# the service's attributes (open311/catalog.py SERVICES).
OPEN311_TOPICS: dict[str, tuple[str, Callable[[random.Random, datetime], Open311Form]]] = {
    "streetlight": ("street_light", _street_light),
    "road_damage": ("road_damage", _road_damage),
    "street_vendor": ("street_vending", _street_vending),
    "garbage": ("garbage", _garbage),
    "illegal_parking": ("illegal_parking", _illegal_parking),
    "nightlife_noise": ("noise", _noise("entertainment")),
    "square_dance": ("noise", _noise("other")),
    "construction_noise": ("noise", _noise("construction")),
    "flooding": ("drainage", _drainage),
    "fallen_tree": ("greenery", _greenery),
    "water_supply": ("water_supply", _no_attributes),
    "illegal_building": ("illegal_construction", _no_attributes),
    "loose_signboard": ("public_facility", _no_attributes),
}
