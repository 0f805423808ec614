"""Lexicon shared by relevance and facts: how en/ru/az texts name places and relations.

Everything here is a compiled regex or a function over plain strings. Patterns are stems
anchored at a word start (``(?<!\\w)``), case-insensitive unless noted; ``re`` folds
"BAKI" to "bakı" and "ƏLİYEV" to "əliyev".

- ``strip_datelines`` removes the dateline a wire story opens with ("BAKU, Azerbaijan,
  Nov. 19. Trend:", "МИНСК, 16 ноября (БЕЛТА) –", "Bakı, 12 mart, AZƏRTAC.") and publisher
  signatures ("Source: Sputnik Azerbaijan", "Mənbə: Belarus Seqodnya"): they name the
  publisher's city or country, not the subject.
- ``mask_false_friends`` blanks names that look like a country but are not one here:
  "Belarus Street", "Belarus LLC", «гостиница "Беларусь"», Moscow's Belorussky station.
- ``OTHER_PLACES`` names other countries and their capitals; several of them in the
  sentence that names both of ours mark a list (a summit's participants, a medal table).
"""

from __future__ import annotations

import re

from bot.pipeline.text import contains_any

__all__ = [
    "MULTILATERAL",
    "OTHER_PLACES",
    "RELATION",
    "count_other_places",
    "mask_false_friends",
    "strip_datelines",
]

_W = r"(?<!\w)"
_END = r"(?!\w)"

# --- datelines and signatures ----------------------------------------------------------

_AGENCIES = (
    r"trend|apa|report(?:\.az)?|azertac|azərtac|азертадж|azernews|news\.az|turan|"
    r"belta|белта|sputnik(?: [^\W\d_]+)?|интерфакс(?:-[^\W\d_]+)?|interfax(?:-[^\W\d_]+)?|"
    r"тасс|tass|риа новости|ria novosti|reuters|afp|ap|xinhua|anadolu|day\.az|oxu\.az|"
    r"vesti\.az|minval|sb\.by|belarus segodnya|belarus seqodnya|беларусь сегодня"
)
_CITY = r"[^\W\d_][\w'’-]*(?:[ -][^\W\d_][\w'’-]*){0,2}"
_DATE = r"(?:\d{1,2}(?:-\d{1,2})?\s+[^\W\d_]{3,10}\.?|[^\W\d_]{3,10}\.?\s+\d{1,2}(?:-\d{1,2})?)"
_DATELINE = re.compile(
    rf"^{_CITY}(?:,\s*[^\W\d_][\w-]*)?\s*[,.]\s*{_DATE}(?:,?\s*\d{{4}})?"
    r"(?:\s*(?:\([^)\n]{1,40}\)|/[^/\n]{1,40}/))?"
    r"\s*(?:[.,:]|[–—-])\s*"
    rf"(?:(?:{_AGENCIES})\s*(?:[.,:]|[–—-])\s*)?",
    re.IGNORECASE,
)
# "Source: Sputnik Azerbaijan", "Источник: …", "Mənbə: …", "© BelTA", "Azernews, Baku"
_SIGNATURE = re.compile(
    r"(?:(?:source|источник|mənbə|menbe|по материалам|фото|photo|foto)\s*:|©)[^\n.]{1,60}\.?$"
    r"|(?<=[.!?])\s*(?:" + _AGENCIES + r")\s*,\s*(?:baku|bakı|минск|minsk|баку)\.?$",
    re.IGNORECASE | re.MULTILINE,
)
# Outlets whose very name holds a country: never evidence that an article is about it.
_PUBLISHERS = re.compile(
    r"(?:sputnik|интерфакс|interfax)[\s-]+(?:azerbaijan|азербайджан|azərbaycan|belarus|беларусь)"
    r"|(?:belarus|беларусь|belarus') (?:segodnya|seqodnya|сегодня|today|1|24)"
    r"|(?:azerbaijan|азербайджан) (?:state news agency|news agency)",
    re.IGNORECASE,
)


