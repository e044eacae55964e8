"""Labelled questions over the documents in this folder (and the policies below, written as a docx).

Each entry is (question, fact): the fact is a string that a passage answering the question contains,
and that the spoken answer must contain. Written for this test, not taken from the examples.
"""

from __future__ import annotations

EN_POLICY: list[tuple[str, list[str]]] = [
    (
        "Returns",
        [
            "You can cancel a new contract within 14 days without any charge.",
            "Return the router within 30 days after your contract ends. A router that is not returned is "
            "charged at 80 dollars.",
        ],
    ),
    (
        "Privacy",
        [
            "We keep call recordings for 90 days and then delete them.",
            "We never sell your personal data to third parties.",
        ],
    ),
    (
        "Fair use",
        [
            "There is no data cap on any plan.",
            "Reselling your connection to neighbours is not allowed.",
        ],
    ),
    ("Complaints", ["If you are unhappy, file a complaint and we answer it within 10 working days."]),
]

RU_POLICY: list[tuple[str, list[str]]] = [
    (
        "Возврат",
        [
            "Если услуга вам не понравилась, сообщите администратору в течение 7 дней, и мы бесплатно "
            "исправим работу.",
            "Деньги за оказанные услуги не возвращаются.",
        ],
    ),
    (
        "Персональные данные",
        [
            "Мы храним данные клиентов 3 года и не передаём их третьим лицам.",
            "Фотографии работ публикуются только с письменного согласия клиента.",
        ],
    ),
    (
        "Правила салона",
        [
            "В салоне нельзя находиться с животными.",
            "Предоплата 500 рублей нужна при записи на окрашивание.",
        ],
    ),
    ("Жалобы", ["Жалобу можно оставить в книге отзывов, мы ответим в течение 5 рабочих дней."]),
]

EN: list[tuple[str, str]] = [
    ("When is phone support open?", "8:00 to 20:00"),
    ("What are your opening hours on Saturday?", "9:00 to 15:00"),
    ("Are you open on Sundays?", "closed on Sundays"),
    ("How long does installation take?", "2 hours"),
    ("How soon can a technician install my connection?", "5 working days"),
    ("What speeds can I expect?", "90 percent"),
    ("Why is my Wi-Fi slower than the plan?", "walls and distance"),
    ("Is a router included?", "Wi-Fi 6 router"),
    ("My router stopped working, what should I do?", "30 seconds"),
    ("How fast do you send a replacement router?", "within 2 days"),
    ("When is my bill due?", "14th"),
    ("How can I pay my bill?", "direct debit"),
    ("What happens if I pay late?", "5 dollars"),
    ("I'm moving house, what do I do?", "3 weeks"),
    ("Does moving my service cost anything?", "free once a year"),
    ("Can I get a static IP address?", "static IP"),
    ("How much is a static IP?", "5.00"),
    ("Do you have parental controls?", "Family settings"),
    ("Where can I see outage updates?", "status page"),
    ("How long do outages last?", "4 hours"),
    ("What is your email address?", "help@brightline.example"),
    ("How much is Fiber 100?", "24.90"),
    ("How much does Fiber 500 cost per month?", "34.90"),
    ("What is the price of Fiber 1000?", "44.90"),
    ("Is there a setup fee for Fiber 1000?", "49"),
    ("What is the minimum term of Fiber 1000?", "24 months"),
    ("What upload speed does Fiber 500 have?", "250 Mbit/s"),
    ("How much is the TV Basic package?", "9.90"),
    ("How many channels are in TV Plus?", "120 channels"),
    ("Does TV Plus include sports?", "sports"),
    ("How much is a home phone line?", "4.90"),
    ("What does the mesh extender cost?", "3.50"),
    ("Can I cancel a new contract?", "14 days"),
    ("When do I have to return the router?", "30 days"),
    ("What if I don't return the router?", "80 dollars"),
    ("How long do you keep call recordings?", "90 days"),
    ("Do you sell my personal data?", "never sell"),
    ("Is there a data cap?", "no data cap"),
    ("Can I share my connection with my neighbours?", "not allowed"),
    ("How long does it take to answer a complaint?", "10 working days"),
]

RU: list[tuple[str, str]] = [
    ("Во сколько вы закрываетесь?", "20:00"),
    ("Во сколько открывается салон?", "9:00"),
    ("Вы работаете по выходным?", "без выходных"),
    ("Как вы работаете в праздники?", "с 10:00 до 18:00"),
    ("Как записаться к мастеру?", "на сайте"),
    ("За сколько часов можно отменить запись?", "3 часа"),
    ("Есть ли у вас парковка?", "бесплатная парковка"),
    ("Сколько машин помещается на парковке?", "10 машин"),
    ("Нужен ли тест на аллергию перед окрашиванием?", "48 часов"),
    ("Тест на аллергию платный?", "Тест бесплатный"),
    ("Как вы стерилизуете инструменты?", "сухожаровом шкафу"),
    ("Пилки у вас одноразовые?", "одноразовые"),
    ("Сколько стоит детская стрижка?", "700 рублей"),
    ("С какого возраста ребёнок может прийти один?", "14 лет"),
    ("Можно ли оплатить картой?", "картой"),
    ("Принимаете ли вы оплату по СБП?", "СБП"),
    ("Сколько действует подарочный сертификат?", "6 месяцев"),
    ("Какой минимальный номинал сертификата?", "1000 рублей"),
    ("Что будет, если я опоздаю?", "15 минут"),
    ("Есть ли скидка на день рождения?", "15 процентов"),
    ("Сколько стоит классический маникюр?", "1500"),
    ("Сколько стоит маникюр с гель-лаком?", "2500"),
    ("Сколько держится гель-лак?", "3 недель"),
    ("Какая цена на педикюр?", "2800"),
    ("Сколько длится педикюр?", "90"),
    ("Сколько стоит женская стрижка?", "2000"),
    ("Цена мужской стрижки?", "1200"),
    ("Сколько стоит окрашивание волос?", "4500"),
    ("Сколько времени занимает окрашивание?", "150"),
    ("Сколько стоит укладка феном?", "1300"),
    ("Сколько стоит наращивание ресниц?", "3200"),
    ("Сколько длится наращивание ресниц?", "120"),
    ("Что делать, если мне не понравилась работа мастера?", "7 дней"),
    ("Вы возвращаете деньги?", "не возвращаются"),
    ("Сколько вы храните мои данные?", "3 года"),
    ("Вы публикуете фотографии работ?", "письменного согласия"),
    ("Можно прийти с собакой?", "с животными"),
    ("Нужна ли предоплата за окрашивание?", "500 рублей"),
    ("Где оставить жалобу?", "книге отзывов"),
    ("Как быстро вы отвечаете на жалобы?", "5 рабочих дней"),
]
