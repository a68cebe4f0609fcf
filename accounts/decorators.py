"""Decorators for the pages that show one account's own data."""

from django.views.decorators.cache import cache_control

# A learner's own pages (their progress, the secret share link, their data) are never
# stored by the browser or any cache on the way, so that nobody can read them back from
# the browser's history or cache after the learner has logged out.
private_page = cache_control(private=True, no_store=True)
