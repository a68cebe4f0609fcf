"""Geometry of the progress badge: width follows the text, as shields.io badges do."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Approximate advance widths of 11px Verdana, in pixels.
_NARROW = set("fijlrt!|.,:;'`()[] ")
_WIDE = set("mwMW@%&")
THEMES = {
    "light": {"label_bg": "#555a6e", "value_bg": "#3a45c9", "text": "#ffffff"},
    "dark": {"label_bg": "#2b2e3a", "value_bg": "#9ea7ff", "text": "#10122a"},
}


def text_width(text: str) -> int:
    width = 0.0
    for char in text:
        if char in _NARROW:
            width += 3.9
        elif char in _WIDE:
            width += 10.5
        elif char.isupper() or char.isdigit():
            width += 7.5
        else:
            width += 6.6
    return round(width)


# What XML 1.0 has no place for: a badge with one is no image at all. (Titles are refused
# them now, accounts.models.reads_as_written; one saved before may have one still.)
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Badge:
    label: str
    value: str
    theme: str = "light"
    padding: int = 6

    def __post_init__(self) -> None:
        for name in ("label", "value"):
            object.__setattr__(self, name, NOT_XML.sub("", getattr(self, name)))

    @property
    def label_width(self) -> int:
        return text_width(self.label) + 2 * self.padding

    @property
    def value_width(self) -> int:
        return text_width(self.value) + 2 * self.padding

    @property
    def width(self) -> int:
        return self.label_width + self.value_width

    @property
    def label_x(self) -> float:
        return self.label_width / 2

    @property
    def value_x(self) -> float:
        return self.label_width + self.value_width / 2

    @property
    def colors(self) -> dict[str, str]:
        return THEMES[self.theme]
