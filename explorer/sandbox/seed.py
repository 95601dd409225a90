"""Seed data: a workspace that looks lived-in and is the same on every run.

Everything comes from one ``random.Random`` with a fixed seed and a fixed anchor date, so
two sandboxes built with the same number of contacts hold the same UUIDs, names and times.
Contacts scale with ``contacts``; the other objects grow with it up to modest caps, so a
million-contact sandbox still seeds in well under a minute (big batches through
``executemany``, no journal, indexes built afterwards — see :mod:`explorer.sandbox.db`).
"""

from __future__ import annotations

import functools
import json
import logging
import random
import sqlite3
import uuid as uuid_module
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from explorer.sandbox import archive_files
from explorer.sandbox.clock import iso, to_us

log = logging.getLogger(__name__)

SEED = 20260601
ANCHOR = to_us(datetime(2026, 6, 1, tzinfo=UTC))  # the seeded world ends here
DAY = 86_400_000_000
HOUR = 3_600_000_000
MINUTE = 60_000_000
BATCH = 50_000

WORKSPACE: dict[str, Any] = {
    "uuid": "6a44ca78-a4c2-4862-a7d3-2932f9b3a7c3",
    "name": "Sandbox Workspace",
    "country": "RW",
    "languages": ["eng", "fra", "kin"],
    "timezone": "Africa/Kigali",
    "date_style": "day_first",
    "anon": False,
}
DEFAULT_LANGUAGE = WORKSPACE["languages"][0]

_FIRST_NAMES_TEXT = (
    "Aline Jean Claudine Eric Grace Patrick Diane Emmanuel Alice Olivier Josiane Innocent "
    "Chantal Samuel Esther David Yvonne Fabrice Solange Theo Ange Kevin Nadia Pacifique "
    "Ruth Moses Beatrice Didier Amina Hassan Zawadi Baraka Mercy Joseph Sarah Brian Lydia "
    "Omar Fatou Ibrahim"
)
FIRST_NAMES = tuple(_FIRST_NAMES_TEXT.split())
_LAST_NAMES_TEXT = (
    "Uwase Mugisha Niyonzima Habimana Mukamana Nshimiyimana Ingabire Hakizimana Uwimana "
    "Bizimana Umutoni Ndayisaba Kamanzi Mutesi Nkurunziza Iradukunda Tuyishime Manzi Keza "
    "Gatete Okello Achieng Kimani Diallo Traore Mensah Banda Phiri Moyo Dlamini"
)
LAST_NAMES = tuple(_LAST_NAMES_TEXT.split())
NICKNAMES = ("Mimi", "JB", "Kiki", "Coco", "Toto", "Lulu", "Bebe", "Nono", "Didi", "Zizi")

# (key, name, type, featured, agent_access)
FIELDS = (
    ("nickname", "Nickname", "text", True, "edit"),
    ("gender", "Gender", "text", True, "view"),
    ("age", "Age", "number", True, "view"),
    ("household_size", "Household Size", "number", False, "view"),
    ("registration_date", "Registration Date", "datetime", True, "view"),
    ("next_appointment", "Next Appointment", "datetime", False, "edit"),
    ("state", "State", "state", False, "view"),
    ("district", "District", "district", True, "view"),
    ("ward", "Ward", "ward", False, "none"),
)

# Rwanda: provinces, their districts and a few sectors (wards), with OSM-style ids.
BOUNDARIES = {
    "Kigali City": {
        "Gasabo": ("Kimironko", "Remera", "Kacyiru"),
        "Kicukiro": ("Niboye", "Gikondo"),
        "Nyarugenge": ("Nyamirambo", "Muhima"),
    },
    "Eastern Province": {"Rwamagana": ("Kigabiro", "Muhazi"), "Kayonza": ("Mukarange",)},
    "Northern Province": {"Musanze": ("Muhoza", "Cyuve"), "Gicumbi": ("Byumba",)},
    "Southern Province": {"Huye": ("Ngoma", "Tumba"), "Muhanga": ("Nyamabuye",)},
    "Western Province": {"Rubavu": ("Gisenyi", "Nyamyumba"), "Karongi": ("Bwishyura",)},
}

# (uuid-less spec) name, type slug, address, schemes, country, android
CHANNELS = (
    ("Sandbox Android", "android", "+250788000001", ["tel"], "RW", True),
    ("MTN Rwanda", "external", "+250788000002", ["tel"], "RW", False),
    ("Sandbox WhatsApp", "whatsapp", "250788000003", ["whatsapp"], "RW", False),
    ("Sandbox Bot", "telegram", "SandboxBot", ["telegram"], None, False),
    ("Sandbox Page", "facebook", "102938475610293", ["facebook"], None, False),
)

MANUAL_GROUPS = (
    "Reporters",
    "Farmers",
    "Youth",
    "Nurses",
    "Teachers",
    "Donors",
    "Volunteers",
    "Pilot Study",
)
SMART_GROUPS = (  # name, query
    ("Gasabo Residents", 'district = "Gasabo"'),
    ("Over 30", "age > 30"),
    ("French Speakers", 'language = "fra"'),
)
SYSTEM_GROUPS = (
    ("Active", "active"),
    ("Blocked", "blocked"),
    ("Stopped", "stopped"),
    ("Archived", "archived"),
)

LABELS = ("Important", "Follow Up", "Complaint", "Spam", "Feedback")

