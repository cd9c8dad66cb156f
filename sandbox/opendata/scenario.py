"""The open-data scenario: the data.egov.kz catalogue as of 2021-12-31, calibrated at 2017-12-31
to docs/calibration.md section 3.

Built from a seed, and exact where the calibration is exact:

* 2,100 datasets on the lists of the state bodies at the end of 2017 (createdDate ≤ 2017-12-31),
  1,900 of them created by 2016-12-31; 40 archived datasets on top;
* exactly 70% of the 2,100 (1,470) up to date at 2017-12-31 by the definition: the days from
  modifiedDate to 2017-12-31 do not exceed the periodicity's allowance; irregular counts as up
  to date; archived datasets leave the denominator;
* about 60 owning bodies (central bodies and akimats of the 2017 layout) with uneven shares and
  uneven diligence, so that their freshness ranking means something.

After 2017 (scenario values, docs/calibration.md section 3, "2018 to 2021"): 120, 150, 200 and 230
datasets created in 2018, 2019, 2020 and 2021 by the bodies of the time (South Kazakhstan oblast's
akimat gone, the Turkestan oblast's and Shymkent's in its place from 2018-06-19), each last
modified between its creation and 2021-12-31, the more diligent bodies more recently. The
datasets of 2017 were never modified again: the catalogue shows a dataset's latest modification
only, so a later one would hide its calibrated state at 2017-12-31 from a warehouse that reads
the catalogue once (as of 2021-12-31, as the demo does).

A few datasets also have records behind the data API; one holds more than 10,000 of them, so
that a client paging with deep `from` offsets loses records (the real API's deep-paging trap).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

SNAPSHOT = date(2017, 12, 31)  # the calibrated date (docs/calibration.md section 3)
YEAR_BEFORE = date(2016, 12, 31)
TODAY = date(2021, 12, 31)  # the scenario's "today": the catalogue as it stood that evening
FIRST_DAY = date(2013, 3, 1)  # the first dataset of the scenario

# docs/calibration.md section 3
DATASETS_AT_SNAPSHOT = 2100
DATASETS_A_YEAR_BEFORE = 1900
ARCHIVED = 40
UP_TO_DATE = 1470  # 70% of 2,100, exactly

# The definition's allowances, in days (docs/calibration.md section 3); None: always up to date.
ALLOWANCE_DAYS: dict[str, int | None] = {
    "daily": 2,
    "weekly": 8,
    "monthly": 35,
    "quarterly": 100,
    "semiannual": 190,
    "yearly": 380,
    "irregular": None,
}
# Scenario values: how often the bodies promise to update their datasets.
PERIODICITY_WEIGHTS = {
    "daily": 3,
    "weekly": 4,
    "monthly": 22,
    "quarterly": 18,
    "semiannual": 6,
    "yearly": 37,
    "irregular": 10,
}

# About 60 owning bodies of 2017 (scenario value): central bodies, then the 16 regional akimats
# of the 2017 layout (14 oblasts, Astana, Almaty), then city akimats.
RK = "Республики Казахстан"
BODIES: tuple[str, ...] = (
    f"Министерство национальной экономики {RK}",
    f"Министерство финансов {RK}",
    f"Министерство образования и науки {RK}",
    f"Министерство здравоохранения {RK}",
    f"Министерство труда и социальной защиты населения {RK}",
    f"Министерство по инвестициям и развитию {RK}",
    f"Министерство энергетики {RK}",
    f"Министерство сельского хозяйства {RK}",
    f"Министерство юстиции {RK}",
    f"Министерство внутренних дел {RK}",
    f"Министерство культуры и спорта {RK}",
    f"Министерство информации и коммуникаций {RK}",
    f"Министерство иностранных дел {RK}",
    f"Министерство обороны {RK}",
    f"Министерство по делам религий и гражданского общества {RK}",
    f"Министерство оборонной и аэрокосмической промышленности {RK}",
    f"Агентство {RK} по делам государственной службы и противодействию коррупции",
    f"Генеральная прокуратура {RK}",
    f"Национальный банк {RK}",
    "Счётный комитет по контролю за исполнением республиканского бюджета",
    f"Верховный суд {RK}",
    f"Центральная избирательная комиссия {RK}",
    f"Комитет по статистике Министерства национальной экономики {RK}",
    f"Комитет государственных доходов Министерства финансов {RK}",
    "Комитет по правовой статистике и специальным учётам Генеральной прокуратуры",
    f"Управление делами Президента {RK}",
    "Акимат Акмолинской области",
    "Акимат Актюбинской области",
    "Акимат Алматинской области",
    "Акимат Атырауской области",
    "Акимат Восточно-Казахстанской области",
    "Акимат Жамбылской области",
    "Акимат Западно-Казахстанской области",
    "Акимат Карагандинской области",
    "Акимат Костанайской области",
    "Акимат Кызылординской области",
    "Акимат Мангистауской области",
    "Акимат Павлодарской области",
    "Акимат Северо-Казахстанской области",
    "Акимат Южно-Казахстанской области",
    "Акимат города Астаны",
    "Акимат города Алматы",
    "Акимат города Караганды",
    "Акимат города Шымкента",
    "Акимат города Актобе",
    "Акимат города Павлодара",
    "Акимат города Усть-Каменогорска",
    "Акимат города Семей",
    "Акимат города Костаная",
    "Акимат города Атырау",
    "Акимат города Актау",
    "Акимат города Тараза",
    "Акимат города Кызылорды",
    "Акимат города Уральска",
    "Акимат города Петропавловска",
    "Акимат города Кокшетау",
    "Акимат города Талдыкоргана",
    "Акимат города Экибастуза",
    "Акимат города Темиртау",
    "Акимат города Туркестана",
)
# Bodies that publish from 2018 on (scenario values): the regional akimats formed on 2018-06-19
# (dim_regions) and the 2017 bodies still in place, South Kazakhstan oblast's akimat and the
# Shymkent city akimat of then (now the city's, under its new name) gone.
NEW_BODIES: dict[str, date] = {
    "Акимат Туркестанской области": date(2018, 6, 19),
    "Акимат города Шымкент": date(2018, 6, 19),
}
GONE_BODIES = ("Акимат Южно-Казахстанской области", "Акимат города Шымкента")
# Datasets created in each year after 2017 (scenario values): the catalogue grows by 6-9% a year.
LATER_DATASETS = {2018: 120, 2019: 150, 2020: 200, 2021: 230}
NEW_BODY_MIN_DATASETS = 6  # each new body's first datasets, created in its first half-year
SHARE_EXPONENT = 0.7  # body i (shuffled) weighs i ** -0.7: the largest ~9%, the smallest ~0.5%
MIN_DATASETS_PER_BODY = 3

# (apiUri stem, Russian name, Kazakh name) of the datasets' topics; scenario values.
TOPICS: tuple[tuple[str, str, str], ...] = (
    ("mektepter_tizimi", "Список общеобразовательных школ", "Жалпы білім беретін мектептер тізімі"),
    ("balabaqshalar", "Перечень детских садов", "Балабақшалар тізбесі"),
    ("emhanalar", "Перечень поликлиник", "Емханалар тізбесі"),
    ("darihanalar", "Перечень аптек", "Дәріханалар тізбесі"),
    ("aurukhanalar", "Перечень больниц", "Ауруханалар тізбесі"),
    ("halyk_sany", "Численность населения", "Халық саны"),
    ("zhumyssyzdyq", "Уровень безработицы", "Жұмыссыздық деңгейі"),
    ("orta_zhalaqy", "Среднемесячная заработная плата", "Орташа айлық жалақы"),
    ("budzhet_atkaru", "Исполнение местного бюджета", "Жергілікті бюджеттің атқарылуы"),
    ("memlekettik_satyp_alu", "Государственные закупки", "Мемлекеттік сатып алу"),
    ("zher_uchaskeleri", "Земельные участки", "Жер учаскелері"),
    ("turgyn_uj", "Ввод в эксплуатацию жилья", "Тұрғын үйді пайдалануға беру"),
    ("zhol_apattary", "Дорожно-транспортные происшествия", "Жол-көлік оқиғалары"),
    ("kylmystar", "Зарегистрированные преступления", "Тіркелген қылмыстар"),
    ("sport_nysandary", "Спортивные объекты", "Спорт нысандары"),
    ("kitaphanalar", "Библиотеки", "Кітапханалар"),
    ("muzejler", "Музеи", "Мұражайлар"),
    ("avtobus_marshruttary", "Автобусные маршруты", "Автобус бағыттары"),
    ("bagalar", "Цены на социально значимые товары", "Әлеуметтік маңызы бар тауарлар бағасы"),
    ("kasiporyndar", "Реестр предприятий", "Кәсіпорындар тізілімі"),
    ("salyq_tusimderi", "Налоговые поступления", "Салық түсімдері"),
    ("lizenziyalar", "Выданные лицензии", "Берілген лицензиялар"),
    ("memlekettik_qyzmetter", "Государственные услуги", "Мемлекеттік қызметтер"),
    ("akimdik_qabyldau", "График приёма граждан", "Азаматтарды қабылдау кестесі"),
    ("auyl_sharuashylygy", "Посевные площади", "Егіс алқаптары"),
    ("mal_basy", "Поголовье скота", "Мал басы"),
    ("energiya_tutynu", "Потребление электроэнергии", "Электр энергиясын тұтыну"),
    ("su_sapasy", "Качество питьевой воды", "Ауыз су сапасы"),
    ("aua_sapasy", "Качество атмосферного воздуха", "Атмосфералық ауа сапасы"),
    ("turistik_nysandar", "Туристические объекты", "Туристік нысандар"),
)
FIELD_POOL: tuple[tuple[str, str, str, str], ...] = (
    # name, type (passport), Russian label, Kazakh label
    ("name_ru", "String", "Наименование", "Атауы (орыс тілінде)"),
    ("name_kk", "String", "Наименование на казахском", "Атауы"),
    ("region", "String", "Регион", "Өңір"),
    ("address_ru", "String", "Адрес", "Мекенжайы"),
    ("period", "Datetime", "Период", "Кезең"),
    ("value", "Int", "Значение", "Мәні"),
    ("is_active", "Boolean", "Действует", "Жұмыс істейді"),
    ("unit", "String", "Единица измерения", "Өлшем бірлігі"),
)
# Passport field types → the search index's mapping types.
MAPPING_TYPES = {"Int": "long", "String": "text", "Datetime": "date", "Boolean": "boolean"}

# Datasets with records behind the data API (scenario values). The first is the big one.
RECORD_SETS: tuple[tuple[str, int, tuple[str, ...], str | None], ...] = (
    # apiUri, records, versions, modification field of the latest version
    ("medicinalyq_mekemeler", 12_500, ("v1",), "modified"),
    ("mektepter_kontingenti", 1_250, ("v1",), None),
    ("zhol_zhondeu_zhumystary", 60, ("v1", "v2"), "updated_at"),
)


@dataclass(frozen=True)
class Dataset:
    """One dataset of the catalogue, with everything its passport and mapping show."""

    api_uri: str
    name_ru: str
    name_kk: str
    owner: str  # the owning body's fullnameRu
    created: datetime  # local time (Asia/Almaty)
    modified: datetime
    periodicity: str
    archived: bool
    versions: tuple[str, ...]
    fields: dict[str, tuple[str, str, str]]  # name → (type, labelRu, labelKk), latest version
    views: int
    phone: str  # the responsible employee's: personal-ish contact data
    email: str

    @property
    def latest_version(self) -> str:
        return max(self.versions, key=lambda v: int(v[1:]))

    def up_to_date(self, at: date) -> bool:
        """The calibration's definition (archived datasets are outside the question)."""
        allowance = ALLOWANCE_DAYS[self.periodicity]
        return allowance is None or (at - self.modified.date()).days <= allowance

    def catalogue_entry(self) -> dict:
        return {
            "apiUri": self.api_uri,
            "nameRu": self.name_ru,
            "nameKk": self.name_kk,
            "descriptionRu": f"{self.name_ru}. Источник: {self.owner}.",
            "descriptionKk": f"{self.name_kk}.",
            "createdDate": _iso(self.created),
            "modifiedDate": _iso(self.modified),
            "views": self.views,
            "responsible": {"phone": self.phone, "email": self.email},
            "owner": {"fullnameRu": self.owner},
        }

    def passport(self, version: str) -> dict:
        older = version != self.latest_version
        return {
            "descriptionRu": f"{self.name_ru}. Источник: {self.owner}.",
            "descriptionKk": f"{self.name_kk}.",
            "modifiedDate": _iso(self.created if older else self.modified),
            "fullnameRu": self.owner,
            "fullnameKk": self.owner,
            "fields": {
                name: {"labelRu": label_ru, "labelKk": label_kk, "type": kind}
                for name, (kind, label_ru, label_kk) in self._fields_of(version).items()
            },
            "periodicity": self.periodicity,
            "archived": self.archived,
        }

    def mapping(self) -> dict:
        return {
            self.api_uri: {
                "mappings": {
                    version: {
                        "properties": {
                            name: {"type": MAPPING_TYPES[kind]}
                            for name, (kind, _, _) in self._fields_of(version).items()
                        }
                    }
                    for version in self.versions
                }
            }
        }

    def _fields_of(self, version: str) -> dict[str, tuple[str, str, str]]:
        if version == self.latest_version:
            return self.fields
        # an older version lacks the latest one's last field (e.g. its modification stamp)
        names = list(self.fields)
        return {name: self.fields[name] for name in names[: max(2, len(names) - 1)]}


