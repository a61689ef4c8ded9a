"""A synthetic district shaped like Nanhai (Foshan): its org tree and a user for every role.

南海区 (code NH) has 7 towns/streets, 40 villages/communities, 15 district departments (some
with a sub-unit such as a 执法大队) and a few town offices. The names follow Nanhai's; the
people are invented. Every demo user shares one printed password.

`ensure_district` is idempotent: units are upserted by code, users added only when their
username is absent, so it can run on every start of `zhiyun demo`.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field

from argon2 import PasswordHasher

from zhiyun.bootstrap import Services
from zhiyun.domain.access import Actor, Role
from zhiyun.domain.org import OrgTree, Unit, UnitKind
from zhiyun.orders.service import reference_snapshot
from zhiyun.org.service import UnitRecord

DEMO_PASSWORD = "zhiyun-demo"
DISTRICT_CODE = "NH"


@dataclass(frozen=True)
class DemoVillage:
    suffix: str
    name: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class DemoTown:
    """A town or street (镇街) with its villages/communities, roads and approximate centre."""

    code: str
    name: str
    aliases: tuple[str, ...]
    latitude: float
    longitude: float
    roads: tuple[str, ...]
    villages: tuple[DemoVillage, ...]

    @property
    def username_prefix(self) -> str:
        return self.code.lower()


@dataclass(frozen=True)
class DemoDepartment:
    """A district department (部门分中心), possibly with sub-units."""

    code: str
    name: str
    aliases: tuple[str, ...]
    subunits: tuple[tuple[str, str, tuple[str, ...]], ...] = ()


def _v(suffix: str, name: str, *aliases: str) -> DemoVillage:
    return DemoVillage(suffix, name, aliases)


# How the district's requests spread over its towns (per 100): seeded history and live traffic alike.
TOWN_WEIGHTS = {"GC": 22, "SS": 20, "DL": 18, "LS": 12, "XQ": 10, "JJ": 9, "DZ": 9}

TOWNS: tuple[DemoTown, ...] = (
    DemoTown(
        "GC",
        "桂城街道",
        ("桂城", "桂城街"),
        23.035,
        113.150,
        ("南海大道", "桂澜路", "灯湖东路", "南桂东路", "海八路", "天佑三路"),
        (
            _v("XB", "夏北社区", "夏北"),
            _v("PD", "平东社区", "平东"),
            _v("DJ", "叠滘社区", "叠滘"),
            _v("SK", "石啃社区", "石啃"),
            _v("DE", "东二社区", "东二"),
            _v("DH", "灯湖社区", "灯湖"),
        ),
    ),
    DemoTown(
        "JJ",
        "九江镇",
        ("九江",),
        22.845,
        113.030,
        ("九江大道", "沙口路", "儒林路", "环镇路"),
        (
            _v("RL", "儒林社区", "儒林"),
            _v("XX", "下西村", "下西"),
            _v("YN", "烟南村", "烟南"),
            _v("HJ", "璜矶村", "璜矶"),
            _v("SK", "沙口村", "沙口"),
        ),
    ),
    DemoTown(
        "XQ",
        "西樵镇",
        ("西樵",),
        22.935,
        112.965,
        ("樵顺路", "西樵大道", "樵金路", "江浦西路"),
        (
            _v("GS", "官山社区", "官山"),
            _v("TP", "太平村", "太平"),
            _v("ML", "民乐村", "民乐"),
            _v("JC", "简村村", "简村"),
            _v("XT", "新田村", "新田"),
        ),
    ),
    DemoTown(
        "DZ",
        "丹灶镇",
        ("丹灶",),
        23.045,
        112.915,
        ("金沙大道", "丹灶大道", "樵金北路", "桂丹路"),
        (
            _v("XG", "仙岗村", "仙岗"),
            _v("SL", "石联村", "石联"),
            _v("LD", "良登村", "良登"),
            _v("SC", "苏村村", "苏村"),
            _v("JS", "金沙社区", "金沙"),
        ),
    ),
    DemoTown(
        "SS",
        "狮山镇",
        ("狮山",),
        23.135,
        113.005,
        ("狮山大道", "罗村大道", "广云路", "桃园路", "小塘大道"),
        (
            _v("SG", "松岗社区", "松岗"),
            _v("XT", "小塘社区", "小塘"),
            _v("GY", "官窑社区", "官窑"),
            _v("LC", "罗村社区", "罗村"),
            _v("TT", "塘头村", "塘头"),
            _v("DP", "大圃村", "大圃"),
            _v("BC", "北村村", "北村"),
        ),
    ),
    DemoTown(
        "DL",
        "大沥镇",
        ("大沥",),
        23.105,
        113.110,
        ("广佛路", "黄岐大道", "沥东路", "盐步大道", "广佛新干线"),
        (
            _v("YB", "盐步社区", "盐步"),
            _v("QC", "奇槎社区", "奇槎"),
            _v("XB", "谢边村", "谢边"),
            _v("ST", "水头村", "水头"),
            _v("ZB", "钟边村", "钟边"),
            _v("LD", "沥东社区", "沥东"),
        ),
    ),
    DemoTown(
        "LS",
        "里水镇",
        ("里水",),
        23.195,
        113.140,
        ("里和路", "桂和路", "甘蕉路", "里广路"),
        (
            _v("LS", "里水社区", "里水墟"),
            _v("SY", "沙涌村", "沙涌"),
            _v("CS", "赤山村", "赤山"),
            _v("DC", "大冲村", "大冲"),
            _v("MS", "麻奢村", "麻奢"),
            _v("DS", "得胜村", "得胜"),
        ),
    ),
)

DEPARTMENTS: tuple[DemoDepartment, ...] = (
    DemoDepartment(
        "ZJJ",
        "区住建局",
        ("住建局", "区住房城乡建设局", "住房和城乡建设局"),
        (("ZJJ-ZF", "区住建局执法大队", ("住建执法大队",)),),
    ),
    DemoDepartment(
        "CGJ",
        "区城管局",
        ("城管局", "城市管理和综合执法局", "区城市管理和综合执法局"),
        (
            ("CGJ-ZF", "区城管执法大队", ("城管执法大队", "综合执法大队")),
            ("CGJ-HW", "区城管局环卫科", ("环卫科",)),
        ),
    ),
    DemoDepartment("JYJ", "区教育局", ("教育局",)),
    DemoDepartment(
        "RSJ",
        "区人社局",
        ("人社局", "人力资源和社会保障局"),
        (("RSJ-JC", "区劳动保障监察大队", ("劳动监察大队", "劳动监察")),),
    ),
    DemoDepartment("WJJ", "区卫健局", ("卫健局", "卫生健康局")),
    DemoDepartment(
        "SJJ",
        "区市场监管局",
        ("市场监管局", "市场监督管理局"),
        (("SJJ-JC", "区市场监管局稽查大队", ("市场稽查大队",)),),
    ),
    DemoDepartment("JTJ", "区交通运输局", ("交通局", "交通运输局")),
    DemoDepartment(
        "STJ",
        "区生态环境分局",
        ("环保局", "佛山市生态环境局南海分局", "生态环境局"),
        (("STJ-ZF", "区生态环境执法大队", ("环境执法大队",)),),
    ),
    DemoDepartment("SLJ", "区水利局", ("水利局",)),
    DemoDepartment("MZJ", "区民政局", ("民政局",)),
    DemoDepartment("GAJ", "区公安分局", ("公安分局", "南海公安分局")),
    DemoDepartment("YBJ", "区医保局", ("医保局", "医疗保障局")),
    DemoDepartment("NYJ", "区农业农村局", ("农业农村局", "农业局")),
    DemoDepartment("ZSJ", "区政数局", ("政数局", "政务服务数据管理局", "政务服务中心")),
    DemoDepartment("YJJ", "区应急管理局", ("应急局", "应急管理局")),
)

# Town offices (镇街科室) that take some matters straight from their town center.
TOWN_OFFICES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("GC-CG", "桂城街道城管办", "GC", ("桂城城管办", "桂城城管")),
    ("SS-ZF", "狮山镇综合行政执法办", "SS", ("狮山执法办",)),
    ("DL-CG", "大沥镇城管办", "DL", ("大沥城管办",)),
)


def town(code: str) -> DemoTown:
    for t in TOWNS:
        if t.code == code:
            return t
    raise KeyError(code)


def units() -> list[UnitRecord]:
    """The demo org tree as import records (parents before children)."""
    records = [UnitRecord(DISTRICT_CODE, "南海区", UnitKind.DISTRICT.value, None, ("南海", "佛山市南海区"))]
    for t in TOWNS:
        records.append(UnitRecord(t.code, t.name, UnitKind.TOWN.value, DISTRICT_CODE, t.aliases))
    for t in TOWNS:
        for v in t.villages:
            records.append(
                UnitRecord(f"{t.code}-{v.suffix}", v.name, UnitKind.VILLAGE.value, t.code, v.aliases)
            )
    for code, name, parent, aliases in TOWN_OFFICES:
        records.append(UnitRecord(code, name, UnitKind.OFFICE.value, parent, aliases))
    for d in DEPARTMENTS:
        records.append(UnitRecord(d.code, d.name, UnitKind.DEPARTMENT.value, DISTRICT_CODE, d.aliases))
        for code, name, aliases in d.subunits:
            records.append(UnitRecord(code, name, UnitKind.DEPARTMENT.value, d.code, aliases))
    return records


# --------------------------------------------------------------------------- users

SURNAMES = "陈李黄梁何张林周吴罗郑谢冯邓潘刘叶麦卢区关苏杜钟方冼招朱彭曾蔡"
GIVEN = (
    "志强",
    "伟明",
    "嘉欣",
    "淑仪",
    "建华",
    "丽娟",
    "锦辉",
    "少芬",
    "国雄",
    "晓彤",
    "永康",
    "慧敏",
    "家豪",
    "美玲",
    "俊杰",
    "婉婷",
    "振华",
    "秀英",
    "浩然",
    "惠珍",
    "文杰",
    "玉兰",
    "子轩",
    "颖诗",
    "耀祖",
    "桂英",
    "冠霖",
    "雪梅",
    "柏林",
    "绮雯",
)


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


@dataclass(frozen=True)
class DemoUser:
    """One demo account: what `zhiyun demo` creates and prints."""

    username: str
    role: Role
    unit_code: str | None
    display_name: str

    @property
    def unit_label(self) -> str:
        return self.unit_code or ""


def _code_user(code: str, suffix: str) -> str:
    return f"{code.lower().replace('-', '_')}_{suffix}"


def users() -> list[DemoUser]:
    """A user for every role: admin, dispatchers at every center, handlers, inspector, leader, grid
    worker, hotline agents."""
    rng = random.Random(20211)
    result = [
        DemoUser("admin", Role.ADMIN, DISTRICT_CODE, "系统管理员"),
        DemoUser("nh_dispatcher", Role.DISPATCHER, DISTRICT_CODE, person_name(rng)),
        DemoUser("leader", Role.LEADER, DISTRICT_CODE, person_name(rng)),
        DemoUser("inspector", Role.INSPECTOR, DISTRICT_CODE, person_name(rng)),
    ]
    for t in TOWNS:
        result.append(DemoUser(_code_user(t.code, "dispatcher"), Role.DISPATCHER, t.code, person_name(rng)))
    for t in TOWNS:
        for v in t.villages:
            code = f"{t.code}-{v.suffix}"
            result.append(DemoUser(_code_user(code, "handler"), Role.HANDLER, code, person_name(rng)))
    # every village/community center's dispatcher (村居网格化服务站): takes the grid workers'
    # reports registered there, solves them on the spot (就地解决) or sends them up
    for t in TOWNS:
        for v in t.villages:
            code = f"{t.code}-{v.suffix}"
            result.append(DemoUser(_code_user(code, "dispatcher"), Role.DISPATCHER, code, person_name(rng)))
    for code, _name, _parent, _aliases in TOWN_OFFICES:
        result.append(DemoUser(_code_user(code, "handler"), Role.HANDLER, code, person_name(rng)))
    for d in DEPARTMENTS:
        if d.subunits:
            result.append(
                DemoUser(_code_user(d.code, "dispatcher"), Role.DISPATCHER, d.code, person_name(rng))
            )
            for code, _name, _aliases in d.subunits:
                result.append(DemoUser(_code_user(code, "handler"), Role.HANDLER, code, person_name(rng)))
        else:
            result.append(DemoUser(_code_user(d.code, "handler"), Role.HANDLER, d.code, person_name(rng)))
    # 夏北社区's full-time grid worker of its grid 001; the district's other 4,822 grid workers
    # (and every post) come from demo/grids.py
    result.append(DemoUser("gc_xb_grid", Role.GRID_WORKER, "GC-XB", person_name(rng)))
    # hotline agents (话务员) at the district center and at 桂城街道's center: the seat /orders/new
    result.append(DemoUser("nh_agent", Role.AGENT, DISTRICT_CODE, person_name(rng)))
    result.append(DemoUser("gc_agent", Role.AGENT, "GC", person_name(rng)))
    return result


# The live simulator's own accounts (demo/simulator.py): it never acts as a person's account.
SIM_PREFIX = "sim_"
SIM_DISPLAY = {
    Role.DISPATCHER: "模拟派单员",
    Role.HANDLER: "模拟承办人",
    Role.LEADER: "模拟督办领导",
    Role.INSPECTOR: "模拟回访员",
}


def is_simulated(username: str) -> bool:
    """Whether an account is the simulator's (sim_…) rather than one for people to sign in with."""
    return username.startswith(SIM_PREFIX)


