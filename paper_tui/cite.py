"""Citations: BibTeX, an APA-style plain-text reference, a Markdown link, a URL. Pure.

BibTeX policy (documented in the README):
* Non-ASCII letters stay UTF-8 (biber, bibtex8 and LaTeX since 2018 read UTF-8);
  the characters special to LaTeX (& % $ # _ { } ~ ^ \\) are escaped.
* `$...$` in a title is LaTeX math typed on purpose (`S$^2$-MLP`) and is kept.
* Words with a capital after their first letter (BERT, ViT, CoAtNet, BatchNorm)
  are wrapped in braces so bibliography styles do not lower-case them.

Written by hand rather than with a BibTeX library's writer because those write
fields as given: the escaping, brace protection and entry-type rules are the
part that matters, and they are ours. The tests parse every result back with
bibtexparser and pybtex.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from .model import Paper, plain_text, split_name

FORMATS: dict[str, str] = {
    "bibtex": "BibTeX",
    "text": "Plain-text reference (APA)",
    "markdown": "Markdown link",
    "url": "URL",
}

VENUES: dict[str, str] = {  # short name -> proceedings title
    "NeurIPS": "Advances in Neural Information Processing Systems (NeurIPS)",
    "NIPS": "Advances in Neural Information Processing Systems (NeurIPS)",
    "ICML": "Proceedings of the International Conference on Machine Learning (ICML)",
    "ICLR": "International Conference on Learning Representations (ICLR)",
    "CVPR": "Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)",
    "ICCV": "Proceedings of the IEEE/CVF International Conference on Computer Vision (ICCV)",
    "ECCV": "Proceedings of the European Conference on Computer Vision (ECCV)",
    "WACV": "Proceedings of the IEEE/CVF Winter Conference on Applications of Computer Vision (WACV)",
    "ICME": "IEEE International Conference on Multimedia and Expo (ICME)",
    "AAAI": "Proceedings of the AAAI Conference on Artificial Intelligence (AAAI)",
    "IJCAI": "Proceedings of the International Joint Conference on Artificial Intelligence (IJCAI)",
    "ACL": "Proceedings of the Annual Meeting of the Association for Computational Linguistics (ACL)",
    "EMNLP": "Proceedings of the Conference on Empirical Methods in Natural Language Processing (EMNLP)",
    "NAACL": "Proceedings of the Conference of the North American Chapter of the Association for Computational Linguistics (NAACL)",
    "BMVC": "Proceedings of the British Machine Vision Conference (BMVC)",
    "KDD": "Proceedings of the ACM SIGKDD Conference on Knowledge Discovery and Data Mining (KDD)",
}
_VENUE_YEAR = re.compile(r"^(.*?)[\s,]*\b((?:19|20)\d{2})$")
_MATH = re.compile(r"(\$[^$]*\$)")
_TOKEN = re.compile(r"[A-Za-z0-9]+|.", re.DOTALL)
_ESCAPES = {
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "\\": r"\textbackslash{}",
}


def latex_escape(text: str) -> str:
    """Escape the characters LaTeX treats specially; everything else is kept."""
    return "".join(_ESCAPES.get(ch, ch) for ch in text)


def _protect_word(match: re.Match[str]) -> str:
    token = match.group(0)
    if len(token) > 1 and token.isalnum():
        if any(ch.isupper() for ch in token[1:]):
            return "{" + token + "}"
        return token
    return _ESCAPES.get(token, token)


def _balanced(math: str) -> bool:
    depth = 0
    for ch in math.replace("\\{", "").replace("\\}", ""):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def bibtex_title(title: str) -> str:
    """Escape a title for BibTeX, keep `$math$`, brace-protect acronyms.

    Math with unbalanced braces would break the entry, so it is escaped as text;
    `--` is split so LaTeX does not turn it into a dash.
    """
    out = []
    for part in _MATH.split(" ".join(title.split())):
        if _MATH.fullmatch(part) and _balanced(part):
            out.append(part)
        else:
            out.append(_TOKEN.sub(_protect_word, part).replace("--", "-{}-"))
    return "".join(out)


def split_venue(venue: str) -> tuple[str, int | None]:
    """`NeurIPS 2021` -> (`NeurIPS`, 2021); a venue without a trailing year -> (venue, None)."""
    found = _VENUE_YEAR.match(venue.strip())
    if found and found.group(1):
        return found.group(1).strip(), int(found.group(2))
    return venue.strip(), None


def booktitle(venue: str) -> str:
    """Expand a conference's short name to its proceedings title where we know it."""
    name, _ = split_venue(venue)
    return VENUES.get(name, name)


def citation_year(paper: Paper) -> int | None:
    """The venue's year when the venue names one (CVPR 2022), else the paper's year."""
    return split_venue(paper.venue)[1] or paper.year


# A word "and" inside one name would split it in two, since BibTeX separates names
# with " and " in any letter case; braces hide it from that split.
_AND_WORD = re.compile(r"(?<!\S)and(?!\S)", re.IGNORECASE)


def _bib_person(name: str) -> str:
    given, family = split_name(name)
    family_tex = _AND_WORD.sub(r"{\g<0>}", latex_escape(family))
    given_tex = _AND_WORD.sub(r"{\g<0>}", latex_escape(given))
    if " " in family and family[0].isupper():
        family_tex = "{" + family_tex + "}"
    return f"{family_tex}, {given_tex}" if given else family_tex


def _page_range(pages: str, dash: str) -> str:
    return re.sub(r"\s*[-\u2013\u2014]+\s*", dash, pages.strip())