_SIGNATURE_HINTS = (
    "source", "источник", "mənbə", "menbe", "по материалам", "фото", "photo", "foto", "©",
)  # fmt: skip
_SIGNATURE_CITIES = ("baku", "bakı", "минск", "minsk", "баку")
_PUBLISHER_HINTS = (
    "sputnik", "интерфакс", "interfax", "segodnya", "seqodnya", "сегодня", "today",
    "news agency", "belarus 1", "belarus 24", "беларусь 1", "беларусь 24",
)  # fmt: skip
_SIGNATURE_HINT = contains_any(_SIGNATURE_HINTS)
_PUBLISHER_HINT = contains_any(_PUBLISHER_HINTS)
_DATELINE_HINT = re.compile(r"^\D{2,60}?\d")
# the per-line checks below over a whole text at once (a line is a suffix of the text after
# a newline; these find every line the per-line checks find, and perhaps more). The dateline
# is searched for in "\n" + text: a pattern that begins with a newline, which the regex
# engine scans for quickly, is tried at line starts only instead of at every character.
# The city is read in one sweep without backtracking: the characters up to the first of
# ",", "." or a line end, in at most three space-separated chunks. A city (up to three
# words of letters, "'" and "-") always ends there, so this finds every dateline
# ``_DATELINE`` finds, without trying each way of splitting a line's first words.
_ANY_CITY = r"[^\W\d_](?>[^\n,. ]*(?: [^\n,. ]*){0,2})"
_ANY_DATELINE = re.compile(
    "\n" + _DATELINE.pattern.removeprefix("^").replace(_CITY, _ANY_CITY, 1), re.IGNORECASE
)
_SIGNATURE_END = re.compile(
    "(?:" + "|".join(re.escape(city) for city in _SIGNATURE_CITIES) + r")[. ]*$", re.MULTILINE
)


def strip_datelines(text: str) -> str:
    """Remove a dateline at the start of each line and publisher signatures anywhere."""
    folded = text.casefold()
    if not (
        _ANY_DATELINE.search(f"\n{text}")
        or _SIGNATURE_HINT.search(folded)
        or _SIGNATURE_END.search(folded)
        or _PUBLISHER_HINT.search(folded)
    ):
        return text  # most text: no line would change, found in four passes over it
    return _datelines_by_line(text)


def _datelines_by_line(text: str) -> str:
    """``strip_datelines`` line by line."""
    lines = []
    for line in text.split("\n"):
        if _DATELINE_HINT.match(line):  # a dateline has a day number within 60 characters
            line = _DATELINE.sub("", line, count=1)
        folded = line.casefold()
        if _SIGNATURE_HINT.search(folded) or folded.rstrip(". ").endswith(_SIGNATURE_CITIES):
            line = _SIGNATURE.sub("", line)
        if _PUBLISHER_HINT.search(folded):
            line = _PUBLISHERS.sub(" ", line)
        lines.append(line)
    return "\n".join(lines)


# --- false friends ---------------------------------------------------------------------

_NAME = r"(?:belarus|беларусь|belarus'|bakı|baku|баку|minsk|минск)"
_ORG_AFTER = (
    r"street|st\.|avenue|ave\.|square|hotel|cinema|restaurant|llc|ltd|jsc|company|"
    r"küçə\w*|prospekt\w*|meydan\w*|mmc|qsc|restoran\w*|kinoteatr\w*|oteli\w*|mehmanxana\w*"
)
_ORG_BEFORE = (
    r"улиц\w*|ул\.|проспект\w*|пр-т|площад\w*|гостиниц\w*|отел\w*|кинотеатр\w*|ресторан\w*|"
    r"кафе|санатори\w*|ооо|оао|зао|одо|чуп|компани\w*|магазин\w*|hotel|restaurant|cinema|"
    r"company|firm|retailer|shop"
)
_FALSE_FRIENDS = re.compile(
    rf"{_W}{_NAME}[\"»”]?\s+(?:{_ORG_AFTER}){_END}"
    rf"|{_W}(?:{_ORG_BEFORE})\s*[\"«“]?\s*{_NAME}\w*[\"»”]?"
    r"|белорусск\w*\s+вокзал\w*|belorussk\w*\s+(?:station|vokzal)|белорусск\w*\s+улиц\w*"
    r"|бакинск\w*\s+улиц\w*|минск\w*\s+улиц\w*",
    re.IGNORECASE,
)


# Every false friend holds one of these (casefolded): cheap to rule out with ``in``.
_FALSE_FRIEND_HINTS = (
    "street", "st.", "avenue", "ave.", "square", "hotel", "cinema", "restaurant", "llc",
    "ltd", "jsc", "compan", "küçə", "prospekt", "meydan", "mmc", "qsc", "restoran",
    "kinoteatr", "otel", "mehmanxana", "улиц", "ул.", "проспект", "пр-т", "площад",
    "гостиниц", "отел", "кинотеатр", "ресторан", "кафе", "санатори", "ооо", "оао", "зао",
    "одо", "чуп", "компани", "магазин", "firm", "retailer", "shop", "вокзал", "station",
    "vokzal",
)  # fmt: skip


