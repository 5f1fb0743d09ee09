"""API writes are editorial history too, as the admin's are (config.history)."""

from config.history import record, revision_by


class RecordedWrites:
    """A viewset mixin: each create or update is a django-reversion revision by the
    client's user. Its comment is the review move the write made (the serializer's
    `move`, from config.workflow) or says it came through the API."""

    def perform_create(self, serializer):
        with revision_by(self.request.user, self._comment(serializer, "Added through the API")):
            super().perform_create(serializer)
            record(serializer.instance)  # again, now with its options and links

    def perform_update(self, serializer):
        with revision_by(self.request.user, self._comment(serializer, "Changed through the API")):
            super().perform_update(serializer)
            record(serializer.instance)

    def _comment(self, serializer, plain):
        move = getattr(serializer, "move", None)
        return f"{move} · {plain}" if move else plain