def sim_users() -> list[DemoUser]:
    """The simulator's accounts: a dispatcher at every center, a handler at every unit that handles,
    a leader and an inspector — `sim_dispatcher_gc`, `sim_handler_gc_xb`, … shown as 模拟派单员,
    模拟承办人, … in every timeline. Nobody signs in with them (their password is random)."""
    result = []
    for u in users():
        if u.role in (Role.DISPATCHER, Role.HANDLER) and u.unit_code is not None:
            role = "dispatcher" if u.role is Role.DISPATCHER else "handler"
            username = f"{SIM_PREFIX}{role}_{u.unit_code.lower().replace('-', '_')}"
            result.append(DemoUser(username, u.role, u.unit_code, SIM_DISPLAY[u.role]))
    result.append(DemoUser(f"{SIM_PREFIX}leader", Role.LEADER, DISTRICT_CODE, SIM_DISPLAY[Role.LEADER]))
    result.append(
        DemoUser(f"{SIM_PREFIX}inspector", Role.INSPECTOR, DISTRICT_CODE, SIM_DISPLAY[Role.INSPECTOR])
    )
    return result


# The accounts printed at start: one per role and level (the others follow the same pattern).
LOGIN_EXAMPLES = (
    "admin",
    "nh_agent",
    "nh_dispatcher",
    "gc_dispatcher",
    "gc_xb_handler",
    "gc_xb_dispatcher",
    "gc_cg_handler",
    "cgj_dispatcher",
    "cgj_zf_handler",
    "jyj_handler",
    "inspector",
    "leader",
    "gc_xb_grid",
    "gc_xb_chief",
)