_FALSE_FRIEND_HINT = contains_any(_FALSE_FRIEND_HINTS)


def mask_false_friends(text: str) -> str:
    """Blank streets, hotels, firms and stations named after a country or its capital."""
    folded = text.casefold()
    if not _FALSE_FRIEND_HINT.search(folded):
        return text
    return _FALSE_FRIENDS.sub(lambda match: " " * len(match.group()), text)


# --- other countries and capitals ------------------------------------------------------

_OTHER_PLACES = (
    # en
    r"russia\w*|kazakh\w*|kyrgyz\w*|tajik\w*|turkmen\w*|uzbek\w*|armenia\w*|georgia\w*|"
    r"moldov\w*|ukrain\w*|turkey|turkish|türkiye|iran\w*|china|chinese|india|indian|"
    r"pakistan\w*|ital\w*|poland|polish|german\w*|france|french|serbia\w*|mongolia\w*|"
    r"vietnam\w*|egypt\w*|venezuela\w*|brazil\w*|indonesia\w*|qatar\w*|emirates|uae|cuba\w*|"
    r"norw\w*|lithuania\w*|latvia\w*|hungar\w*|greece|greek|bulgaria\w*|nicaragua\w*|"
    r"japan\w*|israel\w*|korea\w*|"
    r"moscow|tbilisi|yerevan|tashkent|almaty|astana|dushanbe|bishkek|ashgabat|istanbul|"
    r"ankara|antalya|kyiv|beijing|tehran|dubai|vilnius|riga|warsaw|"
    # ru
    r"росси\w*|российск\w*|казах\w*|кыргыз\w*|киргиз\w*|таджик\w*|туркмен\w*|узбек\w*|"
    r"армени\w*|армянск\w*|грузи[яиюей]|грузинск\w*|молд\w*|украин\w*|турц\w*|турецк\w*|"
    r"иран\w*|кита[йяюе]\w*|китайск\w*|инди[яиюей]|индийск\w*|пакистан\w*|итали\w*|"
    r"польш\w*|германи\w*|франци\w*|серби\w*|монголи\w*|вьетнам\w*|египт\w*|венесуэл\w*|"
    r"бразили\w*|катар\w*|оаэ|куб[аеуы]|норвеги\w*|литв\w*|латви\w*|венгри\w*|грец\w*|"
    r"болгари\w*|никарагуа|кндр|япони\w*|израил\w*|"
    r"москв\w*|тбилиси|ереван\w*|ташкент\w*|алмат\w*|астан\w*|душанбе|бишкек\w*|ашхабад\w*|"
    r"стамбул\w*|анкар\w*|анталь\w*|киев\w*|пекин\w*|тегеран\w*|дуба[ийе]|вильнюс\w*|риг[аеиу]|"
    r"варшав\w*|"
    # az
    r"rusiya\w*|qazaxıstan\w*|qırğız\w*|tacik\w*|türkmən\w*|özbək\w*|ermənistan\w*|"
    r"gürcüstan\w*|ukrayna\w*|türkiyə\w*|çin\w*|hindistan\w*|italiya\w*|polşa\w*|"
    r"almaniya\w*|fransa\w*|serbiya\w*|monqolustan\w*|misir\w*|qətər\w*|bəə|norveç\w*|abş|"
    r"moskva\w*|tbilis\w*|irəvan\w*|daşkənd\w*|almatı\w*|düşənbə\w*|bişkek\w*|aşqabad\w*|"
    r"istanbul\w*|ankara\w*|antalya\w*"
)
OTHER_PLACES = re.compile(rf"{_W}(?:{_OTHER_PLACES}){_END}", re.IGNORECASE)


def _expand(alternative: str) -> list[str]:
    """ "грузи[яиюей]" → грузия, грузии, …: one-letter classes written out."""
    match = re.search(r"\[([^\]]+)\]", alternative)
    if match is None:
        return [alternative]
    head, tail = alternative[: match.start()], alternative[match.end() :]
    return [word for letter in match.group(1) for word in _expand(head + letter + tail)]


