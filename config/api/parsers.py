"""The API's JSON parser. Loaded by DRF as a default: it must not import DRF's views."""

from rest_framework import exceptions, parsers

UNSTORABLE_TEXT = (
    "Text may not contain NUL characters (\\u0000) or unpaired surrogates (\\ud800–\\udfff)."
)


def unstorable(text):
    """Whether `text` holds what PostgreSQL cannot store as text (NUL) or UTF-8 cannot
    encode (a lone surrogate, which JSON's \\ud800 escapes allow)."""
    return "\x00" in text or any("\ud800" <= char <= "\udfff" for char in text)


def first_unstorable(data):
    """The field path ("options[1].label") of the first string or key in `data` that
    holds unstorable text: "" for the body itself; None when all is well.

    Walked with a stack, not recursion: a body may nest as deep as the parser allows.
    """
    stack = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if unstorable(value):
                return path
        elif isinstance(value, dict):
            for key, item in value.items():
                if unstorable(key):
                    return path
                stack.append((f"{path}.{key}" if path else key, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{index}]", item) for index, item in enumerate(value))
    return None


class JSONParser(parsers.JSONParser):
    """A body nested too deep for Python is bad input (400), not a crash; so is text the
    database cannot store, wherever it is in the body (one check for every field,
    including ids, slugs and keys that would otherwise reach a query)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None
        path = first_unstorable(data)
        if path == "":
            raise exceptions.ParseError(UNSTORABLE_TEXT)
        if path is not None:
            raise exceptions.ValidationError({path: [UNSTORABLE_TEXT]})
        return data
