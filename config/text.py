"""Short text as readers see it: labels and titles that look the same are the same.

`visible_text()` is the one normalisation of what editors type or paste into a short
field (an option label, a title, a headline):

- invisible characters are removed: Unicode format characters (category Cf: zero-width
  space U+200B, zero-width non-joiner and joiner U+200C/D, word joiner U+2060, the byte
  order mark U+FEFF, soft hyphen, bidirectional controls), control characters other than
  whitespace (Cc, NUL among them) and lone surrogates;
- the rest is composed (Unicode NFC), so "é" typed as e + a combining accent is "é";
- every run of whitespace (tabs, newlines, no-break and other Unicode spaces) is one
  ordinary space, and the ends are stripped.

The trade-off: text that needs a joiner to render as intended (some Persian words, emoji
sequences such as family emoji) loses it in these short fields; the words stay readable.
"""

import unicodedata

INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Cs"})


def visible_text(text: str) -> str:
    """`text` without invisible characters, composed (NFC), with single spaces, stripped."""
    kept = "".join(
        " " if char.isspace() else char
        for char in text
        if char.isspace() or unicodedata.category(char) not in INVISIBLE_CATEGORIES
    )
    return " ".join(unicodedata.normalize("NFC", kept).split())