# The demo's own administrator: who seeds the district, its lists, boundaries and first model,
# and issues the simulator's channel keys (as an operator would with the `zhiyun` commands).
DEMO_ADMIN = Actor(user_id=None, role=Role.ADMIN, unit_id=None, name="演示数据")


@dataclass
class DistrictReport:
    units_created: int = 0
    units_updated: int = 0
    users_created: int = 0


def ensure_district(services: Services) -> DistrictReport:
    """Create the demo org tree and users where they are missing; keep everything already there."""
    report = DistrictReport()
    existing_codes = {r.code for r in services.org.records()}
    wanted = units()
    if not {r.code for r in wanted} <= existing_codes:
        imported = services.org.import_records(DEMO_ADMIN, wanted)
        report.units_created, report.units_updated = imported.created, imported.updated
    existing_users = {u.username for u in services.accounts.list_users()}
    missing = [u for u in (*users(), *sim_users()) if u.username not in existing_users]
    if missing:
        # The demo password is printed for everyone to read, so one argon2 hash of it serves every
        # demo account (hashing ~80 times would cost half a minute on a small machine); the
        # simulator's accounts share one hash of a random password nobody knows.
        hasher = PasswordHasher()
        shared_hash = hasher.hash(DEMO_PASSWORD)
        sim_password = secrets.token_urlsafe(24)
        sim_hash = hasher.hash(sim_password) if any(is_simulated(u.username) for u in missing) else ""
        for u in missing:
            simulated = is_simulated(u.username)
            services.accounts.add_user(
                DEMO_ADMIN,
                username=u.username,
                password=sim_password if simulated else DEMO_PASSWORD,
                password_hash=sim_hash if simulated else shared_hash,
                role=u.role,
                unit_code=u.unit_code,
                display_name=u.display_name,
            )
            report.users_created += 1
    return report