@dataclass
class Scenario:
    datasets: list[Dataset]  # newest first (createdDate descending), as the catalogue sorts
    records: dict[tuple[str, str], list[dict]] = field(default_factory=dict)  # sorted by id
    seed: int = 2017

    def __post_init__(self) -> None:
        self.by_uri = {d.api_uri: d for d in self.datasets}

    @property
    def bodies(self) -> list[str]:
        return sorted({d.owner for d in self.datasets})

    def active(self, at: date = SNAPSHOT) -> list[Dataset]:
        # `up_to_date(at)` below judges a dataset on its latest modification: exact where no
        # dataset of `at` was modified after it (2017-12-31 and before, and TODAY)
        """Datasets on the lists at `at`: created by then, not archived."""
        return [d for d in self.datasets if not d.archived and d.created.date() <= at]

    def up_to_date(self, at: date = SNAPSHOT) -> list[Dataset]:
        return [d for d in self.active(at) if d.up_to_date(at)]


def build_scenario(seed: int = 2017) -> Scenario:
    """The calibrated catalogue; the same seed gives the same catalogue, byte for byte."""
    rng = random.Random(seed)
    bodies = list(BODIES)
    rng.shuffle(bodies)  # which body gets which share is a scenario value
    counts = _allocate(DATASETS_AT_SNAPSHOT, [(i + 1) ** -SHARE_EXPONENT for i in range(60)])
    diligence = {body: rng.uniform(0.15, 1.0) for body in bodies}
    owners = [body for body, n in zip(bodies, counts, strict=True) for _ in range(n)]
    rng.shuffle(owners)

    created = _creation_times(rng)
    periodicities = rng.choices(
        list(PERIODICITY_WEIGHTS), weights=list(PERIODICITY_WEIGHTS.values()), k=len(owners)
    )
    fresh = _choose_up_to_date(rng, owners, created, periodicities, diligence)
    uris = _ApiUris(rng)
    datasets: list[Dataset] = []
    boundary_done: set[tuple[str, bool]] = set()
    rows = zip(owners, created, periodicities, strict=True)
    for i, (owner, made, periodicity) in enumerate(rows):
        age = _modification_age(rng, made, periodicity, i in fresh, boundary_done)
        datasets.append(_dataset(rng, uris, owner, made, periodicity, age, archived=False))
    for owner in rng.choices(bodies, weights=counts, k=ARCHIVED):
        made = _random_time(rng, FIRST_DAY, YEAR_BEFORE - timedelta(days=200))
        age = rng.randint(200, (SNAPSHOT - made.date()).days)
        periodicity = rng.choice(["yearly", "quarterly", "monthly"])
        datasets.append(_dataset(rng, uris, owner, made, periodicity, age, archived=True))
    # after 2017 from a generator of its own: the calibrated catalogue stays byte for byte
    datasets += _later_datasets(random.Random(f"{seed}-after-2017"), uris.used, diligence)

    datasets = _with_record_sets(rng, datasets)
    datasets.sort(key=lambda d: (d.created, d.api_uri), reverse=True)
    scenario = Scenario(datasets, seed=seed)
    scenario.records = _records(rng, scenario)
    return scenario


