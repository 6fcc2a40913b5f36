"""ISO 639-1 codes to English language names, and the extra words people use for them.

Only languages that actually occur in a catalog are ever detected in a query; this table just
names them. Codes are recognised in queries only in the explicit ``lang:xx`` form, because
several codes are ordinary English words ("it", "de", "es", "an", "no", "hi", "my", "to").
"""
from __future__ import annotations

NAMES = {
    "af": "Afrikaans", "am": "Amharic", "ar": "Arabic", "bg": "Bulgarian", "bn": "Bengali",
    "bs": "Bosnian", "ca": "Catalan", "cn": "Cantonese", "cs": "Czech", "cy": "Welsh", "da": "Danish",
    "de": "German", "el": "Greek", "en": "English", "es": "Spanish", "et": "Estonian", "eu": "Basque",
    "fa": "Persian", "fi": "Finnish", "fil": "Filipino", "fr": "French", "ga": "Irish", "gl": "Galician",
    "gu": "Gujarati", "he": "Hebrew", "hi": "Hindi", "hr": "Croatian", "hu": "Hungarian",
    "hy": "Armenian", "id": "Indonesian", "is": "Icelandic", "it": "Italian", "ja": "Japanese",
    "ka": "Georgian", "kk": "Kazakh", "km": "Khmer", "kn": "Kannada", "ko": "Korean", "ku": "Kurdish",
    "la": "Latin", "lt": "Lithuanian", "lv": "Latvian", "mk": "Macedonian", "ml": "Malayalam",
    "mn": "Mongolian", "mr": "Marathi", "ms": "Malay", "nb": "Norwegian", "ne": "Nepali",
    "nl": "Dutch", "no": "Norwegian", "pa": "Punjabi", "pl": "Polish", "ps": "Pashto",
    "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "si": "Sinhala", "sk": "Slovak",
    "sl": "Slovenian", "sq": "Albanian", "sr": "Serbian", "sv": "Swedish", "sw": "Swahili",
    "ta": "Tamil", "te": "Telugu", "th": "Thai", "tl": "Tagalog", "tr": "Turkish", "uk": "Ukrainian",
    "ur": "Urdu", "uz": "Uzbek", "vi": "Vietnamese", "wo": "Wolof", "xh": "Xhosa", "yi": "Yiddish",
    "zh": "Chinese", "zu": "Zulu",
}

# Other words for the same language (folded, lower case).
ALIASES = {
    "zh": ("mandarin",), "cn": ("cantonese",), "fa": ("farsi",), "nb": ("norwegian",),
    "no": ("norwegian",), "tl": ("filipino", "tagalog"), "fil": ("tagalog",),
    "hi": ("bollywood",), "ml": ("mollywood",), "ta": ("kollywood",), "te": ("tollywood",),
}

# Names that are also everyday subjects or nationalities in English queries ("an English
# teacher", "the English Channel"): detected only with explicit phrasing such as
# "in English", "English-language" or "lang:en".
EXPLICIT_ONLY = frozenset({"en"})


def name(code: str | None) -> str:
    """English name for a code; the code itself when unknown; empty for missing."""
    if not code:
        return ""
    return NAMES.get(str(code).lower(), str(code))