# --------------------------------------------------------------------------- directory


@dataclass
class DemoDirectory:
    """The demo district as the seeder and the simulator need it: units by code, actors by unit.

    The seeder's history is made by the demo's people (gc_dispatcher, …); the simulator's
    directory (`simulated=True`) holds only its own sim_… accounts.
    """

    org: OrgTree
    actors: dict[str, Actor]
    by_unit: dict[int, dict[Role, Actor]] = field(default_factory=dict)

    @classmethod
    def load(cls, services: Services, *, simulated: bool = False) -> DemoDirectory:
        org = reference_snapshot(services.orders).org
        actors: dict[str, Actor] = {}
        by_unit: dict[int, dict[Role, Actor]] = {}
        for user in services.accounts.list_users():
            if not user.active or is_simulated(user.username) != simulated:
                continue
            actor = user.actor()
            actors[user.username] = actor
            if user.unit_id is not None:
                by_unit.setdefault(user.unit_id, {}).setdefault(Role(user.role), actor)
        return cls(org, actors, by_unit)

    def unit(self, code: str) -> Unit:
        return self.org.by_code(code)

    def id(self, code: str) -> int:
        return self.org.by_code(code).id

    def actor(self, username: str) -> Actor:
        return self.actors[username]

    @property
    def district(self) -> Unit:
        return self.org.root()

    def dispatcher_at(self, unit_id: int) -> Actor | None:
        return self.by_unit.get(unit_id, {}).get(Role.DISPATCHER)

    def holder_at(self, unit_id: int) -> Actor | None:
        """Who signs for and replies to an order held at the unit: its handler, else its dispatcher."""
        people = self.by_unit.get(unit_id, {})
        return people.get(Role.HANDLER) or people.get(Role.DISPATCHER)

    def children(self, unit_id: int, *kinds: UnitKind) -> list[Unit]:
        kids = [self.org.units[c] for c in self.org.children.get(unit_id, [])]
        return [k for k in kids if not kinds or k.kind in kinds]

    @property
    def leader(self) -> Actor:
        return self._first(Role.LEADER)

    @property
    def inspector(self) -> Actor:
        return self._first(Role.INSPECTOR)

    def _first(self, role: Role) -> Actor:
        for actor in self.actors.values():
            if actor.role is role:
                return actor
        raise KeyError(role)