# --- the catalogue ---------------------------------------------------------------------------


def _allocate(total: int, weights: list[float]) -> list[int]:
    """Largest-remainder split of `total` by `weights`, each part at least the minimum."""
    spare = total - MIN_DATASETS_PER_BODY * len(weights)
    quotas = [spare * w / sum(weights) for w in weights]
    parts = [int(q) for q in quotas]
    by_remainder = sorted(range(len(weights)), key=lambda i: quotas[i] - parts[i], reverse=True)
    for i in by_remainder[: spare - sum(parts)]:
        parts[i] += 1
    return [p + MIN_DATASETS_PER_BODY for p in parts]


def _creation_times(rng: random.Random) -> list[datetime]:
    """1,900 creation times up to 2016-12-31, 200 in 2017, with one on each side of New Year's
    night (a local-time boundary the warehouse must get right)."""
    before = [
        # denser towards the end: the portal grew
        FIRST_DAY + timedelta(days=int((YEAR_BEFORE - FIRST_DAY).days * rng.random() ** 0.6))
        for _ in range(DATASETS_A_YEAR_BEFORE - 1)
    ]
    during = [
        date(2017, 1, 1) + timedelta(days=rng.randrange(365))
        for _ in range(DATASETS_AT_SNAPSHOT - DATASETS_A_YEAR_BEFORE - 1)
    ]
    times = [_at(rng, day) for day in before + during]
    times.append(datetime(2016, 12, 31, 23, 50, 0))
    times.append(datetime(2017, 1, 1, 0, 10, 0))
    rng.shuffle(times)
    return times


