"""Reading lists in the style of the public "awesome" lists, generated: for the importer's
tests and for the bench's 5,000-resource import."""

from __future__ import annotations

from dataclasses import dataclass

SECTIONS = [
    "Books",
    "Courses",
    "Videos and Lectures",
    "Papers",
    "Tutorials",
    "Researchers",
    "Websites",
    "Datasets",
    "Conferences",
    "Frameworks",
    "Tools",
    "Miscellaneous",
]


@dataclass(frozen=True)
class Listed:
    """One item the list means as a resource: where it is, and what it should become
    (`part`: the part its section is a topic of, where the list has parts)."""

    section: str
    line: int
    title: str
    url: str
    description: str
    part: str = ""


def item_lines(i: int, position: int) -> tuple[list[str], str, str, str, list[str]]:
    """Item `i` in one of the forms such lists use, by turns: (its lines, title, URL,
    description, reference definitions it needs)."""
    url = f"https://site{i % 97}.example.org/reading/{i}"
    match i % 8:
        case 0:
            return (
                [f"{position}. [Deep Learning {i}]({url}) by Author {i} (2016)"],
                f"Deep Learning {i}",
                url,
                f"by Author {i} (2016)",
                [],
            )
        case 1:
            return (
                [f"* [Networks {i}]({url}) - A short description of item {i}."],
                f"Networks {i}",
                url,
                f"A short description of item {i}.",
                [],
            )
        case 2:
            return (
                [f"- **[Bold *title* {i}]({url})**: notes on {i}"],
                f"Bold title {i}",
                url,
                f"notes on {i}",
                [],
            )
        case 3:
            return (
                [f"* [Referenced {i}][ref-{i}]"],
                f"Referenced {i}",
                url,
                "",
                [f"[ref-{i}]: {url}"],
            )
        case 4:
            return ([f"+ <{url}>"], f"site{i % 97}.example.org/reading/{i}", url, "", [])
        case 5:
            return (
                [f"{position}) [Code `{i}`]({url}) _(video)_"],
                f"Code {i}",
                url,
                "_(video)_",
                [],
            )
        case 6:
            return (
                [f"* [Nested {i}]({url})", f"  * first point of {i}", "  * second point"],
                f"Nested {i}",
                url,
                f"* first point of {i}\n* second point",
                [],
            )
        case _:
            return (
                [f"* {url} a bare link, item {i}"],
                f"site{i % 97}.example.org/reading/{i}",
                url,
                f"a bare link, item {i}",
                [],
            )


def awesome_list(items: int = 600, *, title: str = "Awesome Generated Deep Learning"):
    """A Markdown list of `items` linked items under the usual sections, with what real
    lists have around them (badges, a table of contents, a contributing and a license
    section): (its text, the items it means as resources, in order)."""
    lines = [
        f"# {title} [![Awesome](https://awesome.re/badge.svg)](https://awesome.re)",
        "",
        "A curated list of resources, generated for the importer's tests.",
        "",
        "## Table of Contents",
        "",
        *[f"* [{name}](#{name.lower().replace(' ', '-')})" for name in SECTIONS],
        "",
    ]
    listed: list[Listed] = []
    references: list[str] = []
    per_section = -(-items // len(SECTIONS))
    for index, name in enumerate(SECTIONS):
        numbers = range(index * per_section, min(items, (index + 1) * per_section))
        if not numbers:
            break
        lines += [f"## {name}", ""]
        previous = None
        for position, i in enumerate(numbers, start=1):
            written, item_title, url, description, needs = item_lines(i, position)
            if previous is not None and previous != i % 8:
                lines.append("")  # a new form, a new list
            previous = i % 8
            listed.append(Listed(name, len(lines) + 1, item_title, url, description))
            lines += written
            references += needs
        lines.append("")
    lines += [
        "## Contributing",
        "",
        "Pull requests are welcome: see [CONTRIBUTING](CONTRIBUTING.md).",
        "",
        "## License",
        "",
        "[![CC0](https://licensebuttons.net/p/zero/1.0/88x31.png)](https://creativecommons.org/)",
        "",
        *references,
    ]
    return "\n".join(lines) + "\n", listed


LANGUAGES = [
    *["APL", "C", "C++", "C#", "Clojure", "Common Lisp", "Go", "Haskell", "Java"],
    *["JavaScript", "Julia", "Lua", "Matlab", ".NET", "Objective C", "OCaml", "Perl"],
    *["Perl 6", "PHP", "Python", "R", "Ruby", "Rust", "Scala", "Swift"],
]
FIELDS = [
    "General-Purpose Machine Learning",
    "Computer Vision",
    "Natural Language Processing",
    "Data Analysis / Data Visualization",
    "Deep Learning",
    "Speech Recognition",
    "Misc",
]


def nested_list(items: int = 700, *, title: str = "Awesome Generated Machine Learning"):
    """A list grouped by language, as the largest public lists are: the same fields under
    each language, `####` under most and `###` under every third, languages that slugify
    alike ("C", "C++", "C#"), a field twice in one language, a heading nested in a field,
    and sections beside the languages (tools under `###`, books with no sub-headings,
    credits): (its text, the items it means as resources, each with its `part`)."""
    sections: list[tuple[str, str, str]] = []  # (part, heading, topic), in the file's order
    for n, language in enumerate(LANGUAGES):
        depth = "###" if n % 3 == 2 else "####"
        fields = [FIELDS[0], *FIELDS[1 + n % 3 : 3 + n % 5]]
        sections += [(language, f"{depth} {field}", field) for field in fields]
        if language == "Python":
            sections += [
                (language, f"{depth}# Spiking Neural Networks", "Spiking Neural Networks"),
                (language, f"{depth} Misc", "Misc"),
            ]
    sections += [("Tools", "### Neural Networks", "Neural Networks"), ("Tools", "### Misc", "Misc")]
    sections.append(("Books", "", "Books"))
    lines = [
        f"# {title} [![Awesome](https://awesome.re/badge.svg)](https://awesome.re)",
        "",
        "A curated list of machine learning libraries, by language, generated for the tests.",
        "",
        "## Table of Contents",
        "",
        *[f"- [{language}](#{language.lower().replace(' ', '-')})" for language in LANGUAGES],
        "",
    ]
    listed: list[Listed] = []
    references: list[str] = []
    per_section, extra = divmod(items, len(sections))
    i, part = 0, None
    for index, (name, heading, topic) in enumerate(sections):
        if name != part:
            part = name
            lines += [f"## {name}", "", f"Machine learning in {name}.", ""]
        if heading:
            lines += [heading, ""]
        previous = None
        for position in range(1, per_section + (index < extra) + 1):
            written, item_title, url, description, needs = item_lines(i, position)
            if previous is not None and previous != i % 8:
                lines.append("")
            previous = i % 8
            listed.append(Listed(topic, len(lines) + 1, item_title, url, description, name))
            lines += written
            references += needs
            i += 1
        lines.append("")
    lines += [
        "## Credits",
        "",
        "Some of the libraries were listed first in [awesome-python](https://awesome.re).",
        "",
        *references,
    ]
    return "\n".join(lines) + "\n", listed
