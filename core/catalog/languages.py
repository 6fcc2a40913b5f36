"""Language names (as IMDb and most tables spell them) to ISO 639-1 codes.

Choices: Cantonese and Mandarin map to "zh" (ISO 639-1 has one code for Chinese); Dari maps
to "fa" (a variety of Persian); Filipino maps to "tl" (Tagalog, its ISO 639-1 basis). Names with
no ISO 639-1 code (Aboriginal, Maya, Aramaic, ...) map to None and importers count them.
"""
from __future__ import annotations

LANGUAGE_CODES: dict[str, str] = {
    "afrikaans": "af", "albanian": "sq", "amharic": "am", "arabic": "ar", "armenian": "hy",
    "azerbaijani": "az", "basque": "eu", "belarusian": "be", "bengali": "bn", "bosnian": "bs",
    "bulgarian": "bg", "burmese": "my", "cantonese": "zh", "catalan": "ca", "chinese": "zh",
    "croatian": "hr", "czech": "cs", "danish": "da", "dari": "fa", "dutch": "nl", "dzongkha": "dz",
    "english": "en", "esperanto": "eo", "estonian": "et", "filipino": "tl", "finnish": "fi",
    "french": "fr", "galician": "gl", "georgian": "ka", "german": "de", "greek": "el",
    "gujarati": "gu", "hausa": "ha", "hebrew": "he", "hindi": "hi", "hungarian": "hu",
    "icelandic": "is", "indonesian": "id", "irish": "ga", "italian": "it", "japanese": "ja",
    "kannada": "kn", "kazakh": "kk", "khmer": "km", "korean": "ko", "kurdish": "ku", "lao": "lo",
    "latin": "la", "latvian": "lv", "lithuanian": "lt", "macedonian": "mk", "malay": "ms",
    "malayalam": "ml", "mandarin": "zh", "marathi": "mr", "mongolian": "mn", "nepali": "ne",
    "norwegian": "no", "panjabi": "pa", "punjabi": "pa", "pashto": "ps", "persian": "fa",
    "farsi": "fa", "polish": "pl", "portuguese": "pt", "romanian": "ro", "russian": "ru",
    "serbian": "sr", "sinhala": "si", "slovak": "sk", "slovenian": "sl", "somali": "so",
    "spanish": "es", "swahili": "sw", "swedish": "sv", "tagalog": "tl", "tamil": "ta",
    "telugu": "te", "thai": "th", "tibetan": "bo", "turkish": "tr", "ukrainian": "uk",
    "urdu": "ur", "uzbek": "uz", "vietnamese": "vi", "welsh": "cy", "yiddish": "yi",
    "yoruba": "yo", "zulu": "zu",
}


def language_code(name: str | None) -> str | None:
    """ISO 639-1 code for a language name; a value already shaped like a code passes through."""
    if name is None:
        return None
    key = " ".join(str(name).split()).lower()
    if not key or key in ("nan", "none"):
        return None
    if key in LANGUAGE_CODES:
        return LANGUAGE_CODES[key]
    if len(key) == 2 and key.isalpha() and key in LANGUAGE_CODES.values():
        return key
    return None