def _choose_up_to_date(
    rng: random.Random,
    owners: list[str],
    created: list[datetime],
    periodicities: list[str],
    diligence: dict[str, float],
) -> set[int]:
    """Exactly UP_TO_DATE indices: every irregular dataset and every one too young to be late,
    then a diligence-weighted draw (Efraimidis-Spirakis) among the rest."""
    forced, candidates = set(), []
    for i, (made, periodicity) in enumerate(zip(created, periodicities, strict=True)):
        allowance = ALLOWANCE_DAYS[periodicity]
        if allowance is None or (SNAPSHOT - made.date()).days <= allowance:
            forced.add(i)
        else:
            candidates.append(i)
    wanted = UP_TO_DATE - len(forced)
    if not 0 <= wanted <= len(candidates):
        raise AssertionError(f"cannot calibrate: {len(forced)} datasets are up to date by force")
    keyed = sorted(candidates, key=lambda i: rng.random() ** (1 / diligence[owners[i]]))
    return forced | set(keyed[-wanted:])


def _modification_age(
    rng: random.Random,
    made: datetime,
    periodicity: str,
    fresh: bool,
    boundary_done: set[tuple[str, bool]],
) -> int:
    """Days from the last modification to SNAPSHOT. The first fresh (stale) dataset of each
    periodicity that can be is placed exactly at (one day past) its allowance."""
    oldest = (SNAPSHOT - made.date()).days
    allowance = ALLOWANCE_DAYS[periodicity]
    if allowance is None:
        return rng.randint(0, oldest)
    edge = allowance if fresh else allowance + 1
    if (periodicity, fresh) not in boundary_done and edge <= oldest:
        boundary_done.add((periodicity, fresh))
        return edge
    if fresh:
        return rng.randint(0, min(allowance, oldest))
    # late ones: most by less than a year, some abandoned long ago
    return rng.randint(allowance + 1, min(oldest, allowance + 1 + int(rng.expovariate(1 / 200))))


