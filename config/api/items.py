"""API lists whose items are cached on their own, as pages' cards are (config.fragments).

Serialising a page of fifty questions or stories, and loading what each shows (options,
linked stories, topics…), is most of what a list costs, yet an item changes only when
it does. A viewset with CachedListItems loads the page of rows alone; one `get_many`
fetches the items' representations, and only the items the cache lacks are loaded in
full (`prepare_list_items`) and serialised, then stored with one `set_many`.

An item's key names what it is made of: the editorial version and the clock's slice
(config.fragments.key_for), the serializer, the site's address (items carry absolute
URLs), what the viewset says the client's view of it depends on (`list_item_variant`),
and the item's own `updated_at`, which its every change moves (a forecast included).
"""

from django.conf import settings
from django.core.cache import cache
from rest_framework import serializers

from config.fragments import key_for


class CachedItemsSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        request, view = self.context["request"], self.context["view"]
        items = list(data)
        made_of = (type(self.child).__name__, request.build_absolute_uri("/"))
        made_of += (view.list_item_variant(),)
        keys = [key_for(request, *made_of, item.pk, item.updated_at.timestamp()) for item in items]
        found = cache.get_many(keys)
        missing = [item for key, item in zip(keys, items, strict=True) if key not in found]
        if missing:
            view.prepare_list_items(missing)
            made = {
                key: self.child.to_representation(item)
                for key, item in zip(keys, items, strict=True)
                if key not in found
            }
            cache.set_many(made, timeout=settings.PAGE_CACHE_SECONDS)
            found |= made
        return [found[key] for key in keys]


class CachedListItems:
    """For a viewset: its list's items from the cache. It loads its list's rows without
    what they show (`get_queryset` when `self.action == "list"`), and says how to load that
    for the items the cache lacks."""

    def prepare_list_items(self, items):
        raise NotImplementedError

    def list_item_variant(self):
        """What else, besides the item, its representation depends on for this client."""
        return ""

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        if kwargs.get("many") and self.action == "list" and self.request.method == "GET":
            context = serializer.context
            child = type(serializer.child)(context=context)
            return CachedItemsSerializer(
                child=child, instance=serializer.instance, context=context
            )
        return serializer
