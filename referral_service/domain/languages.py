"""The languages an interpreter can be asked for: ISO 639-1 codes with their names in Norwegian.

One fixed list, read by the referral's validation, BUP's pages and the dashboard's equity table. A language
not here is refused (422), so the equity table counts codes, never free text that could name a child.
"""

from __future__ import annotations

#: ISO 639-1 code -> the language's name in Norwegian (bokmål), in the order a form lists them.
INTERPRETER_LANGUAGES: dict[str, str] = {
    "se": "Nordsamisk",
    "ar": "Arabisk",
    "am": "Amharisk",
    "sq": "Albansk",
    "bn": "Bengali",
    "bs": "Bosnisk",
    "bg": "Bulgarsk",
    "fa": "Persisk (dari/farsi)",
    "en": "Engelsk",
    "et": "Estisk",
    "fr": "Fransk",
    "el": "Gresk",
    "hi": "Hindi",
    "it": "Italiensk",
    "zh": "Kinesisk",
    "hr": "Kroatisk",
    "ku": "Kurdisk",
    "lv": "Latvisk",
    "lt": "Litauisk",
    "my": "Burmesisk",
    "ne": "Nepali",
    "ps": "Pashto",
    "pl": "Polsk",
    "pt": "Portugisisk",
    "pa": "Panjabi",
    "ro": "Rumensk",
    "ru": "Russisk",
    "sr": "Serbisk",
    "so": "Somali",
    "es": "Spansk",
    "sw": "Swahili",
    "tl": "Tagalog",
    "ta": "Tamil",
    "th": "Thai",
    "ti": "Tigrinja",
    "tr": "Tyrkisk",
    "de": "Tysk",
    "uk": "Ukrainsk",
    "hu": "Ungarsk",
    "ur": "Urdu",
    "uz": "Usbekisk",
    "vi": "Vietnamesisk",
}


def is_interpreter_language(code: str | None) -> bool:
    return code in INTERPRETER_LANGUAGES


def language_name(code: str | None) -> str:
    """The language's Norwegian name, or "" for no language."""
    return INTERPRETER_LANGUAGES.get(code or "", "")
