"""What search reads: each resource's words, kept by the database (migration 0001)."""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVectorField,
    TrigramWordSimilarity,
)
from django.db import models

CONFIG = "english"  # the language search stems words in ("networks" finds "network")


class SearchEntryQuerySet(models.QuerySet):
    def matching(self, query: SearchQuery) -> SearchEntryQuerySet:
        """Those whose words match `query`, ranked (`rank`)."""
        return self.filter(document=query).annotate(rank=SearchRank(models.F("document"), query))

    def similar_to(self, words: str) -> SearchEntryQuerySet:
        """Those with a title a word of which is like `words` (a typo, pg_trgm's
        `%>` at its word similarity threshold, 0.6 by default), ranked (`rank`)."""
        return self.filter(title__trigram_word_similar=words).annotate(
            rank=TrigramWordSimilarity(words, "title")
        )

    def ranks(self) -> dict[int, float]:
        """Each resource found: its rank."""
        return dict(self.values_list("resource_id", "rank"))


class SearchEntry(models.Model):
    """A resource as search finds it: its title (A), description (B), and its topic's
    and part's titles (C) as one English `tsvector`, and its title for typos (pg_trgm).

    Written only by the database: triggers on roadmap_resource, roadmap_topic and
    roadmap_part (migration 0001) rewrite a resource's entry whenever any of those
    words change, however they change (admin, the importer, `bulk_create`, `.update()`),
    and delete it with the resource. To index another field, add it to
    `search_refresh` in a new migration (README: Search)."""

    resource = models.OneToOneField(
        "roadmap.Resource",
        primary_key=True,
        on_delete=models.DO_NOTHING,  # the database deletes it with the resource
        db_constraint=False,
        related_name="+",
    )
    title = models.TextField()
    document = SearchVectorField()

    objects = SearchEntryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "search entries"
        indexes = [
            GinIndex(fields=["document"], name="search_entry_document"),
            GinIndex(OpClass("title", name="gin_trgm_ops"), name="search_entry_title_trgm"),
        ]

    def __str__(self) -> str:
        return self.title
