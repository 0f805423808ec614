"""The bot's own words in English, Russian and Azerbaijani (stories stay in their language).

``text(key, language, **values)`` formats one message; a key missing in a language falls
back to English. Values are inserted as given: escape feed or user text before passing it.
"""

from __future__ import annotations

__all__ = ["LANGUAGES", "WEEKDAYS", "text", "topic_title"]

LANGUAGES = {"en": "English", "ru": "Русский", "az": "Azərbaycanca"}

WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "ru": ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье"),
    "az": ("bazar ertəsi", "çərşənbə axşamı", "çərşənbə", "cümə axşamı", "cümə", "şənbə", "bazar"),
}

_TOPICS = {
    "ru": {
        "trade": "Торговля", "defence": "Оборона", "energy": "Энергетика",
        "diplomacy": "Дипломатия", "industry": "Промышленность",
        "agriculture": "Сельское хозяйство",
        "transport": "Транспорт", "education": "Образование", "health": "Здравоохранение",
        "culture": "Культура",
    },
    "az": {
        "trade": "Ticarət", "defence": "Müdafiə", "energy": "Enerji", "diplomacy": "Diplomatiya",
        "industry": "Sənaye", "agriculture": "Kənd təsərrüfatı", "transport": "Nəqliyyat",
        "education": "Təhsil", "health": "Səhiyyə", "culture": "Mədəniyyət",
    },
}  # fmt: skip

_TEXTS: dict[str, dict[str, str]] = {
    "digest.title": {
        "en": "Azerbaijan–Belarus digest",
        "ru": "Дайджест: Азербайджан – Беларусь",
        "az": "Azərbaycan–Belarus icmalı",
    },
    "digest.count": {
        "en": "{count} stories",
        "ru": "историй: {count}",
        "az": "{count} xəbər",
    },
    "digest.other": {"en": "Other", "ru": "Другое", "az": "Digər"},
    "also": {"en": "also", "ru": "также", "az": "həmçinin"},
    "settings.title": {
        "en": "<b>Settings</b> of this chat",
        "ru": "<b>Настройки</b> этого чата",
        "az": "Bu söhbətin <b>parametrləri</b>",
    },
    "settings.summary": {
        "en": "Digest: {frequency} at {time} ({timezone})\nTopics: {topics}\n"
        "Instant alerts: {alerts}\nLanguage: {lang_name}\nLink previews: {previews}",
        "ru": "Дайджест: {frequency} в {time} ({timezone})\nТемы: {topics}\n"
        "Срочные уведомления: {alerts}\nЯзык: {lang_name}\nПревью ссылок: {previews}",
        "az": "İcmal: {frequency}, saat {time} ({timezone})\nMövzular: {topics}\n"
        "Təcili bildirişlər: {alerts}\nDil: {lang_name}\nKeçid önizləməsi: {previews}",
    },
    "freq.daily": {"en": "daily", "ru": "ежедневно", "az": "gündəlik"},
    "freq.weekly": {
        "en": "weekly on {weekday}",
        "ru": "еженедельно, {weekday}",
        "az": "həftəlik, {weekday}",
    },
    "freq.off": {"en": "off", "ru": "выключен", "az": "söndürülüb"},
    "all": {"en": "all", "ru": "все", "az": "hamısı"},
    "none": {"en": "none", "ru": "нет", "az": "yoxdur"},
    "on": {"en": "on", "ru": "вкл.", "az": "açıq"},
    "off": {"en": "off", "ru": "выкл.", "az": "bağlı"},
    "button.topics": {"en": "Topics", "ru": "Темы", "az": "Mövzular"},
    "button.frequency": {"en": "Frequency", "ru": "Частота", "az": "Tezlik"},
    "button.alerts": {"en": "Alerts", "ru": "Уведомления", "az": "Bildirişlər"},
    "button.language": {"en": "Language", "ru": "Язык", "az": "Dil"},
    "button.previews": {"en": "Link previews", "ru": "Превью ссылок", "az": "Keçid önizləməsi"},
    "button.back": {"en": "« Back", "ru": "« Назад", "az": "« Geri"},
    "button.all_topics": {"en": "All topics", "ru": "Все темы", "az": "Bütün mövzular"},
    "settings.time_hint": {
        "en": "Time and zone: /time 08:30, /timezone Europe/Minsk",
        "ru": "Время и пояс: /time 08:30, /timezone Europe/Minsk",
        "az": "Vaxt və saat qurşağı: /time 08:30, /timezone Asia/Baku",
    },
    "saved": {"en": "Saved.", "ru": "Сохранено.", "az": "Yadda saxlanıldı."},
    "admins_only": {
        "en": "Only this group's admins can change its digest.",
        "ru": "Менять дайджест группы могут только её администраторы.",
        "az": "Qrupun icmalını yalnız onun adminləri dəyişə bilər.",
    },
    "bad_timezone": {
        "en": "Unknown time zone {value}. Use an IANA name such as Asia/Baku or Europe/Minsk.",
        "ru": "Неизвестный часовой пояс {value}. Укажите, например, Asia/Baku или Europe/Minsk.",
        "az": "Naməlum saat qurşağı {value}. Məsələn, Asia/Baku və ya Europe/Minsk yazın.",
    },
    "bad_time": {
        "en": "Give a time of day such as /time 08:30.",
        "ru": "Укажите время, например /time 08:30.",
        "az": "Vaxtı belə yazın: /time 08:30.",
    },
    "bad_language": {
        "en": "Languages: /language en, /language ru, /language az.",
        "ru": "Языки: /language en, /language ru, /language az.",
        "az": "Dillər: /language en, /language ru, /language az.",
    },
    "bad_frequency": {
        "en": "Use /frequency daily, /frequency weekly monday or /frequency off.",
        "ru": "Используйте /frequency daily, /frequency weekly monday или /frequency off.",
        "az": "Belə yazın: /frequency daily, /frequency weekly monday və ya /frequency off.",
    },
    "not_subscribed": {
        "en": "This chat has no digest yet: /subscribe starts one.",
        "ru": "У этого чата ещё нет дайджеста: /subscribe, чтобы подписаться.",
        "az": "Bu söhbətin hələ icmalı yoxdur: /subscribe ilə abunə olun.",
    },
    "alert.title": {
        "en": "⚡ Azerbaijan–Belarus: new story",
        "ru": "⚡ Азербайджан – Беларусь: новость",
        "az": "⚡ Azərbaycan–Belarus: yeni xəbər",
    },
}


def text(key: str, language: str = "en", **values: object) -> str:
    """The message ``key`` in ``language`` (English when missing), formatted with ``values``."""
    variants = _TEXTS[key]
    return variants.get(language, variants["en"]).format(**values)


def topic_title(key: str, default: str, language: str = "en") -> str:
    """A default topic's name in ``language``; ``default`` (from the config) otherwise."""
    return _TOPICS.get(language, {}).get(key, default)