FLOWS = (  # name, type, archived, expires (minutes), results
    (
        "Registration",
        "message",
        False,
        10080,
        (("name", "Name", ("All Responses",)), ("age", "Age", ("Valid", "Other"))),
    ),
    (
        "Health Survey",
        "survey",
        False,
        0,
        (
            ("rating", "Rating", ("Good", "Okay", "Poor", "Other")),
            ("comment", "Comment", ("All Responses",)),
        ),
    ),
    ("IVR Hotline", "voice", False, 5, (("menu", "Menu", ("Info", "Agent", "Other")),)),
    ("Data Cleanup", "background", False, 0, ()),
    (
        "Appointment Reminder",
        "message",
        False,
        720,
        (("confirm", "Confirm", ("Yes", "No", "Other")),),
    ),
    ("Old Feedback", "message", True, 10080, (("feedback", "Feedback", ("All Responses",)),)),
)
FLOW_LABELS = ("Onboarding", "Surveys", "Operations")

TOPICS = ("General", "Billing", "Technical Support", "Feedback")
USERS = (  # email, first, last, role, team
    ("admin@sandbox.example", "Ada", "Admin", "administrator", None),
    ("editor@sandbox.example", "Eddie", "Editor", "editor", None),
    ("agent@sandbox.example", "Agnes", "Agent", "agent", "Support Team"),
    ("agent2@sandbox.example", "Amos", "Agent", "agent", "Support Team"),
)
GLOBALS = (
    ("org_name", "Org Name", "Sandbox Health Initiative"),
    ("support_phone", "Support Phone", "+250788000009"),
    ("hotline_hours", "Hotline Hours", "Mon-Fri 08:00-17:00"),
    ("survey_round", "Survey Round", "3"),
)
RESTHOOKS = ("new-report", "registration-complete", "ticket-opened")

IN_TEXTS = (
    "Hello",
    "Yes",
    "No",
    "STOP",
    "Join",
    "What time is my appointment?",
    "Thank you!",
    "I need help with my account",
    "My child has a fever",
    "Where is the nearest clinic?",
    "Muraho",
    "Bonjour",
    "1",
    "2",
    "3",
    "How much does it cost?",
    "Please call me back",
)
OUT_TEXTS = (
    "Welcome to the Sandbox Health Initiative!",
    "Thanks, we got your message.",
    "Your appointment is tomorrow at 9am.",
    "Reply YES to confirm.",
    "What is your name?",
    "How old are you?",
    "Please rate our service from 1 to 5.",
    "An agent will call you soon.",
    "Murakoze!",
    "Merci pour votre réponse.",
)
CHANNEL_EVENT_TYPES = (
    "call-out",
    "call-out-missed",
    "call-in",
    "call-in-missed",
    "stop-contact",
    "new-conversation",
    "referral",
    "welcome-message",
)


@dataclass
class Scale:
    """How many of each object a sandbox of ``contacts`` contacts gets."""

    contacts: int

    def clamp(self, factor: float, low: int, high: int) -> int:
        return max(low, min(high, int(self.contacts * factor)))

    @property
    def messages(self) -> int:
        return self.clamp(3, 300, 20_000)

    @property
    def runs(self) -> int:
        return self.clamp(1, 120, 10_000)

    @property
    def tickets(self) -> int:
        return self.clamp(0.1, 30, 2_000)

    @property
    def channel_events(self) -> int:
        return self.clamp(0.2, 40, 2_000)

    @property
    def busy(self) -> int:
        """The contacts that messages, runs and tickets are drawn from."""
        return max(1, min(self.contacts, 5_000))


