"""The API's JSON parser. Loaded by DRF as a default: it must not import DRF's views."""

from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """A body nested too deep for Python is bad input (400), not a crash."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None
