"""Fictional people of the Open Dialogue scenario: applicants, officials and their contact data.

Names follow Kazakhstan's usage (surname, given name, patronymic), Kazakh and Russian alike; IINs
carry a valid check digit; phones use the formats people actually type. Everything here is
personal data as far as the warehouse is concerned.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

# Male surname stems; the female form adds "а" (Ахметов → Ахметова).
KAZAKH_SURNAMES = (
    "Ахметов",
    "Сулейменов",
    "Касымов",
    "Жумабаев",
    "Искаков",
    "Омаров",
    "Тулегенов",
    "Садыков",
    "Кенжебаев",
    "Абдрахманов",
    "Смагулов",
    "Мусин",
    "Есенов",
    "Нурпеисов",
    "Байжанов",
    "Ермеков",
    "Калиев",
    "Серикбаев",
    "Ибраев",
    "Абенов",
    "Жакупов",
    "Оспанов",
    "Тлеубаев",
    "Мухамеджанов",
    "Сапарбаев",
    "Утегенов",
    "Бекмуханов",
    "Жанұзақов",
    "Әбілов",
    "Құдайбергенов",
    "Өмірзақов",
)
RUSSIAN_SURNAMES = (
    "Иванов",
    "Петров",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Волков",
    "Морозов",
    "Соколов",
    "Лебедев",
    "Новиков",
    "Фёдоров",
    "Павлов",
    "Семёнов",
    "Голубев",
    "Беляев",
    "Ткачёв",
)
# Surnames that do not change with gender (Korean and Ukrainian families of Kazakhstan).
INVARIANT_SURNAMES = ("Ким", "Пак", "Цой", "Шевченко", "Бондаренко")

KAZAKH_MALE_NAMES = (
    "Айдар",
    "Ерлан",
    "Нурлан",
    "Серик",
    "Бауыржан",
    "Данияр",
    "Асхат",
    "Ержан",
    "Арман",
    "Марат",
    "Канат",
    "Талгат",
    "Азамат",
    "Дархан",
    "Ерболат",
    "Жандос",
    "Мухтар",
    "Темирлан",
    "Нұрлан",
    "Ерғали",
    "Қайрат",
    "Әділ",
)
KAZAKH_FEMALE_NAMES = (
    "Алия",
    "Айгуль",
    "Гульнара",
    "Динара",
    "Жанар",
    "Сауле",
    "Асель",
    "Мадина",
    "Айжан",
    "Камила",
    "Гаухар",
    "Назгуль",
    "Ботагоз",
    "Айнур",
    "Жұлдыз",
    "Әсел",
    "Ақмарал",
)
RUSSIAN_MALE_NAMES = (
    "Александр",
    "Сергей",
    "Андрей",
    "Дмитрий",
    "Владимир",
    "Николай",
    "Игорь",
    "Олег",
    "Виктор",
)
RUSSIAN_FEMALE_NAMES = (
    "Елена",
    "Ольга",
    "Наталья",
    "Татьяна",
    "Ирина",
    "Светлана",
    "Анна",
    "Марина",
    "Юлия",
)
# Fathers' names whose patronymic is the name + "ович"/"овна".
KAZAKH_FATHERS = (
    "Серик",
    "Нурлан",
    "Болат",
    "Ерлан",
    "Марат",
    "Канат",
    "Бахыт",
    "Талгат",
    "Жумабек",
    "Асылбек",
    "Кайрат",
    "Ермек",
    "Аскар",
    "Мурат",
    "Темирхан",
)
RUSSIAN_PATRONYMICS = (  # (male, female): these fathers' names do not follow one rule
    ("Александрович", "Александровна"),
    ("Сергеевич", "Сергеевна"),
    ("Николаевич", "Николаевна"),
    ("Андреевич", "Андреевна"),
    ("Владимирович", "Владимировна"),
    ("Викторович", "Викторовна"),
    ("Петрович", "Петровна"),
    ("Юрьевич", "Юрьевна"),
    ("Васильевич", "Васильевна"),
)

MOBILE_CODES = ("700", "701", "702", "705", "707", "708", "747", "771", "775", "776", "777", "778")
# How people write one mobile number: "+7 701 234 56 78", "8 701 ...", glued, with brackets.
PHONE_FORMATS = (
    "+7 {op} {a} {b} {c}",
    "8 {op} {a} {b} {c}",
    "+7{op}{a}{b}{c}",
    "8{op}{a}{b}{c}",
    "8 ({op}) {a}-{b}-{c}",
    "+7 ({op}) {a}-{b}-{c}",
)
MAIL_DOMAINS = ("mail.ru", "gmail.com", "inbox.kz", "yandex.kz", "bk.ru", "list.ru")

_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі",
        (
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "e",
            "zh",
            "z",
            "i",
            "i",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "shch",
            "",
            "y",
            "",
            "e",
            "yu",
            "ya",
            "a",
            "g",
            "k",
            "n",
            "o",
            "u",
            "u",
            "h",
            "i",
        ),
        strict=True,
    )
)


@dataclass(frozen=True, slots=True)
class Person:
    surname: str
    given_name: str
    patronymic: str
    female: bool

    @property
    def full_name(self) -> str:
        return f"{self.surname} {self.given_name} {self.patronymic}"

    @property
    def short_name(self) -> str:
        """The form officials sign with: "Сапарбаев Б. М."."""
        return f"{self.surname} {self.given_name[0]}. {self.patronymic[0]}."


def make_person(rng: random.Random) -> Person:
    female = rng.random() < 0.5
    if rng.random() < 0.7:
        return _kazakh_person(rng, female)
    return _russian_person(rng, female)


def _kazakh_person(rng: random.Random, female: bool) -> Person:
    names = KAZAKH_FEMALE_NAMES if female else KAZAKH_MALE_NAMES
    father = rng.choice(KAZAKH_FATHERS)
    if rng.random() < 0.1:  # the Kazakh form of the patronymic, "Серикұлы" / "Серикқызы"
        patronymic = father + ("қызы" if female else "ұлы")
    else:
        patronymic = father + ("овна" if female else "ович")
    surname = _surname(rng, KAZAKH_SURNAMES, female)
    return Person(surname, rng.choice(names), patronymic, female)


def _russian_person(rng: random.Random, female: bool) -> Person:
    names = RUSSIAN_FEMALE_NAMES if female else RUSSIAN_MALE_NAMES
    male_form, female_form = rng.choice(RUSSIAN_PATRONYMICS)
    surname = _surname(rng, RUSSIAN_SURNAMES, female)
    return Person(surname, rng.choice(names), female_form if female else male_form, female)


def _surname(rng: random.Random, stems: tuple[str, ...], female: bool) -> str:
    if rng.random() < 0.05:
        return rng.choice(INVARIANT_SURNAMES)
    stem = rng.choice(stems)
    return stem + "а" if female else stem


def make_iin(rng: random.Random, female: bool) -> str:
    """A 12-digit IIN: birth date, century-and-sex digit, serial, check digit (valid checksum)."""
    while True:
        birth = date(1940, 1, 1) + timedelta(days=rng.randrange(62 * 365))
        century_sex = (3 if birth.year < 2000 else 5) + (1 if female else 0)
        body = f"{birth:%y%m%d}{century_sex}{rng.randrange(10_000):04d}"
        check = iin_check_digit(body)
        if check is not None:
            return body + str(check)


def iin_check_digit(first_eleven: str) -> int | None:
    """The IIN check digit, or None when the number has none (such serials are never issued)."""
    digits = [int(c) for c in first_eleven]
    for weights in (range(1, 12), (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)):
        check = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        if check != 10:
            return check
    return None


def make_phone(rng: random.Random) -> str:
    number = f"{rng.randrange(10_000_000):07d}"
    return rng.choice(PHONE_FORMATS).format(
        op=rng.choice(MOBILE_CODES), a=number[:3], b=number[3:5], c=number[5:]
    )


def make_email(rng: random.Random, person: Person) -> str:
    surname = transliterate(person.surname)
    initial = transliterate(person.given_name)[0]
    year = rng.randrange(60, 100) if rng.random() < 0.8 else rng.randrange(0, 5)
    local = rng.choice(
        (
            f"{surname}.{initial}{year:02d}",
            f"{initial}{surname}{year:02d}",
            f"{surname}_{rng.randrange(100, 999)}",
        )
    )
    return f"{local}@{rng.choice(MAIL_DOMAINS)}"


def transliterate(text: str) -> str:
    return "".join(_TRANSLIT.get(c, c) for c in text.lower())


def is_female_name(full_name: str) -> bool:
    """Guess the sex from the patronymic, for greetings written long after the person was made."""
    return full_name.endswith(("вна", "чна", "қызы", "кызы"))
