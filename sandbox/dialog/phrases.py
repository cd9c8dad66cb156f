"""Phrase banks and the composition of appeal and answer texts.

Texts are short Russian sentences (a few appeals in Kazakh) picked by category. About one appeal
in five carries the applicant's IIN, phone or e-mail, and now and then the applicant's own name
recurs in the text or in the answer: the warehouse must mask all of it.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable

from sandbox.dialog.people import Person, make_email, make_iin, make_phone

# The 16 categories of docs/sources.md, with how often akimats receive them.
CATEGORY_WEIGHTS = {
    "Строительство, дольщики, жилищные проблемы": 14,
    "Ипотека": 3,
    "Финансы": 4,
    "Образование": 8,
    "Здравоохранение": 8,
    "Социальное обеспечение": 9,
    "Занятость населения": 5,
    "Земельные вопросы": 10,
    "Транспорт": 9,
    "Туризм": 1,
    "Регионы": 8,
    "Молодёжная политика": 2,
    "Правоохранительные органы": 4,
    "Культура, информация и экология": 5,
    "О работе государственных органов (госуслуги)": 6,
    "Свободная тема": 4,
}
CATEGORIES = tuple(CATEGORY_WEIGHTS)

# A ministry mostly hears about its own field: that category's weight is raised to this.
MINISTRY_MAIN_CATEGORY = {
    "MVD": "Правоохранительные органы",
    "MTSZN": "Социальное обеспечение",
    "MF": "Финансы",
    "MZ": "Здравоохранение",
    "ME": "Культура, информация и экология",
    "MCHS": "Регионы",
}
MINISTRY_MAIN_WEIGHT = 60

PROBLEMS = {
    "Строительство, дольщики, жилищные проблемы": (
        "Застройщик уже два года не сдаёт наш дом, дольщики остались без жилья.",
        "В нашем доме протекает крыша, управляющая компания бездействует.",
        "Прошу сообщить, когда подойдёт моя очередь на получение арендного жилья.",
        "Во дворе ведётся строительство без разрешительных документов.",
    ),
    "Ипотека": (
        "Банк отказывает в рефинансировании ипотечного займа.",
        "Прошу разъяснить условия участия в программе «7-20-25».",
        "Платёж по ипотеке вырос, а доход семьи снизился из-за карантина.",
    ),
    "Финансы": (
        "Мне повторно начислили налог на имущество, хотя я его оплатил.",
        "Не могу вернуть излишне уплаченные пенсионные взносы.",
        "Прошу разъяснить порядок получения налогового вычета.",
    ),
    "Образование": (
        "Моего ребёнка не принимают в школу по месту жительства.",
        "В детском саду не хватает мест, очередь не движется второй год.",
        "Учителям не выплатили надбавку за дистанционное обучение.",
    ),
    "Здравоохранение": (
        "В поликлинике невозможно записаться к узкому специалисту.",
        "Моей матери не выдают льготные лекарства.",
        "Скорая помощь ехала к нам больше двух часов.",
    ),
    "Социальное обеспечение": (
        "Мне отказали в назначении адресной социальной помощи.",
        "Пособие на ребёнка не поступает уже три месяца.",
        "Прошу пересмотреть группу инвалидности моего отца.",
    ),
    "Занятость населения": (
        "Я потерял работу во время карантина и не получил выплату 42 500 тенге.",
        "Центр занятости не предлагает подходящих вакансий.",
        "Работодатель задерживает заработную плату уже два месяца.",
    ),
    "Земельные вопросы": (
        "Мне не выделяют участок под ИЖС, хотя я стою в очереди с 2012 года.",
        "Соседи самовольно захватили часть нашего участка.",
        "Прошу разъяснить, почему мне отказали в изменении целевого назначения участка.",
    ),
    "Транспорт": (
        "Автобус по маршруту № 12 ходит раз в час, люди не могут доехать до работы.",
        "Дорога на нашей улице разбита, ремонт не проводился пять лет.",
        "На перекрёстке возле школы нет светофора и пешеходного перехода.",
    ),
    "Туризм": (
        "На берегу озера нет ни туалетов, ни мусорных контейнеров.",
        "Прошу рассмотреть возможность благоустройства зоны отдыха.",
        "Дорога к туристическим местам в ужасном состоянии.",
    ),
    "Регионы": (
        "В нашем селе нет питьевой воды уже третью неделю.",
        "Уличное освещение в посёлке не работает с осени.",
        "В селе закрыли фельдшерский пункт, ближайшая больница в сорока километрах.",
    ),
    "Молодёжная политика": (
        "В районе нет ни одного бесплатного спортивного кружка для подростков.",
        "Прошу поддержать молодёжный проект по благоустройству двора.",
        "Молодым семьям сложно получить льготное жильё.",
    ),
    "Правоохранительные органы": (
        "Участковый не реагирует на мои заявления о шуме по ночам.",
        "Прошу проверить законность действий сотрудников полиции.",
        "Уголовное дело по моему заявлению не расследуется полгода.",
    ),
    "Культура, информация и экология": (
        "Рядом с жилыми домами устроили свалку мусора.",
        "Городской дом культуры закрыт на ремонт уже два года.",
        "В парке вырубают деревья без согласования с жителями.",
    ),
    "О работе государственных органов (госуслуги)": (
        "В ЦОНе очереди с утра, электронная очередь не работает.",
        "На портале электронного правительства не удаётся получить справку.",
        "Мне третий раз отказывают в услуге без объяснения причин.",
    ),
    "Свободная тема": (
        "Хочу поблагодарить врачей городской больницы за их труд.",
        "Предлагаю установить больше скамеек в центральном парке.",
        "Прошу рассказать, как можно стать волонтёром.",
    ),
}
OPENINGS = {
    "akimat": ("Здравствуйте!", "Добрый день!", "Уважаемый аким!", "Уважаемый аким области!"),
    "ministry": ("Здравствуйте!", "Добрый день!", "Уважаемый министр!"),
}
REQUESTS = (
    "Прошу принять меры.",
    "Прошу разобраться в ситуации.",
    "Прошу дать разъяснение.",
    "Жду ответа.",
    "Очень надеюсь на вашу помощь.",
)
FOLLOW_UP_OPENINGS = (
    "Повторно обращаюсь по вопросу № {number}.",
    "Дополнение к вопросу № {number}.",
)
FOLLOW_UP_REASONS = (
    "Ответ меня не устроил, проблема не решена.",
    "Прошло больше месяца, но ничего не изменилось.",
    "Обещанные работы так и не выполнены.",
)
SELF_INTRODUCTIONS = ("Я, {name}, проживаю здесь более {years} лет.", "Меня зовут {name}.")
PII_SENTENCES = {
    "iin": ("Мой ИИН {value}.", "ИИН {value}."),
    "phone": ("Мой телефон для связи: {value}.", "Звоните по номеру {value}.", "Тел. {value}."),
    "email": ("Ответ прошу направить на почту {value}.", "Мой e-mail: {value}."),
}

KAZAKH_OPENINGS = {
    "akimat": ("Сәлеметсіз бе!", "Құрметті әкім!", "Қайырлы күн!"),
    "ministry": ("Сәлеметсіз бе!", "Құрметті министр!", "Қайырлы күн!"),
}
KAZAKH_PROBLEMS = (
    "Біздің ауылда көше жарығы жоқ.",
    "Үйіміздің шатыры ағып тұр.",
    "Шаһарымыздағы жолдар жөнделмеген.",
    "Ұлым мектепке бара алмай жүр, автобус қажет.",
    "Жер учаскесін рәсімдеу мәселесі үш жылдан бері шешілмей жатыр.",
    "Әкемнің зейнетақысы үш ай бойы түспей жатыр.",
    "Емханада дәрігерге жазылу мүмкін емес.",
)
KAZAKH_FOLLOW_UP_OPENINGS = ("№ {number} сұрағым бойынша қайта жазып отырмын.",)
KAZAKH_REQUESTS = ("Көмектесуіңізді сұраймын.", "Жауабыңызды күтемін.")
KAZAKH_SELF_INTRODUCTIONS = ("Мен, {name}, осы ауылдың тұрғынымын.",)
KAZAKH_PII_SENTENCES = {
    "iin": ("Менің ЖСН: {value}.",),
    "phone": ("Байланыс телефоным: {value}.",),
    "email": ("Электрондық поштам: {value}.",),
}

ANSWER_OPENINGS = ("Ваше обращение рассмотрено.", "Благодарим за обращение.")
ANSWER_BODIES = (
    "По вашему обращению проведена проверка, факты частично подтвердились.",
    "Вопрос взят на контроль, работы будут выполнены до конца текущего года.",
    "Вам даны разъяснения в соответствии с действующим законодательством.",
    "Ответственным службам поручено устранить нарушения в течение месяца.",
    "Для решения вопроса рекомендуем обратиться в районный отдел с удостоверением личности.",
    "Ваше предложение будет рассмотрено при формировании бюджета на следующий год.",
)
ANSWER_CLOSING = (
    "В случае несогласия с ответом вы вправе обжаловать его в порядке, установленном "
    "законодательством Республики Казахстан."
)
KAZAKH_ANSWER = (
    "Сіздің өтінішіңіз қаралды.",
    "Мәселе бойынша тиісті шаралар қабылданды.",
    "Жауапқа келіспеген жағдайда, Қазақстан Республикасының заңнамасында белгіленген тәртіппен "
    "шағымдануға құқығыңыз бар.",
)

KAZAKH_SHARE = 0.03
PII_SHARE = 0.20
NAME_IN_TEXT_SHARE = 0.05
NAME_IN_ANSWER_SHARE = 0.15

# Called with each piece of personal data written into a text, so the scenario can list them.
PiiSink = Callable[[str, str], None]


def category_weights(gov_body_code: str) -> dict[str, int]:
    weights = dict(CATEGORY_WEIGHTS)
    main = MINISTRY_MAIN_CATEGORY.get(gov_body_code)
    if main:
        weights[main] = MINISTRY_MAIN_WEIGHT
    return weights


def compose_appeal(
    rng: random.Random,
    person: Person,
    category: str,
    body_type: str,
    follow_up_of: str | None,
    record_pii: PiiSink,
) -> tuple[tuple[str, ...], bool]:
    """The appeal's paragraphs, and whether it is written in Kazakh."""
    kazakh = rng.random() < KAZAKH_SHARE
    if kazakh:
        first = _kazakh_first(rng, body_type, follow_up_of)
    else:
        first = _russian_first(rng, category, body_type, follow_up_of)
    closing = [rng.choice(KAZAKH_REQUESTS if kazakh else REQUESTS)]
    if rng.random() < NAME_IN_TEXT_SHARE:
        intros = KAZAKH_SELF_INTRODUCTIONS if kazakh else SELF_INTRODUCTIONS
        intro = rng.choice(intros).format(name=person.full_name, years=rng.randint(3, 40))
        closing.insert(0, intro)
    if rng.random() < PII_SHARE:
        closing.extend(_pii_sentences(rng, person, kazakh, record_pii))
    paragraphs = [first]
    if rng.random() < 0.5:  # some write one paragraph, some two
        paragraphs.append(" ".join(closing))
    else:
        paragraphs[0] = " ".join([first, *closing])
    return tuple(paragraphs), kazakh