def _dataset(
    rng: random.Random,
    uris: _ApiUris,
    owner: str,
    made: datetime,
    periodicity: str,
    age: int,
    *,
    archived: bool,
    today: date = SNAPSHOT,
) -> Dataset:
    """A dataset of `owner` created at `made`, last modified `age` days before `today`."""
    stem, name_ru, name_kk = rng.choice(TOPICS)
    day = today - timedelta(days=age)
    modified = _at(rng, day)
    modified = max(modified, made)  # modified the day it was created: not before it
    versions = tuple(f"v{n}" for n in range(1, rng.choices([1, 2, 3], [80, 15, 5])[0] + 1))
    picked = rng.sample(FIELD_POOL, rng.randint(2, 6))
    fields = {"id": ("Int", "Идентификатор", "Сәйкестендіргіш")}
    fields |= {name: (kind, ru, kk) for name, kind, ru, kk in picked}
    return Dataset(
        api_uri=uris.next(stem),
        name_ru=f"{name_ru} ({_short(owner)})",
        name_kk=f"{name_kk} ({_short(owner)})",
        owner=owner,
        created=made,
        modified=modified,
        periodicity=periodicity,
        archived=archived,
        versions=versions,
        fields=fields,
        views=int(rng.paretovariate(1.2) * 40),
        phone=f"+7 (7172) {rng.randint(20, 79)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}",
        email=f"{rng.choice('abdegikmnst')}.{rng.choice(_SURNAMES)}@{_domain(owner)}",
    )


