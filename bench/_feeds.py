"""Synthetic RSS 2.0 feeds for the poll benchmark: deterministic, realistic enough to parse.

Each feed is one outlet in English, Russian or Azerbaijani with ``items`` items: a title, an
HTML description of 600–1200 characters of text (longer than azby's teaser threshold, so no
article page is fetched: reader fetches none either), a link and a GUID
unique across all feeds, a category and an RFC 822 ``pubDate`` spaced at the outlet's own pace.
About one item in eight is about Azerbaijan–Belarus relations, so azby's classifier finds both
countries named and does its full work on those.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

__all__ = ["LANGUAGES", "feed_xml"]

LANGUAGES = ("en", "ru", "az")

# {x} is filled from the topic words below
_RELEVANT_TITLES = {
    "en": [
        "Azerbaijan and Belarus sign {x} agreement in Baku",
        "Belarusian delegation visits Azerbaijan to discuss {x}",
        "Aliyev and Lukashenko review {x} cooperation",
        "Azerbaijan–Belarus trade turnover grows, {x} leads",
    ],
    "ru": [
        "Азербайджан и Беларусь подписали соглашение: {x}",
        "Белорусская делегация в Баку обсудила {x}",
        "Алиев и Лукашенко обсудили {x}",
        "Товарооборот Беларуси и Азербайджана вырос: {x}",
    ],
    "az": [
        "Azərbaycan və Belarus {x} sahəsində saziş imzalayıb",
        "Belarus nümayəndə heyəti Bakıda {x} müzakirə edib",
        "Əliyev və Lukaşenko {x} əməkdaşlığını müzakirə ediblər",
        "Azərbaycan ilə Belarus arasında ticarət artıb: {x}",
    ],
}
_OTHER_TITLES = {
    "en": [
        "Parliament debates {x} bill",
        "Ministry reports record {x} figures",
        "Regional summit opens with focus on {x}",
        "Experts warn of {x} risks this winter",
        "City council approves new {x} plan",
    ],
    "ru": [
        "Парламент обсудил законопроект: {x}",
        "Министерство сообщило о рекорде: {x}",
        "Региональный саммит открылся, в центре внимания {x}",
        "Эксперты предупредили о рисках: {x}",
        "Горсовет утвердил новый план: {x}",
    ],
    "az": [
        "Parlament {x} qanun layihəsini müzakirə edib",
        "Nazirlik {x} üzrə rekord göstəricilər açıqlayıb",
        "Regional sammit {x} mövzusu ilə açılıb",
        "Ekspertlər {x} risklərinə dair xəbərdarlıq edib",
        "Şəhər şurası yeni {x} planını təsdiqləyib",
    ],
}
_TOPICS = {
    "en": ["trade", "energy", "agriculture", "transport", "education", "health", "defence"],
    "ru": ["торговля", "энергетика", "сельское хозяйство", "транспорт", "образование"],
    "az": ["ticarət", "enerji", "kənd təsərrüfatı", "nəqliyyat", "təhsil", "səhiyyə"],
}
_SENTENCES = {
    "en": [
        "Officials said the talks covered {x} and joint projects for the coming year.",
        "The figures for the first {n} months were published by the statistics committee.",
        "According to the ministry, {n} companies took part in the programme.",
        "The agreement is expected to enter into force after ratification.",
        "Analysts noted that demand for {x} had risen by {n} percent.",
        "The next meeting of the intergovernmental commission is planned for autumn.",
        "Local producers expect exports of {x} to reach {n} thousand tonnes.",
        "The deputy minister told reporters that {n} new jobs would be created.",
        "Critics argued that the plan for {x} lacked funding.",
        "The project was first announced {n} weeks ago at a press conference.",
    ],
    "ru": [
        "Стороны обсудили {x} и совместные проекты на следующий год.",
        "Данные за {n} месяцев опубликовал статистический комитет.",
        "По данным министерства, в программе участвовали {n} компаний.",
        "Соглашение вступит в силу после ратификации.",
        "Аналитики отметили, что спрос на {x} вырос на {n} процентов.",
        "Следующее заседание межправительственной комиссии запланировано на осень.",
        "Местные производители ожидают роста экспорта до {n} тысяч тонн.",
        "Замминистра сообщил журналистам о создании {n} новых рабочих мест.",
        "Критики отметили, что план в сфере «{x}» не обеспечен финансированием.",
        "Проект впервые представили {n} недель назад на пресс-конференции.",
    ],
    "az": [
        "Tərəflər {x} və gələn il üçün birgə layihələri müzakirə ediblər.",
        "İlk {n} ayın göstəriciləri Statistika Komitəsi tərəfindən açıqlanıb.",
        "Nazirliyin məlumatına görə, proqramda {n} şirkət iştirak edib.",
        "Saziş ratifikasiyadan sonra qüvvəyə minəcək.",
        "Analitiklər {x} tələbatının {n} faiz artdığını qeyd ediblər.",
        "Hökumətlərarası komissiyanın növbəti iclası payıza planlaşdırılıb.",
        "Yerli istehsalçılar ixracın {n} min tona çatacağını gözləyirlər.",
        "Nazir müavini {n} yeni iş yerinin yaradılacağını bildirib.",
        "Tənqidçilər {x} planının maliyyələşdirilmədiyini qeyd ediblər.",
        "Layihə ilk dəfə {n} həftə əvvəl mətbuat konfransında elan olunub.",
    ],
}
_PLACES = {
    "en": ["Baku", "Minsk", "Ganja", "Gomel", "Sumgait", "Brest", "Shusha", "Grodno", "Lankaran"],
    "ru": ["Баку", "Минск", "Гянджа", "Гомель", "Сумгаит", "Брест", "Шуша", "Гродно", "Ленкорань"],
    "az": ["Bakı", "Minsk", "Gəncə", "Homel", "Sumqayıt", "Brest", "Şuşa", "Qrodno", "Lənkəran"],
}
_RELEVANT_SENTENCE = {
    "en": "Azerbaijan and Belarus agreed to expand cooperation in {x}.",
    "ru": "Азербайджан и Беларусь договорились расширить сотрудничество: {x}.",
    "az": "Azərbaycan və Belarus {x} sahəsində əməkdaşlığı genişləndirməyə razılaşıb.",
}


def feed_xml(index: int, items: int, now: datetime) -> bytes:
    """Feed number ``index`` as UTF-8 RSS 2.0; the same arguments give the same bytes."""
    rng = random.Random(index)
    lang = LANGUAGES[index % len(LANGUAGES)]
    host = f"outlet{index:03d}.example"
    pace = timedelta(minutes=rng.randint(10, 240))  # how often this outlet publishes
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0">\n<channel>\n',
        f"<title>Outlet {index:03d} ({lang})</title>\n<link>https://{host}/</link>\n",
        f"<description>News from outlet {index:03d}</description>\n<language>{lang}</language>\n",
        f"<lastBuildDate>{format_datetime(now)}</lastBuildDate>\n<ttl>15</ttl>\n",
    ]
    for number in range(items):
        topic = rng.choice(_TOPICS[lang])
        relevant = rng.random() < 0.125
        title = rng.choice((_RELEVANT_TITLES if relevant else _OTHER_TITLES)[lang])
        place = rng.choice(_PLACES[lang])
        title = f"{place}: {title.format(x=topic)}, {rng.randint(2, 980)}"
        # 600–1200 characters of text: a full item, not a teaser whose page azby would fetch
        length = rng.randint(600, 1200)
        sentences: list[str] = []
        while sum(len(s) + 1 for s in sentences) < length:
            template = rng.choice(_SENTENCES[lang])
            sentences.append(template.format(x=rng.choice(_TOPICS[lang]), n=rng.randint(2, 400)))
        if relevant:
            sentences.insert(1, _RELEVANT_SENTENCE[lang].format(x=topic))
        paragraphs = "".join(f"<p>{s}</p>" for s in sentences)
        published = (now - pace * number - timedelta(seconds=rng.randint(0, 59))).astimezone(UTC)
        out.append(
            "<item>\n"
            f"<title>{escape(title)}</title>\n"
            f"<link>https://{host}/news/{number:04d}-{index:03d}.html?utm_source=rss</link>\n"
            f'<guid isPermaLink="false">{host}-{number}</guid>\n'
            f"<category>{escape(topic)}</category>\n"
            f"<pubDate>{format_datetime(published)}</pubDate>\n"
            f"<description>{escape(paragraphs)}</description>\n"
            "</item>\n"
        )
    out.append("</channel>\n</rss>\n")
    return "".join(out).encode("utf-8")