def bibtex(paper: Paper, *, full: bool = False) -> str:
    """One BibTeX entry whose type follows from what is known of the paper.

    `full` (for exports) adds the tags as `keywords` and the comment as `annote`,
    fields that standard bibliography styles do not print; a citation copied to
    the clipboard leaves them out.
    """
    kind = paper.kind
    fields: list[tuple[str, str]] = [("title", bibtex_title(paper.title))]
    if paper.authors:
        fields.append(("author", " and ".join(_bib_person(a) for a in paper.authors)))
    year = citation_year(paper) if kind == "inproceedings" else paper.year
    if kind == "inproceedings":
        fields.append(("booktitle", latex_escape(booktitle(paper.venue))))
    elif kind == "article":
        fields.append(("journal", latex_escape(split_venue(paper.venue)[0] or "arXiv preprint")))
    elif kind == "incollection":
        fields.append(("booktitle", latex_escape(paper.venue)))
    elif paper.venue:
        fields.append(("howpublished", latex_escape(paper.venue)))
    if year:
        fields.append(("year", str(year)))
    if paper.volume:
        fields.append(("volume", latex_escape(paper.volume)))
    if paper.pages:
        fields.append(("pages", _page_range(latex_escape(paper.pages), "--")))
    if paper.publisher:
        fields.append(("publisher", latex_escape(paper.publisher)))
    if paper.doi:
        fields.append(("doi", paper.doi))
    if paper.arxiv_id:
        fields.append(("eprint", paper.arxiv_id))
        fields.append(("archivePrefix", "arXiv"))
        if paper.primary_class:
            fields.append(("primaryClass", paper.primary_class))
    if paper.link:
        fields.append(("url", paper.link))
    if full and paper.tags:
        fields.append(("keywords", latex_escape(", ".join(paper.tags))))
    if full and paper.comment.strip():
        fields.append(("annote", latex_escape(paper.comment.strip())))
    width = max(len(name) for name, _ in fields)
    body = ",\n".join(f"  {name.ljust(width)} = {{{value}}}" for name, value in fields)
    return f"@{kind}{{{paper.key},\n{body}\n}}\n"


# ---------------------------------------------------------------- APA 7


def _initials(given: str) -> str:
    out = []
    for word in given.split():
        parts = [p for p in word.split("-") if p]
        inits = [p[0].upper() + "." for p in parts if p[0].isalpha()]
        if inits:
            out.append("-".join(inits))
    return " ".join(out)


def _apa_person(name: str) -> str:
    given, family = split_name(plain_text(name))
    inits = _initials(given)
    return f"{family}, {inits}" if inits else family


def apa_authors(authors: list[str]) -> str:
    """APA 7: up to 20 authors in full; from 21 on, the first 19, an ellipsis, the last."""
    names = [_apa_person(a) for a in authors]
    if not names:
        return ""
    if len(names) == 1:
        return names[0]
    if len(names) > 20:
        return ", ".join(names[:19]) + ", . . . " + names[-1]
    return ", ".join(names[:-1]) + ", & " + names[-1]


def reference(paper: Paper) -> str:
    """A plain-text reference in APA 7th style."""
    who = apa_authors(paper.authors)
    year = citation_year(paper) if paper.kind == "inproceedings" else paper.year
    title = plain_text(paper.title).rstrip(".")
    end = "" if title.endswith(("?", "!")) else "."
    head = f"{who} ({year or 'n.d.'}). {title}{end}" if who else f"{title}{end} ({year or 'n.d.'})."
    kind = paper.kind
    if kind == "inproceedings":
        source = f" In {booktitle(paper.venue)}"
        source += f" (pp. {_page_range(paper.pages, '–')})." if paper.pages else "."
    elif kind == "incollection":
        source = f" In {paper.venue}"
        source += f" (pp. {_page_range(paper.pages, '–')})" if paper.pages else ""
        source += f". {paper.publisher}." if paper.publisher else "."
    elif kind == "article" and paper.venue:
        source = f" {split_venue(paper.venue)[0]}"
        source += f", {paper.volume}" if paper.volume else ""
        source += f", {_page_range(paper.pages, '–')}" if paper.pages else ""
        source += "."
    elif paper.arxiv_id:
        source = f" arXiv preprint arXiv:{paper.arxiv_id}."
    elif paper.venue:
        source = f" {paper.venue}."
    else:
        source = ""
    if paper.doi:
        tail = f" https://doi.org/{paper.doi}"
    elif paper.link:
        tail = f" {paper.link}"
    else:
        tail = ""
    return head + source + tail


# ---------------------------------------------------------------- Markdown and URL

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>])")


def markdown_link(paper: Paper) -> str:
    """`[Title](url) (Bao et al., 2021)`, with Markdown's special characters escaped."""
    from .model import authors_short

    title = _MD_SPECIAL.sub(r"\\\1", plain_text(paper.title))
    who = authors_short(paper.authors)
    tail = f" ({who}, {paper.year})" if who and paper.year else ""
    link = paper.link
    if link:
        link = link.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
        return f"[{title}]({link}){tail}"
    return f"{title}{tail}"


def url(paper: Paper) -> str:
    return paper.link


_RENDERERS: dict[str, Callable[[Paper], str]] = {
    "bibtex": bibtex,
    "text": reference,
    "markdown": markdown_link,
    "url": url,
}


def cite(papers: Iterable[Paper], fmt: str = "bibtex", *, full: bool = False) -> str:
    """The citations of several papers in one format, ready for the clipboard."""
    if fmt == "bibtex" and full:
        return "\n".join(bibtex(p, full=True) for p in papers)
    render = _RENDERERS[fmt]
    items = [render(p) for p in papers]
    if fmt == "bibtex":
        return "\n".join(items)
    return "\n".join(i for i in items if i)