def _with_record_sets(rng: random.Random, datasets: list[Dataset]) -> list[Dataset]:
    """Give the record sets' apiUris, versions and fields to three active, non-archived
    datasets (their counts and freshness stay as calibrated)."""
    chosen = [d for d in datasets if not d.archived and d.created.date() <= YEAR_BEFORE][:3]
    replaced = {}
    for dataset, (api_uri, _, versions, modified_field) in zip(chosen, RECORD_SETS, strict=True):
        fields = {
            "id": ("Int", "Идентификатор", "Сәйкестендіргіш"),
            "name_ru": ("String", "Наименование", "Атауы (орыс тілінде)"),
            "region": ("String", "Регион", "Өңір"),
            "value": ("Int", "Значение", "Мәні"),
        }
        if modified_field:
            fields[modified_field] = ("Datetime", "Дата изменения", "Өзгертілген күні")
        replaced[dataset.api_uri] = Dataset(
            **{
                **dataset.__dict__,
                "api_uri": api_uri,
                "versions": versions,
                "fields": fields,
            }
        )
    return [replaced.get(d.api_uri, d) for d in datasets]


def _later_datasets(
    rng: random.Random, used_uris: set[str], diligence: dict[str, float]
) -> list[Dataset]:
    """The datasets created from 2018 to 2021 (LATER_DATASETS), modified up to TODAY."""
    uris = _ApiUris(rng)
    uris.used |= used_uris
    bodies = [b for b in BODIES if b not in GONE_BODIES] + list(NEW_BODIES)
    diligence = diligence | {body: rng.uniform(0.15, 1.0) for body in NEW_BODIES}
    weights = {body: rng.uniform(0.2, 1.0) for body in bodies}  # who publishes how much
    datasets = []
    for year, count in LATER_DATASETS.items():
        first_day, last_day = date(year, 1, 1), date(year, 12, 31)
        creations = []
        if year == 2018:  # the new bodies' first datasets
            creations = [
                (body, _random_time(rng, start, start + timedelta(days=180)))
                for body, start in NEW_BODIES.items()
                for _ in range(NEW_BODY_MIN_DATASETS)
            ]
        for _ in range(count - len(creations)):
            made = _random_time(rng, first_day, last_day)
            candidates = [b for b in bodies if NEW_BODIES.get(b, first_day) <= made.date()]
            owner = rng.choices(candidates, weights=[weights[b] for b in candidates])[0]
            creations.append((owner, made))
        for owner, made in creations:
            periodicity = rng.choices(
                list(PERIODICITY_WEIGHTS), weights=list(PERIODICITY_WEIGHTS.values())
            )[0]
            oldest = (TODAY - made.date()).days
            allowance = ALLOWANCE_DAYS[periodicity]
            if allowance is None or rng.random() < diligence[owner]:
                age = rng.randint(0, min(allowance if allowance is not None else oldest, oldest))
            else:
                age = rng.randint(min(allowance + 1, oldest), oldest)
            datasets.append(
                _dataset(rng, uris, owner, made, periodicity, age, archived=False, today=TODAY)
            )
    return datasets