def _russian_first(
    rng: random.Random, category: str, body_type: str, follow_up_of: str | None
) -> str:
    if follow_up_of is not None:
        opening = rng.choice(FOLLOW_UP_OPENINGS).format(number=follow_up_of)
        return f"{opening} {rng.choice(FOLLOW_UP_REASONS)}"
    problems = PROBLEMS[category]
    count = 1 if rng.random() < 0.7 else 2
    chosen = rng.sample(problems, min(count, len(problems)))
    return " ".join([rng.choice(OPENINGS.get(body_type, OPENINGS["akimat"])), *chosen])


def _kazakh_first(rng: random.Random, body_type: str, follow_up_of: str | None) -> str:
    openings = KAZAKH_OPENINGS.get(body_type, KAZAKH_OPENINGS["akimat"])
    sentences = [rng.choice(openings), *rng.sample(KAZAKH_PROBLEMS, 2)]
    if follow_up_of is not None:
        sentences[1] = rng.choice(KAZAKH_FOLLOW_UP_OPENINGS).format(number=follow_up_of)
    return " ".join(sentences)


def _pii_sentences(
    rng: random.Random, person: Person, kazakh: bool, record_pii: PiiSink
) -> list[str]:
    kinds = rng.choices(
        (["iin"], ["phone"], ["email"], ["iin", "phone"], ["phone", "email"]),
        weights=(30, 30, 15, 15, 10),
    )[0]
    bank = KAZAKH_PII_SENTENCES if kazakh else PII_SENTENCES
    sentences = []
    for kind in kinds:
        value = _pii_value(rng, kind, person)
        record_pii(kind, value)
        sentences.append(rng.choice(bank[kind]).format(value=value))
    return sentences


def _pii_value(rng: random.Random, kind: str, person: Person) -> str:
    if kind == "iin":
        return make_iin(rng, person.female)
    if kind == "phone":
        return make_phone(rng)
    return make_email(rng, person)


def compose_answer(
    rng: random.Random, applicant: str, female: bool, kazakh: bool
) -> tuple[str, ...]:
    """The answer's paragraphs; a Kazakh appeal is answered in Kazakh."""
    if kazakh:
        return (" ".join(KAZAKH_ANSWER),)
    body = " ".join([rng.choice(ANSWER_OPENINGS), rng.choice(ANSWER_BODIES)])
    if rng.random() < NAME_IN_ANSWER_SHARE:
        greeting = "Уважаемая" if female else "Уважаемый"
        body = f"{greeting} {applicant}! {body}"
    return (body, ANSWER_CLOSING)


def is_kazakh_appeal(paragraphs: tuple[str, ...]) -> bool:
    """Whether an appeal was written in Kazakh (such appeals open with a Kazakh greeting)."""
    openings = tuple(itertools.chain.from_iterable(KAZAKH_OPENINGS.values()))
    return bool(paragraphs) and paragraphs[0].startswith(openings)