class Seeder:
    """Fills an empty schema; all randomness from one generator, so runs are identical."""

    def __init__(self, conn: sqlite3.Connection, contacts: int) -> None:
        self.conn = conn
        self.scale = Scale(max(0, contacts))
        self.rng = random.Random(SEED)

    # --- helpers ------------------------------------------------------------------------------

    def uuid(self) -> str:
        bits = self.rng.getrandbits(128)
        # version 4, RFC 4122 variant
        bits = (bits & ~(0xF000 << 64) | (0x4000 << 64)) & ~(0xC000 << 48) | (0x8000 << 48)
        h = f"{bits:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def when(self, days_back: float, spread: float = 0) -> int:
        """A time ``days_back`` days before the anchor, plus up to ``spread`` days of noise."""
        return ANCHOR - int(days_back * DAY) + int(self.rng.random() * spread * DAY)

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        cols = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        self.conn.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)

    # --- the whole workspace --------------------------------------------------------------------

    def run(self) -> None:
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES ('contacts', ?), ('seed', ?), ('workspace', ?)",
            (str(self.scale.contacts), str(SEED), json.dumps(WORKSPACE)),
        )
        self.users()
        self.channels()
        self.fields()
        self.boundaries()
        self.labels()
        self.flows()
        self.groups()
        self.contacts()
        self.campaigns()
        self.broadcasts()
        self.flow_starts()
        self.messages()
        self.runs()
        self.globals()
        self.resthooks()
        self.tickets()
        self.archives()
        self.channel_events()

    def users(self) -> None:
        rows = []
        team_uuid = self.uuid()
        for i, (email, first, last, role, team) in enumerate(USERS):
            team_json = json.dumps({"uuid": team_uuid, "name": team}) if team else None
            avatar = (
                f"https://sandbox-media.example/avatars/{first.lower()}.png" if i == 0 else None
            )
            rows.append(
                (self.uuid(), email, first, last, role, team_json, avatar, self.when(700 - i * 60))
            )
        self.insert(
            "users",
            ("uuid", "email", "first_name", "last_name", "role", "team", "avatar", "date_joined"),
            rows,
        )

    def channels(self) -> None:
        rows = []
        for i, (name, kind, address, schemes, country, android) in enumerate(CHANNELS):
            device = None
            if android:
                device = json.dumps(
                    {
                        "name": "Pixel 7",
                        "power_level": 87,
                        "power_status": "STATUS_DISCHARGING",
                        "power_source": "BAT",
                        "network_type": "WIFI",
                    }
                )
            last_seen = ANCHOR - (i + 1) * 7 * MINUTE if kind in ("android", "external") else None
            rows.append(
                (
                    self.uuid(),
                    name,
                    address,
                    kind,
                    country,
                    device,
                    json.dumps(schemes),
                    last_seen,
                    self.when(690 - i * 20),
                )
            )
        self.insert(
            "channels",
            (
                "uuid",
                "name",
                "address",
                "type",
                "country",
                "device",
                "schemes",
                "last_seen",
                "created_on",
            ),
            rows,
        )

    def fields(self) -> None:
        rows = []
        for i, (key, name, kind, featured, access) in enumerate(FIELDS):
            rows.append(
                (
                    key,
                    name,
                    kind,
                    int(featured),
                    len(FIELDS) - i,
                    access,
                    i % 3,
                    1 if key in ("district", "age") else 0,
                    self.when(680 - i * 5),
                )
            )
        self.insert(
            "fields",
            (
                "key",
                "name",
                "type",
                "featured",
                "priority",
                "agent_access",
                "usage_flows",
                "usage_groups",
                "created_on",
            ),
            rows,
        )

    def boundaries(self) -> None:
        rows = [
            (
                "R171496",
                "Rwanda",
                None,
                0,
                json.dumps(["Repubulika y'u Rwanda"]),
                json.dumps(_square(29.9, -1.95, 0.9)),
            )
        ]
        osm = 1700000
        for p_index, (province, districts) in enumerate(BOUNDARIES.items()):
            osm += 1
            p_id = f"R{osm}"
            rows.append(
                (
                    p_id,
                    province,
                    "R171496",
                    1,
                    "[]",
                    json.dumps(_square(29.3 + p_index * 0.3, -2.0, 0.15)),
                )
            )
            for d_index, (district, wards) in enumerate(districts.items()):
                osm += 1
                d_id = f"R{osm}"
                aliases = json.dumps([district.upper()]) if d_index == 0 else "[]"
                rows.append(
                    (
                        d_id,
                        district,
                        p_id,
                        2,
                        aliases,
                        json.dumps(_square(29.3 + p_index * 0.3 + d_index * 0.05, -2.0, 0.04)),
                    )
                )
                for w_index, ward in enumerate(wards):
                    osm += 1
                    rows.append(
                        (
                            f"R{osm}",
                            ward,
                            d_id,
                            3,
                            "[]",
                            json.dumps(
                                _square(
                                    29.3 + p_index * 0.3 + d_index * 0.05 + w_index * 0.01,
                                    -2.0,
                                    0.008,
                                )
                            ),
                        )
                    )
        self.insert(
            "boundaries", ("osm_id", "name", "parent_osm_id", "level", "aliases", "geometry"), rows
        )

    def labels(self) -> None:
        self.insert(
            "labels",
            ("uuid", "name", "created_on"),
            [(self.uuid(), name, self.when(600 - i * 30)) for i, name in enumerate(LABELS)],
        )

    def flows(self) -> None:
        flow_labels = [{"uuid": self.uuid(), "name": n} for n in FLOW_LABELS]
        rows = []
        self.flow_nodes: dict[int, list[str]] = {}
        self.flow_results: dict[int, list[dict[str, Any]]] = {}
        for i, (name, kind, archived, expires, results) in enumerate(FLOWS, start=1):
            uuid = self.uuid()
            nodes = [self.uuid() for _ in range(max(2, len(results) * 2 + 1))]
            result_list = []
            for r_index, (key, rname, categories) in enumerate(results):
                result_list.append(
                    {
                        "key": key,
                        "name": rname,
                        "categories": list(categories),
                        "node_uuids": [nodes[r_index * 2 + 1]],
                    }
                )
            self.flow_nodes[i] = nodes
            self.flow_results[i] = result_list
            labels = [flow_labels[i % len(flow_labels)]] if i % 2 else []
            definition = _flow_definition(
                uuid, name, kind, expires=expires, nodes=nodes, results=result_list, seeder=self
            )
            parent_refs = ["registration"] if name == "Appointment Reminder" else []
            created = self.when(560 - i * 25)
            rows.append(
                (
                    uuid,
                    name,
                    kind,
                    int(archived),
                    json.dumps(labels),
                    expires,
                    json.dumps(result_list),
                    json.dumps(parent_refs),
                    json.dumps(definition),
                    created,
                    created + 3 * DAY + i * HOUR,
                )
            )
        self.insert(
            "flows",
            (
                "uuid",
                "name",
                "type",
                "archived",
                "labels",
                "expires",
                "results",
                "parent_refs",
                "definition",
                "created_on",
                "modified_on",
            ),
            rows,
        )

    def groups(self) -> None:
        rows = []
        for i, (name, status) in enumerate(SYSTEM_GROUPS):
            rows.append((self.uuid(), name, None, "ready", 1, status, self.when(720, 0) + i))
        for i, name in enumerate(MANUAL_GROUPS):
            rows.append((self.uuid(), name, None, "ready", 0, None, self.when(500 - i * 20)))
        for i, (name, query) in enumerate(SMART_GROUPS):
            rows.append((self.uuid(), name, query, "ready", 0, None, self.when(300 - i * 20)))
        self.insert(
            "groups",
            ("uuid", "name", "query", "status", "system", "system_status", "created_on"),
            rows,
        )
        self.system_group_ids = {status: i + 1 for i, (_, status) in enumerate(SYSTEM_GROUPS)}
        first_manual = len(SYSTEM_GROUPS) + 1
        self.manual_group_ids = list(range(first_manual, first_manual + len(MANUAL_GROUPS)))
        first_smart = first_manual + len(MANUAL_GROUPS)
        self.smart_group_ids = list(range(first_smart, first_smart + len(SMART_GROUPS)))

    def profiles(self, count: int = 4096) -> list[tuple[Any, ...]]:
        """Ready-made contact profiles (name, language, field values, groups, URN kinds).

        A million contacts are drawn from a few thousand profiles instead of being rolled up
        one by one: with unique UUIDs, URNs and times each contact still reads as its own,
        and the per-contact work stays small enough to seed a million in seconds.
        """
        rand = self.rng.random
        languages = ("eng", "eng", "eng", "fra", "kin", "kin", "swa", None)
        districts = [(p, d, w) for p, ds in BOUNDARIES.items() for d, ws in ds.items() for w in ws]
        manual = self.manual_group_ids
        gasabo, over30, french = self.smart_group_ids
        out = []
        for _ in range(count):
            first = FIRST_NAMES[int(rand() * len(FIRST_NAMES))]
            name = None if rand() < 0.03 else f"{first} {LAST_NAMES[int(rand() * len(LAST_NAMES))]}"
            language = languages[int(rand() * len(languages))]
            age = 16 + int(rand() * 60)
            province, district, ward = districts[int(rand() * len(districts))]
            # JSON written by hand: every value is plain ASCII without quotes or backslashes.
            head = []
            if rand() < 0.3:
                head.append(f'"nickname":"{NICKNAMES[int(rand() * len(NICKNAMES))]}"')
            head.append('"gender":"female"' if rand() < 0.52 else '"gender":"male"')
            has_age = rand() < 0.9
            if has_age:
                head.append(f'"age":"{age}"')
            if rand() < 0.5:
                head.append(f'"household_size":"{1 + int(rand() * 8)}"')
            tail = []
            if rand() < 0.2:
                tail.append(
                    f'"next_appointment":"{iso(ANCHOR + int(rand() * 60) * DAY + 9 * HOUR)}"'
                )
            has_district = rand() < 0.85
            if has_district:
                tail.append(
                    f'"state":"Rwanda > {province}","district":"Rwanda > {province} > {district}"'
                )
                if rand() < 0.6:
                    tail.append(f'"ward":"Rwanda > {province} > {district} > {ward}"')
            prefix = "{" + ",".join([*head, '"registration_date":"'])
            suffix = '"' + "".join("," + t for t in tail) + "}"
            groups: list[int] = []
            r = rand()
            if r < 0.6:
                groups.append(manual[int(rand() * len(manual))])
                if r < 0.15:
                    other = manual[int(rand() * len(manual))]
                    if other not in groups:
                        groups.append(other)
            if has_district and district == "Gasabo":
                groups.append(gasabo)
            if has_age and age > 30:
                groups.append(over30)
            if language == "fra":
                groups.append(french)
            r = rand()
            primary = "tel" if r < 0.9 else "telegram" if r < 0.95 else "facebook"
            extras = (rand() < 0.25, rand() < 0.1, rand() < 0.03, rand() < 0.02)
            out.append(
                (name, first.lower(), language, prefix, suffix, tuple(groups), primary, extras)
            )
        return out

    def contacts(self) -> None:
        """The bulk of the seed, written in batches with as little work per contact as possible."""
        n = self.scale.contacts
        rng = self.rng
        rand = rng.random
        getrandbits = rng.getrandbits
        uuid = self.uuid
        profiles = self.profiles()
        counts = dict.fromkeys([*self.manual_group_ids, *self.smart_group_ids], 0)
        status_group = self.system_group_ids
        status_counts = dict.fromkeys(status_group.values(), 0)
        start = ANCHOR - 400 * DAY
        step = max(1, (380 * DAY) // max(1, n))
        busy = self.scale.busy
        self.busy_urns: dict[int, tuple[str, str]] = {}
        note = json.dumps(
            [
                {
                    "text": "Prefers calls after 5pm.",
                    "created_on": iso(ANCHOR - 30 * DAY),
                    "created_by": {"email": USERS[2][0], "name": f"{USERS[2][1]} {USERS[2][2]}"},
                }
            ]
        )

        contact_rows: list[tuple[Any, ...]] = []
        urn_rows: list[tuple[Any, ...]] = []
        group_rows: list[tuple[int, int]] = []

        def flush() -> None:
            self.insert(
                "contacts",
                (
                    "id",
                    "uuid",
                    "name",
                    "language",
                    "status",
                    "is_active",
                    "fields",
                    "flow_id",
                    "notes",
                    "created_on",
                    "modified_on",
                    "last_seen_on",
                ),
                contact_rows,
            )
            self.insert(
                "contact_urns",
                ("contact_id", "identity", "scheme", "path", "display", "priority", "channel_id"),
                urn_rows,
            )
            self.insert("contact_groups", ("contact_id", "group_id"), group_rows)
            contact_rows.clear()
            urn_rows.clear()
            group_rows.clear()

        for cid in range(1, n + 1):
            name, first, language, prefix, suffix, groups, primary, extras = profiles[
                getrandbits(12)
            ]
            r = rand()
            status = (
                "active"
                if r < 0.93
                else "blocked"
                if r < 0.95
                else "stopped"
                if r < 0.97
                else "archived"
            )
            is_active = 0 if r > 0.999 or (r < 0.0093) else 1  # about 1% deleted
            created = start + cid * step + int(rand() * step)
            modified = created + int(rand() * 30 * DAY)
            r = rand()
            last_seen = modified - int(r * DAY) if r < 0.8 else None
            flow_id = (1, 2, 5)[cid % 3] if r < 0.04 else None
            registered = _day_iso(created // DAY)
            contact_rows.append(
                (
                    cid,
                    uuid(),
                    name,
                    language,
                    status,
                    is_active,
                    prefix + registered + suffix,
                    flow_id,
                    note if r > 0.99 else "[]",
                    created,
                    modified,
                    last_seen,
                )
            )
            if not is_active:
                continue  # deleted contacts keep no URNs or groups: RapidPro releases them
            status_counts[status_group[status]] += 1

            urns = _contact_urns(cid, first, primary, extras)
            urn_rows += urns
            if cid <= busy:
                self.busy_urns[cid] = (urns[0][1], urns[0][2])

            if status == "active":
                for g in groups:
                    group_rows.append((cid, g))
                    counts[g] += 1

            if len(contact_rows) >= BATCH:
                flush()
        flush()
        self.conn.executemany(
            "UPDATE groups SET count = ? WHERE id = ?",
            [(c, g) for g, c in [*counts.items(), *status_counts.items()]],
        )

    def campaigns(self) -> None:
        nurses = self.manual_group_ids[3]
        farmers = self.manual_group_ids[1]
        rows = [
            (self.uuid(), "Appointment Reminders", 0, nurses, self.when(250)),
            (self.uuid(), "Farmer Tips", 0, farmers, self.when(200)),
            (self.uuid(), "Old Campaign", 1, farmers, self.when(450)),
        ]
        self.insert("campaigns", ("uuid", "name", "archived", "group_id", "created_on"), rows)
        reg, appt = 5, 6  # field ids of registration_date, next_appointment
        events = [
            (
                self.uuid(),
                1,
                appt,
                -1,
                "days",
                9,
                None,
                json.dumps(
                    {
                        "eng": "Reminder: your appointment is tomorrow.",
                        "fra": "Rappel : votre rendez-vous est demain.",
                        "kin": "Ibutsa: gahunda yawe ni ejo.",
                    }
                ),
                self.when(249),
            ),
            (self.uuid(), 1, appt, 2, "hours", -1, 5, None, self.when(248)),
            (self.uuid(), 1, reg, 1, "weeks", 10, 2, None, self.when(247)),
            (
                self.uuid(),
                2,
                reg,
                3,
                "days",
                8,
                None,
                json.dumps({"eng": "Tip: plant maize at the start of the rains."}),
                self.when(199),
            ),
            (
                self.uuid(),
                2,
                reg,
                30,
                "minutes",
                -1,
                None,
                json.dumps({"eng": "Welcome to Farmer Tips!", "kin": "Murakaza neza!"}),
                self.when(198),
            ),
            (self.uuid(), 3, reg, 1, "days", 12, 6, None, self.when(449)),
        ]
        self.insert(
            "campaign_events",
            (
                "uuid",
                "campaign_id",
                "field_id",
                "offset",
                "unit",
                "delivery_hour",
                "flow_id",
                "message",
                "created_on",
            ),
            events,
        )

    def broadcasts(self) -> None:
        rows = []
        statuses = (
            "completed",
            "completed",
            "completed",
            "started",
            "failed",
            "interrupted",
            "queued",
        )
        for i in range(30):
            created = self.when(180 - i * 5, 1)
            status = statuses[i % len(statuses)]
            translations: dict[str, dict[str, Any]] = {
                "eng": {"text": OUT_TEXTS[i % len(OUT_TEXTS)]}
            }
            if i % 3 == 0:
                translations["fra"] = {
                    "text": "Bonjour @contact.name, " + OUT_TEXTS[i % len(OUT_TEXTS)].lower()
                }
            if i % 5 == 0:
                translations["eng"]["attachments"] = [
                    "image/jpeg:https://sandbox-media.example/broadcasts/poster.jpg"
                ]
            if i % 4 == 0:
                translations["eng"]["quick_replies"] = [
                    {"type": "text", "text": "Yes"},
                    {"type": "text", "text": "No"},
                ]
            group_ids = (
                [self.manual_group_ids[i % len(self.manual_group_ids)]] if i % 2 == 0 else []
            )
            contact_ids = self.sample_contacts(2 + i % 3) if i % 2 else []
            urns = [f"tel:+2507890{i:05d}"] if i % 7 == 3 else []
            total = 40 + i * 3 if status != "queued" else None
            started = total or 0
            rows.append(
                (
                    self.uuid(),
                    status,
                    total,
                    started,
                    json.dumps(urns),
                    json.dumps(contact_ids),
                    json.dumps(group_ids),
                    json.dumps(translations),
                    "eng",
                    1 if i == 29 else 0,
                    created,
                )
            )
        self.insert(
            "broadcasts",
            (
                "uuid",
                "status",
                "total",
                "started",
                "urns",
                "contact_ids",
                "group_ids",
                "translations",
                "base_language",
                "scheduled",
                "created_on",
            ),
            rows,
        )

    def sample_contacts(self, k: int) -> list[int]:
        busy = self.scale.busy
        return sorted({1 + int(self.rng.random() * busy) for _ in range(k)})

    def flow_starts(self) -> None:
        rows = []
        statuses = (
            "completed",
            "completed",
            "started",
            "failed",
            "interrupted",
            "queued",
            "pending",
        )
        for i in range(30):
            flow_id = (1, 2, 5)[i % 3]
            created = self.when(170 - i * 5, 1)
            status = statuses[i % len(statuses)]
            total = 25 + i if status not in ("pending", "queued") else None
            params = {"source": "api", "round": i % 4} if i % 2 == 0 else {}
            rows.append(
                (
                    self.uuid(),
                    flow_id,
                    status,
                    total,
                    (total or 0) if status == "completed" else (total or 0) // 2,
                    json.dumps([self.manual_group_ids[i % 4]] if i % 3 == 0 else []),
                    json.dumps(self.sample_contacts(1 + i % 3) if i % 3 else []),
                    json.dumps([f"tel:+2507891{i:05d}"] if i % 5 == 4 else []),
                    json.dumps(params),
                    0 if i % 4 == 1 else 1,
                    1 if i % 6 == 2 else 0,
                    0 if i % 10 == 9 else 1,
                    created,
                    created + int(self.rng.random() * HOUR),
                )
            )
        self.insert(
            "flow_starts",
            (
                "uuid",
                "flow_id",
                "status",
                "total",
                "started",
                "group_ids",
                "contact_ids",
                "urns",
                "params",
                "restart_participants",
                "exclude_active",
                "by_user",
                "created_on",
                "modified_on",
            ),
            rows,
        )

    def messages(self) -> None:
        rng = self.rng.random
        count = self.scale.messages
        busy = self.scale.busy
        channel_for = {"tel": 1, "whatsapp": 3, "telegram": 4, "facebook": 5}
        out_statuses = (
            "sent",
            "delivered",
            "delivered",
            "read",
            "wired",
            "queued",
            "errored",
            "failed",
        )
        rows = []
        label_rows = []
        span = 360 * DAY
        for mid in range(1, count + 1):
            cid = 1 + int(rng() * busy)
            urn, scheme = self.busy_urns.get(cid) or (None, None)
            gone = urn is None  # the contact was deleted, and its messages with it
            created = ANCHOR - span + (mid * span) // count + int(rng() * MINUTE)
            incoming = rng() < 0.55
            flow_id = (1, 2, 5)[int(rng() * 3)] if rng() < 0.3 else None
            attachments = "[]"
            quick = "[]"
            kind = "voice" if rng() < 0.03 else "text"
            if incoming:
                r = rng()
                visibility = "visible" if r < 0.85 else "archived" if r < 0.95 else "deleted"
                visibility = "deleted" if gone else visibility
                status = "handled"
                text = IN_TEXTS[int(rng() * len(IN_TEXTS))]
                sent_on = None
                broadcast_id = None
                if rng() < 0.08:
                    attachments = json.dumps(
                        [
                            {
                                "content_type": "image/jpeg",
                                "url": f"https://sandbox-media.example/in/{mid}.jpg",
                            }
                        ]
                    )
                if rng() < 0.2:
                    label_rows.append((mid, 1 + int(rng() * len(LABELS))))
            else:
                visibility = "deleted" if gone else "visible"
                status = out_statuses[int(rng() * len(out_statuses))]
                text = OUT_TEXTS[int(rng() * len(OUT_TEXTS))]
                sent_on = (
                    created + int(rng() * 5 * MINUTE)
                    if status in ("sent", "delivered", "read", "wired")
                    else None
                )
                broadcast_id = 1 + int(rng() * 30) if rng() < 0.2 else None
                if rng() < 0.1:
                    quick = json.dumps(
                        [
                            {"type": "text", "text": "Yes"},
                            {"type": "text", "text": "No"},
                        ]
                    )
                if rng() < 0.04:
                    attachments = json.dumps(
                        [
                            {
                                "content_type": "application/pdf",
                                "url": f"https://sandbox-media.example/out/{mid}.pdf",
                            }
                        ]
                    )
            channel_id = channel_for.get(scheme or "")
            rows.append(
                (
                    self.uuid(),
                    cid,
                    urn,
                    channel_id,
                    "in" if incoming else "out",
                    kind,
                    status,
                    visibility,
                    text,
                    flow_id,
                    attachments,
                    quick,
                    broadcast_id,
                    created,
                    sent_on,
                    (sent_on or created) + int(rng() * MINUTE),
                )
            )
        self.insert(
            "messages",
            (
                "uuid",
                "contact_id",
                "urn",
                "channel_id",
                "direction",
                "type",
                "status",
                "visibility",
                "text",
                "flow_id",
                "attachments",
                "quick_replies",
                "broadcast_id",
                "created_on",
                "sent_on",
                "modified_on",
            ),
            rows,
        )
        self.insert("msg_labels", ("msg_id", "label_id"), label_rows)

    def runs(self) -> None:
        rng = self.rng.random
        count = self.scale.runs
        busy = self.scale.busy
        statuses = (
            "completed",
            "completed",
            "completed",
            "active",
            "waiting",
            "expired",
            "interrupted",
            "failed",
        )
        answers = {
            "name": lambda: FIRST_NAMES[int(rng() * len(FIRST_NAMES))],
            "age": lambda: str(16 + int(rng() * 60)),
            "rating": lambda: str(1 + int(rng() * 5)),
            "comment": lambda: IN_TEXTS[int(rng() * len(IN_TEXTS))],
            "menu": lambda: str(1 + int(rng() * 3)),
            "confirm": lambda: "yes" if rng() < 0.7 else "no",
            "feedback": lambda: IN_TEXTS[int(rng() * len(IN_TEXTS))],
        }
        rows = []
        span = 300 * DAY
        for rid in range(1, count + 1):
            flow_id = 1 + int(rng() * len(FLOWS))
            nodes = self.flow_nodes[flow_id]
            results = self.flow_results[flow_id]
            created = ANCHOR - span + (rid * span) // count + int(rng() * MINUTE)
            status = statuses[int(rng() * len(statuses))]
            steps = 1 + int(rng() * len(nodes))
            path = []
            t = created
            for node in nodes[:steps]:
                path.append({"node": node, "time": _iso_us(t)})
                t += int(rng() * 10 * MINUTE) + 1
            values = {}
            for res in results:
                if res["node_uuids"][0] in nodes[:steps]:
                    value = answers[res["key"]]()
                    category = (
                        res["categories"][0]
                        if len(res["categories"]) == 1
                        else res["categories"][int(rng() * len(res["categories"]))]
                    )
                    values[res["key"]] = {
                        "name": res["name"],
                        "value": value,
                        "category": category,
                        "node": res["node_uuids"][0],
                        "time": _iso_us(created + MINUTE),
                    }
            modified = t
            exited = t if status not in ("active", "waiting") else None
            start_id = 1 + (rid % 30) if rng() < 0.3 else None
            rows.append(
                (
                    self.uuid(),
                    flow_id,
                    1 + int(rng() * busy),
                    start_id,
                    1 if values else 0,
                    status,
                    json.dumps(path),
                    json.dumps(values),
                    created,
                    modified,
                    exited,
                )
            )
        self.insert(
            "runs",
            (
                "uuid",
                "flow_id",
                "contact_id",
                "start_id",
                "responded",
                "status",
                "path",
                "vals",
                "created_on",
                "modified_on",
                "exited_on",
            ),
            rows,
        )

    def globals(self) -> None:
        rows = []
        for i, (key, name, value) in enumerate(GLOBALS):
            created = self.when(400 - i * 30)
            rows.append((key, name, value, created, created + (i + 1) * DAY))
        self.insert("globals", ("key", "name", "value", "created_on", "modified_on"), rows)

    def resthooks(self) -> None:
        rows = []
        for i, slug in enumerate(RESTHOOKS):
            created = self.when(380 - i * 40)
            rows.append((slug, created, created + (i + 2) * DAY))
        self.insert("resthooks", ("slug", "created_on", "modified_on"), rows)
        subs = [
            (1, "https://hooks.example.com/reports", self.when(370)),
            (1, "https://backup.example.org/rapidpro/new-report", self.when(360)),
            (2, "https://crm.example.com/webhooks/registration", self.when(330)),
            (3, "https://helpdesk.example.net/api/rapidpro", self.when(300)),
        ]
        self.insert("resthook_subscribers", ("resthook_id", "target_url", "created_on"), subs)
        events = []
        for i in range(40):
            hook = 1 + i % len(RESTHOOKS)
            cid = 1 + int(self.rng.random() * self.scale.busy)
            data = {
                "contact": {
                    "uuid": self.uuid(),
                    "urn": f"tel:+25078{cid:07d}",
                    "name": FIRST_NAMES[cid % len(FIRST_NAMES)],
                },
                "flow": {"uuid": self.uuid(), "name": FLOWS[i % 3][0]},
                "path": [],
                "results": {"report": {"value": f"report {i}", "category": "All Responses"}},
                "run": {"uuid": self.uuid(), "created_on": _iso_us(self.when(150 - i * 3))},
                "input": {"text": IN_TEXTS[i % len(IN_TEXTS)], "type": "msg"},
            }
            events.append((hook, json.dumps(data), self.when(150 - i * 3)))
        self.insert("resthook_events", ("resthook_id", "data", "created_on"), events)

    def tickets(self) -> None:
        self.insert(
            "topics",
            ("uuid", "name", "system", "created_on"),
            [
                (self.uuid(), name, 1 if i == 0 else 0, self.when(650 - i * 40))
                for i, name in enumerate(TOPICS)
            ],
        )
        rng = self.rng.random
        rows = []
        count = self.scale.tickets
        span = 200 * DAY
        for tid in range(1, count + 1):
            opened = ANCHOR - span + (tid * span) // count
            closed = rng() < 0.6
            closed_on = opened + int(rng() * 3 * DAY) if closed else None
            assignee = (3, 4, None)[int(rng() * 3)]
            opened_by = 3 if rng() < 0.3 else None
            opened_in = (1, 2, 5)[int(rng() * 3)] if opened_by is None else None
            modified = (closed_on or opened) + int(rng() * HOUR)
            rows.append(
                (
                    self.uuid(),
                    1 + int(rng() * self.scale.busy),
                    "closed" if closed else "open",
                    1 + int(rng() * len(TOPICS)),
                    assignee,
                    opened,
                    opened_by,
                    opened_in,
                    modified,
                    closed_on,
                )
            )
        self.insert(
            "tickets",
            (
                "uuid",
                "contact_id",
                "status",
                "topic_id",
                "assignee_id",
                "opened_on",
                "opened_by_id",
                "opened_in_id",
                "modified_on",
                "closed_on",
            ),
            rows,
        )

    def archives(self) -> None:
        """A year of monthly archives, then the days since: the last month's dailies are
        rolled up into its monthly archive (and so no longer listed), this month's are not."""
        refs = self.archive_refs()
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)",
            (archive_files.REFS_META_KEY, json.dumps(refs)),
        )
        # They end at the archive cutoff, where the live data begins: nothing is in both.
        periods = [
            ("monthly", date(2024 + (m + 4) // 12, (m + 4) % 12 + 1, 1), 0) for m in range(12)
        ]
        periods += [("daily", date(2025, 4, d), 1) for d in range(1, 31)]
        periods += [("daily", date(2025, 5, d), 0) for d in range(1, 32)]
        rows = []
        for kind in archive_files.KINDS:
            for period, start, rolled_up in periods:
                built = archive_files.build(kind, period, start, refs)
                rows.append(
                    (
                        kind,
                        start.isoformat(),
                        period,
                        built.record_count,
                        built.size,
                        built.hash,
                        rolled_up,
                    )
                )
        self.insert(
            "archives",
            ("type", "start_date", "period", "record_count", "size", "hash", "rolled_up"),
            rows,
        )

    def archive_refs(self) -> dict[str, Any]:
        """What archived records point at, as it was when they were archived."""
        rng = random.Random(SEED + 1)  # its own stream: the rest of the seed stays as it was
        flows = [
            {
                "uuid": uuid,
                "name": name,
                "nodes": self.flow_nodes[fid],
                "results": self.flow_results[fid],
            }
            for fid, uuid, name in self.conn.execute("SELECT id, uuid, name FROM flows ORDER BY id")
        ]
        contacts = [
            {
                "uuid": str(uuid_module.UUID(int=rng.getrandbits(128), version=4)),
                "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                "urn": f"tel:+25079{i:07d}",
            }
            for i in range(1, 121)
        ]
        return {
            "flows": flows,
            "channels": [
                {"uuid": u, "name": n}
                for u, n in self.conn.execute("SELECT uuid, name FROM channels ORDER BY id")
            ],
            "labels": [
                {"uuid": u, "name": n}
                for u, n in self.conn.execute("SELECT uuid, name FROM labels ORDER BY id")
            ],
            "contacts": contacts,
        }

    def channel_events(self) -> None:
        rng = self.rng.random
        rows = []
        count = self.scale.channel_events
        span = 200 * DAY
        for i in range(1, count + 1):
            kind = CHANNEL_EVENT_TYPES[int(rng() * len(CHANNEL_EVENT_TYPES))]
            occurred = ANCHOR - span + (i * span) // count
            extra: dict[str, Any] | None = None
            if kind.startswith("call"):
                extra = {"duration": int(rng() * 300)}
            elif kind == "referral":
                extra = {"referrer_id": "ad-campaign-7", "source": "ADS"}
            channel = 1 if kind.startswith("call") else (3, 4, 5)[int(rng() * 3)]
            rows.append(
                (
                    kind,
                    1 + int(rng() * self.scale.busy),
                    channel,
                    json.dumps(extra) if extra is not None else None,
                    occurred,
                    occurred + int(rng() * 5_000_000),
                )
            )
        self.insert(
            "channel_events",
            ("type", "contact_id", "channel_id", "extra", "occurred_on", "created_on"),
            rows,
        )


def seed(conn: sqlite3.Connection, contacts: int) -> None:
    """Fill the empty schema on ``conn`` with a workspace of ``contacts`` contacts."""
    Seeder(conn, contacts).run()
    log.info("seeded a sandbox of %d contacts", contacts)


def _iso_us(us: int) -> str:
    return iso(us) or ""


@functools.lru_cache(maxsize=1024)
def _contact_urns(
    cid: int, first: str, primary: str, extras: tuple[bool, bool, bool, bool]
) -> list[tuple[Any, ...]]:
    """Contact ``cid``'s URN rows, its primary one first: what its profile says it has."""
    digits = f"25078{cid:07d}"
    if primary == "tel":
        scheme, path, channel = "tel", "+" + digits, 1
    elif primary == "telegram":
        scheme, path, channel = "telegram", str(100000000 + cid), 4
    else:
        scheme, path, channel = "facebook", str(1000000000000 + cid), 5
    rows: list[tuple[Any, ...]] = [(cid, f"{scheme}:{path}", scheme, path, None, 1000, channel)]
    whatsapp, mailto, twitter, ext = extras
    if whatsapp:
        rows.append((cid, "whatsapp:" + digits, "whatsapp", digits, None, 999, 3))
    if mailto:
        email = f"{first}.{cid}@example.com"
        rows.append((cid, "mailto:" + email, "mailto", email, None, 998, None))
    if twitter:
        handle = f"{first}{cid}"[:15]
        rows.append((cid, "twitter:" + handle, "twitter", handle, None, 997, None))
    if ext:
        ref = f"crm-{cid:07d}"
        rows.append((cid, "ext:" + ref, "ext", ref, None, 996, None))
    return rows


def _day_iso(day: int) -> str:
    """Nine in the morning of ``day`` (days since the epoch): when people register."""
    return iso(day * DAY + 9 * HOUR) or ""


def _square(lon: float, lat: float, size: float) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {
        "type": "MultiPolygon",
        "coordinates": [[[[round(x, 4), round(y, 4)] for x, y in ring]]],
    }


def _flow_definition(
    uuid: str,
    name: str,
    kind: str,
    *,
    expires: int,
    nodes: list[str],
    results: list[dict[str, Any]],
    seeder: Seeder,
) -> dict[str, Any]:
    engine_type = {
        "message": "messaging",
        "voice": "voice",
        "background": "messaging_background",
        "survey": "messaging_offline",
    }[kind]
    node_defs = []
    for i, node in enumerate(nodes):
        dest = nodes[i + 1] if i + 1 < len(nodes) else None
        exit_ = {"uuid": seeder.uuid(), "destination_uuid": dest}
        node_def: dict[str, Any] = {"uuid": node, "actions": [], "exits": [exit_]}
        result = next((r for r in results if node in r["node_uuids"]), None)
        if result is not None:
            node_def["router"] = {
                "type": "switch",
                "operand": "@input.text",
                "result_name": result["name"],
                "default_category_uuid": seeder.uuid(),
                "categories": [
                    {"uuid": seeder.uuid(), "name": c, "exit_uuid": exit_["uuid"]}
                    for c in result["categories"]
                ],
                "cases": [],
                "wait": {"type": "msg"},
            }
        else:
            node_def["actions"].append(
                {
                    "type": "send_msg",
                    "uuid": seeder.uuid(),
                    "text": OUT_TEXTS[i % len(OUT_TEXTS)],
                    "attachments": [],
                    "quick_replies": [],
                }
            )
        node_defs.append(node_def)
    return {
        "uuid": uuid,
        "name": name,
        "spec_version": "14.3.0",
        "language": DEFAULT_LANGUAGE,
        "type": engine_type,
        "revision": 1 + len(nodes),
        "expire_after_minutes": expires,
        "localization": {},
        "nodes": node_defs,
    }