def _place_index() -> tuple[dict[str, str], dict[int, dict[str, str]]]:
    exact: dict[str, str] = {}
    stems: dict[int, dict[str, str]] = {}
    for alternative in _OTHER_PLACES.split("|"):
        for word in _expand(alternative):
            if word.endswith(r"\w*"):
                stem = word[:-3]
                stems.setdefault(len(stem), {})[stem] = alternative
            else:
                exact[word] = alternative
    return exact, stems


_PLACES_EXACT, _PLACES_STEMS = _place_index()
_TOKEN = re.compile(r"\w+")


def count_other_places(sentence: str) -> int:
    """How many different other countries and capitals a sentence names.

    The same as counting distinct ``OTHER_PLACES`` alternatives that match, by word lookup
    instead of a regex of 200 alternatives ("Russia" and "Russian" count once).
    """
    found: set[str] = set()
    for token in _TOKEN.findall(sentence.casefold()):
        place = _PLACES_EXACT.get(token)
        if place is None:
            for length, by_stem in _PLACES_STEMS.items():
                if length <= len(token):
                    place = by_stem.get(token[:length])
                    if place is not None:
                        break
        if place is not None:
            found.add(place)
    return len(found)


# Groupings whose meetings and tables list many members.
MULTILATERAL = re.compile(
    _W + r"(?:cis|sco|eaeu|csto|un|otc|oic|nato|olympi\w*|medal\w*|ranking\w*|index|"
    r"member states|participants|leaders of|and other|"
    r"снг|шос|еаэс|одкб|оон|олимпи\w*|медал\w*|рейтинг\w*|государств-член\w*|участ\w*|"
    r"и други\w*|mdb|şət|aiı|bmt|olimpiya\w*|medal\w*|reytinq\w*|üzv dövlət\w*|"
    r"iştirak\w*|və digər\w*)" + _END,
    re.IGNORECASE,
)

# --- relation cues ---------------------------------------------------------------------

_RELATION = (
    # en
    r"between|bilateral\w*|two countries|both countries|counterpart\w*|visit\w*|talks|"
    r"met|meet\w*|receiv\w*|call|phone|telephone|congratulat\w*|letter|message|"
    r"agreement\w*|memorand\w*|sign\w*|cooperat\w*|partnership|ties|relations|export\w*|"
    r"import\w*|suppl\w*|deliver\w*|ship\w*|trade|turnover|flights?|route|train|match|"
    r"beat|defeat\w*|drew|ambassador\w*|embass\w*|delegation\w*|consultations|commission|"
    r"joint\w*|students|tourists|days of|week of|assembl\w*|"
    # ru
    r"между|двусторонн\w*|двух стран|обеих стран|коллег\w*|визит\w*|переговор\w*|встреч\w*|"
    r"встрети\w*|принял\w*|телефонн\w*|поздрав\w*|письм\w*|послани\w*|соглашени\w*|"
    r"меморандум\w*|подписа\w*|сотрудничеств\w*|партнерств\w*|отношени\w*|экспорт\w*|"
    r"импорт\w*|поставк\w*|постав[иля]\w*|товарооборот\w*|рейс\w*|поезд\w*|матч\w*|"
    r"обыгра\w*|уступил\w*|победил\w*|посол|посл[аеоу]м?|посольств\w*|делегаци\w*|"
    r"консультаци\w*|комисси\w*|межправкомисси\w*|совместн\w*|студент\w*|турист\w*|"
    r"дни|недел[яи]|собран\w*|сборк\w*|"
    # az
    r"arasında|ikitərəfli|iki ölkə\w*|həmkar\w*|səfər\w*|danışıq\w*|danış\w*|görüş\w*|"
    r"qəbul|telefon\w*|təbrik\w*|məktub\w*|saziş\w*|memorandum\w*|imzala\w*|"
    r"əməkdaşlı\w*|tərəfdaşlı\w*|əlaqə\w*|ixrac\w*|idxal\w*|tədarük\w*|dövriyyə\w*|"
    r"reys\w*|qatar\w*|oyun\w*|matç\w*|məğlub|qələbə\w*|səfir\w*|nümayəndə\w*|"
    r"məsləhətləşmə\w*|komissiya\w*|birgə|tələbə\w*|turist\w*|günləri|həftəsi|yığıl\w*"
)
RELATION = re.compile(rf"{_W}(?:{_RELATION}){_END}", re.IGNORECASE)
