"""URL converters: a share URL matches only what a share token can be, so odd input
(a NUL, a slash, a megabyte of text) is a 404 before any view or query sees it."""

from roadmap.models import SHARE_TOKEN_PATTERN


class ShareTokenConverter:
    regex = SHARE_TOKEN_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
