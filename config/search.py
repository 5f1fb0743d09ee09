"""Text search for every searchable model: ranked full text on PostgreSQL, words on SQLite.

A model defines its search vector once (used by its GIN index and by its QuerySet's
`search()`), since PostgreSQL uses the index only when the query repeats its expression.
"""

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection, models

SEARCH_CONFIG = "english"


def search_vector(primary, *secondary):
    """Matches in `primary` rank above matches in the `secondary` fields."""
    return SearchVector(primary, weight="A", config=SEARCH_CONFIG) + SearchVector(
        *secondary, weight="B", config=SEARCH_CONFIG
    )


def text_search(queryset, query, vector, fields):
    """Rank matches with PostgreSQL full text search; on SQLite, every word must appear
    in one of `fields` (no ranking), newest first."""
    if connection.vendor == "postgresql":
        search_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        return (
            queryset.annotate(search=vector, rank=SearchRank(vector, search_query))
            .filter(search=search_query)
            .order_by("-rank", "-pk")
        )
    for word in query.split():
        match = models.Q()
        for field in fields:
            match |= models.Q(**{f"{field}__icontains": word})
        queryset = queryset.filter(match)
    return queryset.order_by("-pk")