# --- records behind the data API -------------------------------------------------------------


def _records(rng: random.Random, scenario: Scenario) -> dict[tuple[str, str], list[dict]]:
    regions = ["Астана", "Алматы", "Акмолинская", "Карагандинская", "Костанайская", "Атырауская"]
    records: dict[tuple[str, str], list[dict]] = {}
    for api_uri, count, _, _ in RECORD_SETS:
        dataset = scenario.by_uri[api_uri]
        for version in dataset.versions:
            names = dataset._fields_of(version)
            rows, next_id = [], 1
            for n in range(count):
                next_id += rng.randint(1, 3)  # ids with gaps: a pager must not assume 1..n
                row = {
                    "id": next_id,
                    "name_ru": f"Объект №{n + 1}",
                    "region": rng.choice(regions),
                    "value": rng.randint(0, 10_000),
                }
                for name, (kind, _, _) in names.items():
                    if kind == "Datetime":
                        row[name] = _iso(
                            _at(rng, dataset.modified.date() - timedelta(days=rng.randrange(700)))
                        )
                rows.append({k: v for k, v in row.items() if k in names})
            records[(api_uri, version)] = rows
    return records


# --- helpers ---------------------------------------------------------------------------------

_SURNAMES = ("akhmetova", "ivanov", "seitkali", "nurlanova", "petrova", "zhumabekov", "kim")


class _ApiUris:
    """apiUri per dataset: a topic stem and a number, unique across the catalogue."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = {api_uri for api_uri, *_ in RECORD_SETS}

    def next(self, stem: str) -> str:
        while True:
            candidate = f"{stem}{self.rng.randint(1, 9999)}"
            if candidate not in self.used:
                self.used.add(candidate)
                return candidate


def _at(rng: random.Random, day: date) -> datetime:
    return datetime.combine(day, time(rng.randint(8, 19), rng.randrange(60), rng.randrange(60)))


def _random_time(rng: random.Random, first: date, last: date) -> datetime:
    return _at(rng, first + timedelta(days=rng.randint(0, (last - first).days)))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")  # local time, no offset [assumed]


def _short(owner: str) -> str:
    return owner.removesuffix(f" {RK}").replace("Министерство", "МИН").replace("Акимат", "акимат")


def _domain(owner: str) -> str:
    return "gov.kz" if "Акимат" not in owner else "akimat.kz"
