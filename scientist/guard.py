"""Link hygiene and grounding checks: nothing outside the corpus gets into or out of an answer.

- :func:`clean_question` normalises a question and removes any link in it;
- :func:`strip_foreign_urls` replaces every link that no record carries;
- :func:`verify_text` checks a free text (an LLM's answer, say) for links,
  model or paper names and figures of results (32.45 dB, in 2019, 12 residual blocks, 95% of) that are not in the
  corpus.
"""

from __future__ import annotations

import bisect
import functools
import json
import posixpath
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from .errors import QuestionError
from .ingest import _norm
from .naming import opening_words
from .records import markdown_url, unmasked
from .spelling import word_counts  # the list itself is loaded on first use (about 0.1 s), only for a text that needs it

if TYPE_CHECKING:  # pragma: no cover
    from .corpus import Corpus

__all__ = ["REMOVED", "AllowedLinks", "Verdict", "bare_form", "clean_question", "find_urls", "names_in",
           "strip_foreign_urls", "verify_text"]

#: A link written without its scheme, as chat apps still show one: a host name ending in one of these top-level
#: domains (written in lower case), or an IPv4 address, with an optional port and then a path (``bit.ly/3abc``,
#: ``github.com/x/y``, ``evil.com:8080/x``, ``1.2.3.4/x``).  The domains are the common ones that no file name or
#: code uses as its ending: ``README.md``, ``main.rs``, ``model.pt``, ``Node.js/Python``, ``torch.nn/torch.optim``
#: and ``ASP.NET/C#`` are words, as are names without a path (``exposure.json``) and numbers (``3.11/3.12``).
_TLDS = ("com|org|net|io|ly|co|ai|app|dev|edu|gov|info|me|xyz|site|online|tech|gg|gl|gd|be|to|tv|cc|us|uk|de|fr|"
         "ru|cn|jp|in|br|it|es|nl|ca|au|ch|se|pl|eu|biz|page|link|cloud|blog|news|top|club|shop|store|live|pro|at|"
         "dk|no|fi|cz|kr|tw|hk|sg|nz|za|mx|ar|cl|ir|tr|ua|gr|ro|hu|il|vn|id|my|ph|th")
_BARE = (r"(?<![^\W_])(?<![@.:/\\-])(?:(?:[^\W_](?:[^\W_]|-){0,62}\.)+(?-i:(?:" + _TLDS + r"))\b"
         r"|\d{1,3}(?:\.\d{1,3}){3})(?::\d{1,5})?/")
_BARE_LINK = re.compile(_BARE, re.I)
# Anything that looks like a link: a scheme followed by non-space characters, a bare www. host, a
# scheme-relative //host (a browser resolves it against the page's own scheme, and reads \\ as //), or a bare
# host and path (:data:`_BARE`).  Each alternative is one bounded prefix and then a run of one character class:
# scanning stays linear.
_URL_RE = re.compile(
    r"(?:\b[a-z][a-z0-9+.-]{1,15}:(?://)?[^\s<>\"'`)\]]+|\bwww\.[^\s<>\"'`)\]]+"
    r"|(?<![\w:/\\])[/\\]{2,}[a-z0-9][^\s<>\"'`)\]]*"
    r"|" + _BARE + r"[^\s<>\"'`)\]]*)", re.I)
#: Schemes that make a link without ``//`` (``mailto:``, ``sms:+1555...``, ``javascript:...``); any scheme followed
#: by ``//`` (``vscode://``, ``ssh://``) makes one too.
_OPAQUE_SCHEMES = frozenset({"http", "https", "ftp", "ftps", "file", "javascript", "data", "vbscript", "mailto",
                             "tel", "sms", "mms", "magnet", "news", "nntp", "urn", "sip", "sips", "xmpp", "geo",
                             "callto", "skype", "facetime", "bitcoin", "intent", "market", "webcal", "irc", "ircs",
                             "blob", "about", "chrome", "view-source"})
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):", re.I)
REMOVED = "[link removed]"
# A word of a question that holds a link anywhere in it (the whole word goes).  Searched word by word, each
# try bounded by the scheme's 16 characters, so cleaning is linear in the question's length.
_LINK_IN_WORD = re.compile(r"[a-z][a-z0-9+.-]{1,15}:/{0,2}\S|www\.\S|[/\\]{2}[a-z0-9]|" + _BARE, re.I)
_WORD = re.compile(r"\S+")


def _may_hold_link(text: str) -> bool:
    """Whether ``text`` has what every link needs (a colon, ``www.``, or two slashes of either kind): a scan at
    C speed that spares the patterns most texts."""
    return (any(mark in text for mark in (":", "//", "\\\\", "/\\", "\\/")) or "www." in text.lower()
            or ("." in text and "/" in text))


class AllowedLinks(frozenset):
    """The links an answer may show (every link a corpus record carries), with what matching them needs.

    The link pattern stops at characters such as ``)``; a record's link holding one is still matched whole
    (:attr:`longer`), and Markdown shows it percent-encoded (:func:`markdown_url`, :attr:`markdown`).
    """

    @functools.cached_property
    def longer(self) -> dict[str, tuple[str, ...]]:
        """What the pattern finds at the start of an allowed link it would cut short -> those links, longest first."""
        out: dict[str, list[str]] = {}
        for u in self:
            m = _URL_RE.match(u)
            if m is not None and m.group(0) != u:
                out.setdefault(m.group(0), []).append(u)
        return {k: tuple(sorted(v, key=len, reverse=True)) for k, v in out.items()}

    @classmethod
    def of(cls, links: Iterable[str]) -> AllowedLinks:
        """``links`` and each written without its ``http://`` or ``https://`` (``github.com/x/y``): a record's own
        link is still its own when a text leaves the scheme out."""
        links = set(links)
        return cls(links | {bare_form(u) for u in links})

    @functools.cached_property
    def markdown(self) -> AllowedLinks:
        """These links and their Markdown forms."""
        return AllowedLinks(self | {markdown_url(u) for u in self})


def _host_folded(link: str) -> str:
    """``link`` as it is read to tell whose it is: its host in lower case, without its scheme (http or https), and
    its path without a closing slash or ``.git``: "HTTPS://GitHub.com/chosj95/MIMO-UNet/",
    "http://github.com/chosj95/MIMO-UNet.git" and "github.com/chosj95/MIMO-UNet" are one link (the path keeps its
    case)."""
    m = re.match(r"(?:(?:https?:)?//)?([^/?#]*)", link, re.I)
    rest = link[m.end():]
    rest = rest[:-4] if rest.lower().endswith(".git") else rest
    return m.group(1).lower() + rest.rstrip("/")


def bare_form(link: str) -> str:
    """``link`` without its ``http://`` or ``https://``."""
    return re.sub(r"^https?://", "", link, flags=re.I)


def _is_link(token: str) -> bool:
    """Whether a token the link pattern found is a link: ``www.``, ``//`` or ``\\\\``, a scheme followed by
    ``//``, or a scheme of :data:`_OPAQUE_SCHEMES` (``PSNR:30dB`` is none)."""
    if token.lower().startswith(("www.", "/", "\\")) or _BARE_LINK.match(token):
        return True
    m = _SCHEME.match(token)
    return m is not None and (token.startswith(("//", "\\"), m.end()) or m.group(1).lower() in _OPAQUE_SCHEMES)


def _links(text: str, allowed: Collection[str]) -> Iterator[tuple[int, int, str]]:
    """(start, end, link) of every link-like token; an allowed link the pattern would cut short is taken whole."""
    if not _may_hold_link(text):
        return
    longer = allowed.longer if isinstance(allowed, AllowedLinks) else AllowedLinks(allowed).longer
    taken = 0  # where the last link taken whole ends: matches inside it are part of it
    for m in _URL_RE.finditer(text):
        start, token = m.start(), m.group(0)
        if start < taken:
            continue
        if longer and token in longer:
            whole = next((u for u in longer[token] if text.startswith(u, start)), None)
            if whole is not None:
                taken = start + len(whole)
                yield start, taken, whole
                continue
        core = token if token in allowed else token.rstrip(".,;:!?*_")  # Markdown's emphasis after it too
        if _is_link(core):
            yield start, start + len(core), core


def find_urls(text: str, allowed: Collection[str] = ()) -> list[str]:
    """Every link-like token in ``text`` (trailing punctuation trimmed; links in ``allowed`` found whole)."""
    return [link for _, _, link in _links(text or "", allowed)]


def name_links(text: str, allowed: AllowedLinks, name: Callable[[str], str | None]) -> str:
    """``text`` with each link that ``name`` names (a record's, or one under it: its title) replaced by
    ``name(link)``."""
    out, pos = [], 0
    for start, end, link in _links(text, allowed):
        if (named := name(link)) is not None:
            out += [text[pos:start], named]
            pos = end
    return "".join(out) + text[pos:] if out else text


def link_key(link: str) -> str:
    """``link`` as links are compared for the record they lie under: without its scheme, ``www.``, query,
    fragment, a trailing slash, ``.`` and ``..`` steps or ``.git``, in lower case (a repository's owner and name
    are read whatever their case: ``github.com/chosj95/mimo-unet?tab=readme-ov-file`` is
    ``github.com/chosj95/MIMO-UNet``)."""
    bare = re.sub(r"^www\.", "", bare_form(link.strip()), flags=re.I)
    bare = re.split(r"[?#]", bare, maxsplit=1)[0].rstrip("/").lower()
    bare = re.sub(r"%2e", ".", re.sub(r"%5c|\\", "/", bare))  # "%2e%2e" and "\" are ".." and "/" to a browser
    host, _, path = bare.partition("/")
    path = posixpath.normpath("/" + path).lstrip("/") if path else ""  # "repo/../../evil" lies under no repo
    bare = f"{host}/{path}".rstrip("/") if path and path != "." else host
    return bare[:-4] if bare.endswith(".git") else bare


def strip_foreign_urls(text: str, allowed: Collection[str]) -> str:
    """Replace every link not in ``allowed`` with a marker."""
    text = text or ""
    out, pos = [], 0
    for start, end, link in _links(text, allowed):
        if link not in allowed:
            out += [text[pos:start], REMOVED]
            pos = end
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def _printable(text: str) -> str:
    """``text`` with each character that is not printable (but line breaks and tabs) as a space."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in text)


def clean_question(question: object, limit: int | None = None) -> str:
    """Normalise a question (NFC, printable characters, single spaces) and remove its links.

    ``limit``: the most characters read (the rest is ignored before anything else is done).
    Raises :class:`QuestionError` when nothing is left.
    """
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    text = _printable(unicodedata.normalize("NFC", question[:limit] if limit else question))
    # links as written, then as a Markdown renderer shows the rest ("https&colon;//..." and "https\\://...")
    text = _without_links(unmasked(_without_links(text)))
    text = " ".join(text.split())
    if not text:
        raise QuestionError("the question is empty")
    return text


def _without_links(text: str) -> str:
    """``text`` with every word that holds a link replaced by :data:`REMOVED`."""
    if not _may_hold_link(text):
        return text
    return _WORD.sub(lambda m: REMOVED if _may_hold_link(m.group(0)) and _LINK_IN_WORD.search(m.group(0))
                     else m.group(0), text)


#: The most letters and digits a name looked up in the corpus may have (a longer "name" is none of its).
_LONGEST_NAME = 100


def _spaced(text: str) -> str:
    """``text``'s words, lower-case letters and digits only, one space apart and around: what a name is looked
    for in (``MIMO-UNet`` is `` mimo unet ``)."""
    return " " + " ".join(re.findall(r"[a-z0-9]+", text.lower())) + " "


def _whole_words(key: str) -> re.Pattern:
    """A name's letters and digits (``key``, from :func:`~scientist.ingest._norm`) as whole words of a
    :func:`_spaced` text, split anywhere: ``mimounet`` finds `` mimo unet `` and `` mimounet ``, ``sam`` does not
    find `` same ``."""
    return re.compile(" " + " ?".join(map(re.escape, key)) + " ")


def names_in(corpus: Corpus, text: str) -> tuple[list[str], list[str]]:
    """The model or paper names ``text`` holds that the corpus does not write, as whole words; and the ids of the
    records whose titles hold the names it does.  A name is told by its shape (CamelCase, capitals, letters with
    digits, hyphenated capitals), or is a capitalised word that is no English word and does not open a sentence
    ("how does Restormer work?", :func:`_plain_names`), or an author's before "et al." ("Nah et al."), or a
    capitalised word said to be who made a model ("developed by Google", "the authors are Kim and Park":
    :data:`_MAKERS`), English or not.  Words of the
    corpus's vocabulary, and names under three letters (two for an author's), are not names."""
    from .corpus import load_places

    haystack, titles = corpus.names_text()
    places = [p.words for p in load_places()]  # "HuggingFace", "Hugging-Face": a place of links, named as such
    unknown: list[str] = []
    cited: list[str] = []
    shouted = _shouted(text)
    shaped = [m.group(0) for m in _NAME_RE.finditer(text) if m.group(0) not in shouted]
    cited_as = [m.group(1) for m in _ET_AL.finditer(text)]  # "Nah et al.", "Li et al.": an author's, whatever its shape
    # the words of a maker named ("developed by Google"), English or not; a word the records write is no news
    low = text.lower()  # the pattern is tried only on a text that could hold it (a 1 MB word need not be scanned)
    makers = [w for m in _MAKERS.finditer(text) for w in re.findall(r"[A-Z][\w'-]*", m.group(1))
              if w.lower() not in _MAKER_WORDS] if any(h in low for h in _MAKER_HINTS) else []
    seen: set[str] = set()
    for name in dict.fromkeys(shaped + _plain_names(text, haystack, corpus.ordinary_words) + cited_as + makers):
        key = _norm(name)
        shortest = 2 if name in cited_as or name in makers else 3
        if (name in corpus.vocabulary or len(key) < shortest or key in seen  # "DeNoise" and "Denoise" are one name
                or any(p.fullmatch(name) for p in places)):
            continue
        seen.add(key)
        whole = _whole_words(key) if len(key) <= _LONGEST_NAME else None  # no name is longer: not searched
        if whole is not None and whole.search(haystack):
            cited += [rid for rid, title in titles if whole.search(title) and rid not in cited]
            continue
        unknown.append(name)
    return unknown, cited


def _plain_names(text: str, haystack: str, ordinary: Collection[str] = ()) -> list[str]:
    """The capitalised words of ``text`` (a capital, then three lower-case letters or more) that are not written
    in the corpus (``haystack``, :meth:`~scientist.corpus.Corpus.names_text`) and are no English word
    (``pyspellchecker``'s list, which holds many brands and places: "Samsung", "Canon", "Paris"): names of models or
    products that have no name's shape ("Restormer", "Lightroom").  A word that opens a sentence is one only when
    it stands alone before a colon, comma or question mark, as a name said first ("Restormer: how does it
    deblur?", "Restormer, how..."; "Smartphone photos are dark" and "Runtime is a second" are ordinary words), and
    people do not write it in lower case either (``ordinary``: :attr:`~scientist.corpus.Corpus.ordinary_words`,
    which holds "selfie" and "colourising", words the list lacks), and it is no greeting or opening word that says
    nothing of the question (naming.yaml's ``openers``: "Bonjour, I would like to know ...")."""
    found = [m for m in _PLAIN_NAME.finditer(text) if f" {m.group(0).lower()} " not in haystack
             and (not opens_sentence(text, m.start())
                  or (text[m.end():m.end() + 1] in (":", ",", "?") and m.group(0).lower() not in ordinary
                      and m.group(0).lower() not in opening_words()))]
    if not found:
        return []
    english = word_counts()
    return [m.group(0) for m in found if m.group(0).lower() not in english]


def _shouted(text: str) -> set[str]:
    """The English words of ``text`` written in capitals beside other words in capitals: a heading or a phrase
    shouted ("IN THE RECORDS' OWN WORDS", as the plain-text answer writes its headings), whose words have a name's
    shape (capitals) without being names.  A word in capitals alone ("SAM", "YOLO") stays a name."""
    runs = [m.group(0) for m in _CAPITALS_RUN.finditer(text)]
    if not runs:
        return set()
    english = word_counts()
    return {w for run in runs for w in re.findall(r"[A-Z]{2,}", run) if w.lower() in english}


def opens_sentence(text: str, at: int) -> bool:
    """Whether the word at ``at`` opens ``text`` or a sentence of it (after . ! ? : ; or a line break, quotes and
    brackets between), or a Markdown heading, list item or quote ("# Smartphone photos", "- Runtime is ...")."""
    before = text[:at].rstrip(" \t\"'“‘«([").rstrip("#-*>• \t")
    return not before or before[-1] in ".!?:;\n…"


# --------------------------------------------------------------------------
# the citation checker
# --------------------------------------------------------------------------
#: A name, and a list of them as this tool writes one ("NAFNet", "NAFNet and SwinIR", "A, B or C"); a list of
#: more than one ends in "and" or "or", so that "no record mentions NAFNet, Restormer beats it" names NAFNet only.
#: Both are bounded (a name of 60 characters at most, 8 names at most, each at a word's start), so that a
#: hostile megabyte of one word or of commas is read in linear time.
_LISTED_NAME = r"(?<![\w.+-])[^\W_][\w.+-]{0,59}(?![\w.+-])"
_NAME_LIST = rf"{_LISTED_NAME}(?:(?:,[ \t]*{_LISTED_NAME}){{0,8}},?[ \t]+(?:and|or)[ \t]+{_LISTED_NAME})?"
#: A clause saying the records do not name something, the list of what it says they do not name in a group of its
#: own: "The question names X, which none of the 3 provided records mentions" (this tool's note), "no record
#: mentions X", "the records do not mention X", "X is not mentioned in the records", "X isn't covered by the
#: records", "X is not in the corpus", "the records say nothing about X", "there's no record of X", "I don't have any
#: information on X".
_DISCLAIMER = re.compile(
    rf"\bnames\s+(?P<a>{_NAME_LIST}),\s+which\s+(?:none\s+of\s+the\s+(?:\w+\s+){{0,2}}records\s+mentions"
    rf"|the\s+one\s+(?:\w+\s+)?record\s+does\s+not\s+mention)\b"
    rf"|\b(?:none\s+of\s+the\s+(?:\w+\s+){{0,2}}records|no\s+(?:\w+\s+)?records?)\s+(?:mentions?|names?|covers?)"
    rf"\s+(?P<b>{_NAME_LIST})"
    rf"|\brecords?\s+(?:do|does|did)(?:\s+not|n't)\s+(?:mention|name|cover)\s+(?P<c>{_NAME_LIST})"
    rf"|(?P<d>{_NAME_LIST})\s+(?:(?:is|are)\s+not|isn't|aren't)\s+(?:mentioned|named|covered)\s+(?:in|by)\s+"
    rf"(?:any\s+of\s+)?(?:the|any|my|these)\s+(?:\w+\s+)?(?:records?|corpus|sources)\b"
    rf"|(?P<e>{_NAME_LIST})\s+(?:(?:is|are)\s+not|isn't|aren't)\s+(?:in|part\s+of|among)\s+(?:any\s+of\s+)?"
    rf"(?:the|any|my|these)\s+(?:\w+\s+)?(?:records?|corpus|sources)\b"
    rf"|\b(?:records?|corpus|sources)\s+(?:say|says|said)\s+nothing\s+(?:about|on|of)\s+(?P<f>{_NAME_LIST})"
    rf"|\bno\s+record\s+of\s+(?P<g>{_NAME_LIST})"
    rf"|\b(?:no|(?:don't|do\s+not|doesn't|does\s+not)\s+have\s+any)\s+(?:information|info|details)\s+(?:on|about)"
    rf"\s+(?P<h>{_NAME_LIST})", re.I)
#: Every match of :data:`_DISCLAIMER` holds one of these words (not "records", which most answers hold); it is looked
#: for only within
#: :data:`_DISCLAIMER_REACH` characters of one (a list of names is at most 9 of 60 characters), so that a megabyte
#: of names without a disclaimer is not tried at every word.  A disclaimer whose parts stand further apart than
#: that (thousands of spaces between them) is not read as one: its names then count, as a name would.
_DISCLAIMER_ANCHOR = re.compile(r"mention|name|cover|corpus|sources|nothing|information|info\b|details|record\s+of"
                                r"|(?:not|n't)\s+in\b|part\s+of|among", re.I)
_DISCLAIMER_REACH = 2000
#: Strings one of which every match of :data:`_DISCLAIMER_ANCHOR` holds, in lower case.
_ANCHOR_WORDS = ("mention", "name", "cover", "corpus", "sources", "nothing", "info", "details", "record", "not",
                 "n't", "part", "among")


def _disclaimers(text: str, replace: Callable[[re.Match], str]) -> str:
    """``text`` with each match of :data:`_DISCLAIMER` replaced by ``replace(match)`` (as ``_DISCLAIMER.sub``
    would, but only near its anchor words)."""
    low = text.lower()  # most long texts hold none of its words: a scan in C says so before the pattern's
    if not any(word in low for word in _ANCHOR_WORDS):
        return text
    windows: list[list[int]] = []
    for m in _DISCLAIMER_ANCHOR.finditer(text):
        start, end = max(0, m.start() - _DISCLAIMER_REACH), m.end() + _DISCLAIMER_REACH
        if windows and start <= windows[-1][1]:
            windows[-1][1] = end
        else:
            windows.append([start, end])
    parts: list[str] = []
    done = 0
    for start, end in windows:
        for m in _DISCLAIMER.finditer(text, max(start, done), end):
            parts += [text[done:m.start()], replace(m)]
            done = m.end()
    return "".join(parts) + text[done:]


#: This tool's note on words it read as misspelt: 'Read "Quailty" as "quality", taking it for misspelt' (the
#: words as written, in groups of their own, are no names: the title that echoes the question may hold them).
_READ_AS = re.compile(r'\bRead\s+(?P<pairs>(?:"[^"\n]{1,60}"\s+as\s+"[^"\n]{1,60}"(?:,\s+|\s+and\s+)?){1,8}),\s+'
                      r"taking\s+(?:it|them)\s+for\s+misspelt\b")
_READ_PAIR = re.compile(r'"([^"\n]{1,60})"\s+as\s+"')
#: A title line: a Markdown heading, or the plain-text answer's "QUESTION:" line (this tool's answers echo the
#: question there).
_TITLE_LINE = re.compile(r"^[ \t]*(?:#{1,6}[ \t]|QUESTION: ).*$", re.M)


def _claims(text: str) -> tuple[str, str, set[str], list[tuple[int, str]]]:
    """``text`` split for reading names: (its lines but its titles, its title lines, the names it says the records
    do not name, and where each title line stood in the first with its words).  The names a disclaimer lists are
    taken out where it lists them, and only there; a name in a title counts only if the text does not say the
    records lack it: an answer of this tool echoes the question in its title, names and all, and says of each
    such name that no record mentions it.  What is taken out is left as spaces or line breaks, so that sentences
    still open where they did and a figure stands where it stood."""
    disclaimed: set[str] = set()

    def listed_out(m: re.Match) -> str:
        group = next(g for g in "abcdefgh" if m.group(g) is not None)
        disclaimed.update(w for w in re.findall(_LISTED_NAME, m.group(group)) if w.lower() not in ("and", "or"))
        return _blanked(m, group)

    def read_out(m: re.Match) -> str:
        disclaimed.update(_READ_PAIR.findall(m.group("pairs")))
        return " " * len(m.group(0))

    body = _READ_AS.sub(read_out, _disclaimers(text, listed_out))
    lines = [(t.start(), t.group(0)) for t in _TITLE_LINE.finditer(body)]
    return (_TITLE_LINE.sub(lambda t: " " * len(t.group(0)), body), "\n".join(line for _, line in lines),
            disclaimed, lines)


#: The extensions of the files an answer of this tool names: photos, and the weights it ran.
_FILE_EXT = r"\.(?:png|jpe?g|tiff?|webp|heic|heif|gif|bmp|safetensors|pkl|pth|onnx)"
#: A file's name as this tool's answers write one: a Markdown code span ("`Zurich trip.png`"), or the plain-text
#: answer's demo lines ("  restored:   out/Zurich trip_restored.png (PNG, ...)").
_FILE_NAMES = re.compile(rf"`(?P<a>[^`\n]{{1,1000}}?{_FILE_EXT})`"
                         rf"|^[ \t]+(?:restored|comparison):[ \t]+(?P<b>[^\n]{{1,1000}}?{_FILE_EXT})(?=[ \t(]|$)",
                         re.I | re.M)
#: The keys of an answer's JSON whose values are files' names.
_FILE_KEYS = frozenset({"input", "output", "comparison", "weights"})


def _without_file_names(text: str) -> str:
    """``text`` with the files' names it writes as this tool's answers do (:data:`_FILE_NAMES`) left as spaces: a
    photo named "Zurich trip.jpg" or "Wedding 2019.jpg" names no model and gives no figure."""
    return _FILE_NAMES.sub(lambda m: _blanked(m, "a" if m.group("a") is not None else "b"), text)


def _blanked(m: re.Match, group: str) -> str:
    """The text ``m`` matched with its ``group`` as spaces: what is taken out of a text to read leaves sentences
    opening where they did."""
    start, end = m.span(group)
    whole = m.group(0)
    return whole[: start - m.start()] + " " * (end - start) + whole[end - m.start():]


def _json_text(text: str) -> str:
    """The text a JSON document carries, when ``text`` is one: all its strings, keys too, one per line, as a reader
    of them sees them (``\\n`` a line break, not a backslash ending a link); a ``question`` (or ``read_as``) as the
    title line it is in an answer of this tool (``ask --json``).  Any other text, or JSON nested too deeply to
    read, as it is."""
    if text.lstrip()[:1] not in ("{", "["):
        return text
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        return text
    strings: list[str] = []

    def walk(node, key: str | None = None) -> None:
        if isinstance(node, str):
            if key in _FILE_KEYS and re.search(rf"{_FILE_EXT}$", node, re.I):
                return  # a demo's photo, restored image, comparison or weights: a file's name
            strings.append(f"QUESTION: {node}" if key in ("question", "read_as") and "\n" not in node else node)
        elif isinstance(node, dict):
            for k, value in node.items():
                strings.append(str(k))
                walk(value, str(k))
        elif isinstance(node, list):
            for value in node:
                walk(value)

    try:
        walk(doc)
    except RecursionError:  # a list nested deeper than the parser's limit reached
        return text
    return "\n".join(strings)


class Verdict(BaseModel):
    """Whether a text cites only the corpus, and whether it covers the three parts."""

    grounded: bool = Field(description="True when every link, every model/paper name and every figure of a result "
                                       "cited is in the corpus.")
    foreign_urls: list[str] = Field(description="Links that no corpus record carries.")
    unknown_names: list[str] = Field(description="Model or paper names that appear in no corpus record.")
    unknown_figures: list[str] = Field(
        default_factory=list,
        description="Figures of a result (a number in dB, ms, fps, FLOPs or parameters, or after PSNR, SSIM, LPIPS "
                    "or FID) and years of an event that no corpus record writes: the same value as the same kind "
                    "of figure.")
    others_figures: list[str] = Field(
        default_factory=list,
        description="Figures a corpus record writes, each said of records none of which writes it (those its "
                    "clause names by name, title words or link; else its sentence's; else its paragraph's), or of "
                    "a record's variant the record gives another value of the kind, with what it is said of: "
                    "\"MIMO-UNet removes 87% of the noise\" takes the histopathology paper's 87%; \"MIMO-UNet+ has "
                    "6.8 M parameters\" MIMO-UNet's.")
    cited_records: list[str] = Field(description="Ids of corpus records the text cites by link or name.")
    parts: dict[str, bool] = Field(description="Coverage of the three parts: task, workflow, references.")

    def summary(self) -> str:
        lines = [f"grounded: {'yes' if self.grounded else 'NO'}"]
        lines += [f"  ungrounded link: {u}" for u in self.foreign_urls]
        lines += [f"  ungrounded name: {n}" for n in self.unknown_names]
        lines += [f"  ungrounded figure: {f}" for f in self.unknown_figures]
        lines += [f"  figure of another record or variant: {f}" for f in self.others_figures]
        lines.append("cites: " + (", ".join(self.cited_records) or "no corpus record"))
        lines.append("parts: " + ", ".join(f"{k} {'yes' if v else 'missing'}" for k, v in self.parts.items()))
        return "\n".join(lines)


# Words that look like model names: CamelCase, letters+digits, hyphenated capitals, or a digit between lower-case
# words (DnCNN, SwinIR, Real-ESRGAN, GPT-4, U-Net, BM3D, pix2pix, pix2pixHD: not "mp3", "h264" nor "covid19").
# Written so that no two repetitions can trade characters (each repeated class is followed by one it excludes),
# which keeps matching linear in the word's length.
_NAME_RE = re.compile(
    r"\b(?:[A-Z][a-z]+[A-Z][A-Za-z]*|[A-Z]{2,}[a-z][A-Za-z]*|(?=[a-z]*[A-Z])[A-Za-z]+\d[A-Za-z0-9]*"
    r"|[A-Z][A-Za-z0-9]*(?:-[A-Z0-9][A-Za-z0-9]*)+|[A-Z]{3,}\d*|[a-z]{2,}\d[A-Za-z]{2}[A-Za-z0-9]*)\b"
)
#: An author's name as a citation writes it: "Cho et al.", "(Li et al., 2021)".
_ET_AL = re.compile(r"(?<![\w'-])([A-Z][a-z][A-Za-z'-]{0,40})[ \t]+et[ \t]+al\b")
#: Who made a model, as a text attributes it: the capitalised words after "developed by", "made at", "authors
#: are", "researchers from" ("developed by Google", "built at Stanford University", "the authors are Kim, Lee and
#: Park"), which a checker must find in the records even when they are English words ("Park", "Apple").
_MAKERS = re.compile(
    r"\b(?i:(?:developed|created|made|built|designed|proposed|introduced|invented|written|authored|published|"
    r"released|trained|maintained|owned)[ \t]+(?:by|at)|(?:authors?|creators?|inventors?|developers?)[ \t]+"
    r"(?:are|is|were|was|include|includes|included)(?:[ \t]+(?:from|at))?|(?:researchers|scientists|engineers|"
    r"a[ \t]+team|the[ \t]+team|a[ \t]+group|a[ \t]+lab)[ \t]+(?:at|from|of))[ \t]*:?[ \t]+(?:the[ \t]+)?"
    r"((?:[A-Z][\w'-]*)(?:(?:[ \t]*,[ \t]*|[ \t]+(?:and|&)[ \t]+|[ \t]+)[A-Z][\w'-]*){0,6})")
#: What a text must hold for :data:`_MAKERS` to find anything in it.
_MAKER_HINTS = (" by", "\tby", " at", "\tat", "author", "creator", "inventor", "developer", "researchers", "scientists",
                "engineers", "team", "group", "lab")
#: Words of an organisation's name that say nothing of which one it is ("Korea University": "Korea" is the news).
_MAKER_WORDS = frozenset({"university", "institute", "college", "school", "lab", "labs", "laboratory", "research",
                          "team", "group", "center", "centre", "department", "inc", "ltd", "llc", "corp",
                          "corporation", "company", "foundation", "academy", "of", "the", "and"})
#: Two words or more in capitals in a row (of two letters or more, an apostrophe's "S" allowed), on one line.
_CAPITALS_RUN = re.compile(r"\b[A-Z]{2,}(?:'S)?(?:[ \t,:;()\"'-]+[A-Z]{2,}(?:'S)?)+\b")
#: A word of a capital and three lower-case letters or more, not part of a longer or hyphenated word.
_PLAIN_NAME = re.compile(r"(?<![\w-])[A-Z][a-z]{3,}(?![\w-])")
#: The target of a Markdown link or image: ``[label](target "title")``, ``[label](<target>)``.
_MARKDOWN_TARGET = re.compile(r"\]\(\s*<?([^\s)>]+)")
_ARXIV_RE = re.compile(r"\b(?:arXiv:\s*)?(\d{4}\.\d{4,5})(?:v\d+)?\b", re.I)


def verify_text(corpus: Corpus, text: str, by_record: bool = True) -> Verdict:
    """Check a free text (say, an LLM's answer) against the corpus.

    Words of the corpus's vocabulary (``vocabulary.yaml``) are not taken for names.  A ``text`` that is not a
    string, or holds nothing but white space, is a :class:`QuestionError`.  ``by_record``: whether a figure in a
    clause that names records must be one of theirs (:func:`_others_figures`; off, any record's grounds it).
    """
    if not isinstance(text, str):
        kind = "None" if text is None else type(text).__name__
        raise QuestionError(f"the text to check must be a string, not {kind}")
    # nothing cited is nothing grounded either: a gate must not pass it; nor a text of control characters only,
    # which ask and prompt take for empty too
    if not _printable(text).strip():
        raise QuestionError("the text to check is empty")
    text = _json_text(text)
    # a record's link as the Markdown answer writes it ("..._%28image%29") is the record's own
    allowed = corpus.allowed_urls().markdown
    folded = {_host_folded(u): u for u in allowed}  # "https://GitHub.com/...": a host's name has no case

    def as_allowed(link: str) -> str:
        return link if link in allowed else folded.get(_host_folded(link), link)

    spans = [(start, end, as_allowed(link)) for start, end, link in _links(text, allowed)]
    urls = {link for _, _, link in spans}
    shown = unmasked(text)  # as a Markdown renderer shows it: "https&colon;//x" and "https\\://x" are links
    if shown != text:
        urls |= {as_allowed(u) for u in find_urls(shown, allowed)}
    # a Markdown link's target is a link whatever it looks like ("[here](evil.html)")
    urls |= {as_allowed(m.group(1)) for t in {text, shown} for m in _MARKDOWN_TARGET.finditer(t)
             if m.group(1) not in allowed}
    foreign = sorted(urls - allowed)
    cited = [r.id for r in corpus.records
             if any(v in urls for u in r.links() for v in (u, markdown_url(u), bare_form(u)))]
    # a record's link stays as a mark of the record, which names it for the figures beside it (_others_figures)
    own = {v: i for i, r in enumerate(corpus.records) for u in r.links() for v in (u, markdown_url(u), bare_form(u))}
    pieces, pos = [], 0
    for start, end, link in spans:
        pieces += [_MARKS.sub(" ", text[pos:start]), f" {_MARK_OPEN}{own[link]}{_MARK_CLOSE} " if link in own else " "]
        pos = end
    text_wo_urls = "".join(pieces) + _MARKS.sub(" ", text[pos:])
    body, titles, disclaimed, headings = _claims(_without_file_names(text_wo_urls))
    unknown, named = names_in(corpus, body)
    in_titles, named_in_titles = names_in(corpus, titles)
    unknown += [n for n in in_titles if n not in disclaimed and n not in unknown]
    named += [rid for rid in named_in_titles if rid not in named]
    cited += [rid for rid in named if rid not in cited]
    corpus_arxiv = {m.group(1) for u in allowed for m in _ARXIV_RE.finditer(u)}
    unknown += dict.fromkeys(f"arXiv:{m.group(1)}" for m in _ARXIV_RE.finditer(text_wo_urls)
                             if m.group(1) not in corpus_arxiv)
    read = [(m, f) for m in _FIGURE.finditer(body) if (f := _figure_of(m)) is not None]  # read once for both
    figures = _unknown_figures(body, corpus.figures, read)
    others = _others_figures(corpus, body, read, headings) if by_record else []
    low = text.lower()
    task_words = {t.label.lower() for t in corpus.tasks} | {t.id.replace("-", " ") for t in corpus.tasks}
    parts = {
        "task": "task" in low or any(w in low for w in task_words),
        "workflow": ("input" in low and "output" in low) or "→" in text or "->" in text,
        "references": bool(cited),
    }
    return Verdict(grounded=not foreign and not unknown and not figures and not others, foreign_urls=foreign,
                   unknown_names=unknown, unknown_figures=figures, others_figures=others, cited_records=cited,
                   parts=parts)


#: A number as records and answers write it ("32.45", "57,648", "16.1", ".93"), taken whole (an atomic group:
#: "0.87,0.91" is not read as "0.8").
_NUMBER = r"(?>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
#: A count's multiplier ("16.1 M parameters" is 16,100,000 of them), by the word or letter before its unit.
_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "g": 1e9, "b": 1e9, "billion": 1e9, "t": 1e12}
#: The units a result is given in (case-insensitive), each with the kind of figure it makes; a scale letter or word
#: before a count's unit is read into its value.  dB and PSNR are one kind: a PSNR is given in dB.
_UNITS = (("dB|decibels?", "PSNR"), ("ms|milliseconds?", "ms"), ("fps|frames[ \t]per[ \t]second|frames/s", "fps"),
          ("(?P<fs>[kmgt])?[ \t]?flops", "FLOPs"), ("(?P<ms>[kmg])?[ \t]?macs", "MACs"),
          ("(?P<ps>k|m|b|thousand|million|billion)?[ \t-]?(?:(?:trainable|learnable|learned)[ \t])?"
           "param(?:eter)?s?", "params"),
          ("psnr", "PSNR"), ("ssim", "SSIM"), ("lpips", "LPIPS"), ("fid", "FID"))
#: Number words a count may be written in ("four annotation companies").
_NUMBER_WORDS = {w: i + 1 for i, w in enumerate(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty".split())}
#: What a count of a study or a network counts (the noun, singular or plural): "924 annotators", "four annotation
#: companies", "20 residual blocks", "3000 epochs", "8 GPUs".  Photos and images count only in the plural and from
#: :data:`_MANY_IMAGES` ("57,648 instance segmented images" is a data set's; "your 3 photos" is no claim, "a 4096
#: by 2048 photo" a size).
_COUNTED = ("annotators?|workers?|compan(?:y|ies)|gpus?|epochs?|iterations?|blocks?|layers?|stages?|channels|"
            "experts?|participants?|pathologists?|radiologists?|clinicians?|raters?|volunteers?|pairs?|images|photos|"
            "pictures|biops(?:y|ies)|patients?|slides|subjects|scales")
_MANY_IMAGES = 1000
#: Words that, between a number and what a count counts, make it no count of that ("taken away 29.6 at fine
#: scales", "3 in the blocks").
_NOT_BETWEEN = frozenset({"at", "in", "on", "to", "for", "by", "from", "with", "per"})
#: A duration's unit and its length in seconds: a duration is a figure of a result when it is given for each photo
#: ("0.5 seconds per image", "2 minutes for a photo"); "I restored your photos in 2 minutes" is no claim, and this
#: tool's own "6 min 44 s" no unit of these.
_DURATIONS = {"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "min": 60, "mins": 60, "minute": 60,
              "minutes": 60, "hour": 3600, "hours": 3600}
#: A training's length ("trained for 48 hours", "training took 4 days"), in seconds.
_TRAINING_TIMES = {"hour": 3600, "hours": 3600, "day": 86400, "days": 86400, "week": 604800, "weeks": 604800}
#: Venues whose year is the year of that venue: "CVPR 2021" is not grounded by a record's "ICCV 2021", and grounds
#: "published in 2021" as a year.
_VENUES = ("NeurIPS", "NIPS", "CVPR", "ICCV", "ECCV", "ICLR", "ICML", "AAAI", "WACV", "BMVC", "MICCAI", "TPAMI",
           "IJCV", "ACCV", "SIGGRAPH", "TIP")
#: A venue named, with a year or without ("presented at CVPR"): a venue no record names is flagged as a figure is.
_VENUE_NAME = re.compile(r"\b(?:" + "|".join(_VENUES) + r")\b")
#: Words of a comparison in a share that say less ("40% less memory"), not more ("30 percent better").
_LESS = frozenset({"worse", "slower", "less", "lower", "fewer", "smaller", "decrease", "reduction"})
#: A memory size and its scale in GB ("4GB of VRAM", "needs 512 MB of RAM").
_MEMORY = {"gb": 1, "gigabytes": 1, "gigabyte": 1, "mb": 1e-3, "megabytes": 1e-3, "megabyte": 1e-3}
#: A figure a result is given in: a number with a unit ("32.45 dB", "30 ms", "6.8M params", "32.45 PSNR"), one a
#: metric names ("PSNR of 32.45", "SSIM: 0.93", "psnr=32.45", "PSNR > 31"), the year of an event ("in 2019",
#: "CVPR 2020", "(2018)": 1950 to 2039, after a word for when or a venue's capitals), a share of something ("95 % of
#: the noise", "30 percent better"), a ratio ("10 times faster", "3x smaller"), a duration for each photo ("0.5
#: seconds per image", "1.5 s per photo"), photos a second, a memory size ("4GB of VRAM"), a training's length
#: ("trained for 48 hours"), a batch size, a size's multiple ("a multiple of 4"), a range of values in brackets
#: ("[0, 1]"), or a count (:data:`_COUNTED`: "12 residual blocks", "four companies", "three scales"; not "1/4
#: scales").  The year of a citation too: "(Cho et al., 2021)".
#: Every run of spaces and of words is bounded, so that any text is read in linear time.
_FIGURE = re.compile(
    rf"(?<![\w.,])(?P<unit>{_NUMBER})[ \t]{{0,2}}(?:"
    + "|".join(f"(?P<u{i}>{u})" for i, (u, _) in enumerate(_UNITS))
    + r")(?![\w-])"
    rf"|\b(?P<metric_name>psnr|ssim|lpips|fid)\b(?:[ \t]{{0,3}}(?:[:=~≈<>≥≤]|(?:of|is|was|reaches|reached|around|"
    rf"about|at|score|value|a|an|roughly|nearly|over|above|below|under|to|improves|rises|goes)(?![\w-]))){{0,4}}"
    rf"[ \t]{{0,3}}(?P<metric>{_NUMBER})"
    rf"|(?:\b(?:in|since|from|until|published|released|presented|appeared)[ \t]{{1,3}}|\bet[ \t]al\.?,?[ \t]{{1,3}}"
    rf"|(?-i:\b(?P<venue>{'|'.join(_VENUES)})|\b(?:[A-Z]{{3,6}}|arXiv))[ \t]{{1,3}}|\()"
    rf"(?P<year>(?:19[5-9]|20[0-3])\d)\b"
    rf"(?![ \t]{{0,2}}(?:×|x\b|by[ \t]{{1,3}}\d|px|pixels?|-pixel|to[ \t]\d|[.,][ \t]?\d))"
    rf"|(?<![\w.,])(?P<acc>{_NUMBER})[ \t]?(?:%|percent|per[ \t]cent)[ \t]{{1,3}}(?:top-?1[ \t]{{1,3}})?"
    rf"(?:accuracy|accurate|precision|recall)(?![\w-])"
    rf"|\b(?:accuracy|precision|recall)(?:[ \t]{{0,3}}(?:of|is|was|reaches|reached|at|around|about|over|above|"
    rf"nearly|=|:)(?![\w-])){{0,3}}[ \t]{{0,3}}(?P<acc2>{_NUMBER})[ \t]?(?:%|percent|per[ \t]cent)"
    rf"|\b(?:cuts?|cutting|reduces?|reduced|reducing|removes?|removed|lowers?|lowered|improves?|improved|"
    rf"increases?|increased|boosts?|boosted)(?:[ \t]{{1,3}}[A-Za-z][\w-]{{0,30}}){{0,3}}?[ \t]{{1,3}}by[ \t]{{1,3}}"
    rf"(?:(?:roughly|about|around|nearly|almost|approximately|some|over|up[ \t]to|~)[ \t]{{0,3}})?"
    rf"(?P<by>{_NUMBER})[ \t]?(?:%|percent|per[ \t]cent)"
    rf"|(?<![\w.,])(?P<share>{_NUMBER})[ \t]?(?:%|percent|per[ \t]cent)[ \t]{{1,3}}(?:of(?![\w-])"
    rf"(?![ \t]{{1,3}}(?:them|those|these|it|my|your|our|his|her|their)\b)|(?P<more>better|worse|faster|slower|more|"
    rf"less|higher|lower|fewer|smaller|larger|bigger|improvement|gain|increase|decrease|reduction)(?![\w-]))"
    rf"|(?<![\w.,])(?P<ratio>{_NUMBER})[ \t]?(?:×|x|times)[ \t]{{1,3}}(?:faster|slower|quicker|smaller|larger|bigger|"
    rf"lighter|heavier|fewer|more|less)(?![\w-])"
    rf"|(?<![\w.,])(?P<duration>{_NUMBER})[ \t]{{0,2}}(?P<dunit>{'|'.join(sorted(_DURATIONS, key=len, reverse=True))})"
    rf"(?=[ \t]{{0,3}}(?:(?:per|for[ \t]{{1,3}}(?:an?|one|each|every))[ \t]{{1,3}}|/[ \t]?)"
    rf"(?:photo|image|picture|frame)s?(?![\w-]))"
    rf"|(?<![\w.,])(?P<memory>{_NUMBER})[ \t]?(?P<munit>gb|gigabytes?|mb|megabytes?)[ \t]{{1,3}}(?:of[ \t]{{1,3}})?"
    rf"(?:gpu[ \t]memory|vram|ram|memory)(?![\w-])"
    rf"|\btrain(?:ed|ing)?[ \t]{{1,3}}(?:[A-Za-z][\w-]{{0,30}}[ \t]{{1,3}}){{0,3}}?(?:for|took|takes|lasted)"
    rf"[ \t]{{1,3}}(?P<trained>{_NUMBER})[ \t]{{0,2}}"
    rf"(?P<tunit>{'|'.join(sorted(_TRAINING_TIMES, key=len, reverse=True))})(?![\w-])"
    rf"|\bbatch[ \t]size(?:[ \t]{{0,3}}(?:of|is|was|=|:))?[ \t]{{0,3}}(?P<batch>{_NUMBER})(?![\w-]|\.\d)"
    rf"|\bmultiples?[ \t]{{1,3}}of[ \t]{{1,3}}(?P<multiple>\d{{1,4}})(?![\w-]|\.\d)"
    rf"|\[[ \t]?(?P<low>{_NUMBER})[ \t]?,[ \t]?(?P<high>{_NUMBER})[ \t]?\](?!\()"
    rf"|(?<![\w.,])(?P<persecond>{_NUMBER})[ \t]{{1,3}}(?:images|photos|pictures)[ \t]{{0,3}}"
    rf"(?:per[ \t]{{1,3}}second|/[ \t]?s)(?![\w-])"
    rf"|(?<![\w.,×/-])(?P<count>{_NUMBER}|(?:{'|'.join(_NUMBER_WORDS)})(?![\w-]))(?![ \t]{{1,3}}of\b)[ \t]{{1,3}}"
    rf"(?:(?!per\b)[A-Za-z][\w-]{{0,30}}[ \t]{{1,3}}){{0,2}}?(?P<counted>{_COUNTED})(?![\w-])",
    re.I)
#: What follows a number in a file's name: the rest of the name and a photo's or weights' extension, no space
#: between ("IMG (2018)_restored.png", "2019.jpg"); "40 dB.Next" is no file.
_FILE_END = re.compile(rf"[\w()\-]{{0,40}}?{_FILE_EXT}\b", re.I)
#: Words that say the records do not give something, near the figure they speak of: "The records do not report a
#: PSNR of 32.45 dB", "None of the records says whether it runs at 30 fps", "32.45 dB is not stated".  Bounded:
#: read once over the whole text.
_NOT_GIVEN = re.compile(
    r"\b(?:(?:do|does|did)[ \t]+not|don't|doesn't|didn't|cannot|can't|never)[ \t]+(?:\w+[ \t]+){0,2}?"
    r"(?:report|give|state|mention|say|confirm|list|provide)s?\b"
    r"|\b(?:no|none[ \t]+of[ \t]+the)[ \t]+(?:\w+[ \t]+){0,2}?(?:records?|papers?|cards?)[ \t]+(?:\w+[ \t]+)?"
    r"(?:reports?|gives?|states?|mentions?|says?|lists?|provides?|confirms?)\b"
    r"|\bnot[ \t]+(?:\w+[ \t]+)?(?:reported|given|stated|mentioned|listed|provided|confirmed)\b"
    r"|\b(?:records?|papers?|cards?)[ \t]+(?:\w+[ \t]+)?(?:reports?|gives?|states?|mentions?|says?|lists?)[ \t]+no\b",
    re.I)
#: What a share is of, as a flagged figure shows it: the two words after "of" ("95% of the noise").
_OF_WHAT = re.compile(r"(?:[ \t]{1,3}[\w-]{1,30}){1,2}")
#: Where a clause ends: a sentence's end, a colon or semicolon, a comma (each before a space or the end), a line
#: break; "e.g." and "32.45" do not end one.
_CLAUSE_BREAK = re.compile(r"(?<!\be\.g)(?<!\bi\.e)[.!?;:,](?=\s|$)|\n")


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _figure_of(m: re.Match) -> tuple[str, float] | None:
    """A figure's kind ("PSNR", "ms", "params", "year", "% of", "times", "seconds", "multiple of", "range from 0", or
    what a count counts, singular) and value (a count with its scale: 16.1 M parameters are 16.1e6; a duration in
    seconds); None for a count of photos or images below :data:`_MANY_IMAGES`."""
    if m.group("unit"):
        i = next(i for i in range(len(_UNITS)) if m.group(f"u{i}") is not None)
        scale = next((m.group(g) for g in ("fs", "ms", "ps") if m.group(g)), None)
        value = _number(m.group("unit")) * (_SCALE[scale.lower()] if scale else 1)
        return _UNITS[i][1], round(value, 6)
    if m.group("metric"):
        return m.group("metric_name").upper(), _number(m.group("metric"))
    if m.group("year"):
        return (f"{m.group('venue')} year" if m.group("venue") else "year"), _number(m.group("year"))
    if m.group("acc") or m.group("acc2"):
        return "% accuracy", _number(m.group("acc") or m.group("acc2"))
    if m.group("by"):  # "cuts noise by 95%": a share of what it was, as "95% of the noise"
        return "% of", _number(m.group("by"))
    if m.group("share"):
        more = (m.group("more") or "").lower()
        kind = "% of" if not more else ("% less" if more in _LESS else "% more")  # the direction is the claim's
        return kind, _number(m.group("share"))
    if m.group("memory"):
        return "GB of memory", round(_number(m.group("memory")) * _MEMORY[m.group("munit").lower()], 6)
    if m.group("trained"):
        return "training time", _number(m.group("trained")) * _TRAINING_TIMES[m.group("tunit").lower()]
    if m.group("batch"):
        return "batch size", _number(m.group("batch"))
    if m.group("multiple"):  # a size requirement: "padded to a multiple of 4"
        return "multiple of", _number(m.group("multiple"))
    if m.group("high"):  # a range of values: "scaled to [0, 1]"
        return f"range from {_number(m.group('low')):g}", _number(m.group("high"))
    if m.group("persecond"):
        return "fps", _number(m.group("persecond"))
    if m.group("ratio"):
        return "times", _number(m.group("ratio"))
    if m.group("duration"):
        return "seconds", round(_number(m.group("duration")) * _DURATIONS[m.group("dunit").lower()], 6)
    word = m.group("count").lower()
    count = _NUMBER_WORDS[word] if word in _NUMBER_WORDS else _number(word)
    counted = m.group("counted").lower()
    counted = counted[:-3] + "y" if counted.endswith("ies") else counted.rstrip("s")
    if counted in ("image", "photo", "picture") and count < _MANY_IMAGES:
        return None
    if "." in word:  # "48.0 at fine scales" (the demo's noise figure) counts nothing
        return None
    if set(m.group(0).lower().split()[1:-1]) & _NOT_BETWEEN:  # "29.6 at fine scales", "2 of the blocks"
        return None
    return counted, count


def figures_in(text: str) -> frozenset[tuple[str, float]]:
    """The figures ``text`` writes (:data:`_FIGURE`), as (kind, value): what grounds a figure of a checked text (a
    venue's year, "ICCV 2021", grounds the year too)."""
    found = {f for m in _FIGURE.finditer(text) if (f := _figure_of(m)) is not None}
    found |= {("venue " + m.group(0), 0.0) for m in _VENUE_NAME.finditer(text)}  # a venue named, year or not
    return frozenset(found | {("year", value) for kind, value in found if kind.endswith(" year")})


def _unknown_figures(text: str, known: frozenset[tuple[str, float]],
                     read: list[tuple[re.Match, tuple[str, float]]] | None = None) -> list[str]:
    """The figures of ``text`` that no record writes as the same kind of figure of the same value (``known``:
    ``16.1 M parameters`` grounds "16.1M params" and "16,100,000 parameters", not "16.1 billion parameters" nor
    "PSNR of 16.1"), as the text writes them, and the venues (:data:`_VENUES`) it names that no record names
    ("presented at CVPR"); a number in a file's name, and a figure in a clause that says the records do not give
    it, are not read.  The clauses and what they say are found once for the whole text; ``read``: its figures
    (:data:`_FIGURE`'s matches and :func:`_figure_of` them), when they were read already."""
    figures = read if read is not None else [(m, f) for m in _FIGURE.finditer(text) if (f := _figure_of(m)) is not None]
    venues = [(m, None) for m in _VENUE_NAME.finditer(text) if ("venue " + m.group(0), 0.0) not in known
              and not any(f.start() <= m.start() < f.end() for f, _ in figures)]  # "CVPR 2021" is a figure
    if not figures and not venues:
        return []
    breaks = [m.start() for m in _CLAUSE_BREAK.finditer(text)]
    said_not = [m.start() for m in _NOT_GIVEN.finditer(text)]

    def said_not_given(m: re.Match) -> bool:  # in a clause that says the records do not give it
        at = bisect.bisect_left(breaks, m.start())
        start, end = (breaks[at - 1] if at else -1), (breaks[at] if at < len(breaks) else len(text))
        first = bisect.bisect_right(said_not, start)
        return first < len(said_not) and said_not[first] < end

    found = []
    for m, figure in sorted([*figures, *venues], key=lambda mf: mf[0].start()):
        if figure is None:  # a venue no record names
            if not said_not_given(m):
                found.append(m.group(0))
            continue
        if _FILE_END.match(text, m.end()) or figure in known or said_not_given(m):
            continue
        found.append(_shown(text, m))
    return list(dict.fromkeys(found))


def _shown(text: str, m: re.Match) -> str:
    """A figure of ``text`` as a verdict shows it: a share with what it is of ("95% of the noise", not "95% of")."""
    shown = m.group(0)
    if m.group("share") and not m.group("more"):
        shown = text[m.start():(_OF_WHAT.match(text, m.end()) or m).end()]
    return " ".join(shown.lstrip("(").split())


#: Most pieces of a text (clauses, sentences, paragraphs) whose records named are looked up, each around a figure a
#: record writes: past them, a text's figures are grounded by any record's, so that a long text is read in linear
#: time.
_PIECES_READ = 500
#: A record's link in a checked text, as :func:`verify_text` leaves it for :func:`_others_figures`: its position
#: among the corpus's records between two characters of Unicode's private use, which a text's own are read as
#: spaces.
_MARK_OPEN, _MARK_CLOSE = "\ue000", "\ue001"
_MARKS = re.compile("[\ue000\ue001]")
_MARK = re.compile("\ue000(\\d+)\ue001")
#: Where a sentence ends (a line break too) and where a paragraph does (a blank line): the pieces of a text whose
#: records a figure is looked up in when its clause names none.


@functools.cache
def _base_word() -> re.Pattern:
    """A word of naming.yaml's ``base_words`` ("smaller", "base"): a clause that holds one may speak of a model's
    smallest variant without its name."""
    from .naming import base_words_pattern

    return re.compile(rf"(?<![\w-]){base_words_pattern()}(?![\w-])", re.I)


_SENTENCE_BREAK = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\bet al)[.!?](?=\s|$)|\n")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


#: Words between a variant's name and a figure after it that may make the figure another's: a contrast ("MIMO-UNet+,
#: unlike the 6.8 M one"), a negation ("not the one with 6.8 M"); a word of ``base_words`` too ("the smaller has").
_NOT_ITS = frozenset({"not", "unlike", "whereas", "while", "than", "vs", "versus", "compared", "instead", "but",
                      "other", "others"})


def _variant_said(variants: tuple, figure: tuple[str, float], clause: str, before: str) -> str | None:
    """The variant of a record (:attr:`~scientist.corpus.Corpus.variants`) a figure is said of when the record gives
    it of another variant only; None when it is said of its own, of the family, or of none that can be told.  It
    is said of the variant named last before it in its sentence (``before``: the sentence up to it), unless a
    contrast, a negation or a base word stands between ("MIMO-UNet+, unlike the smaller one, ..."); else of the
    variants its clause names.  A family's name ("MIMO-UNet", with no base word before it) may be any variant."""
    if not any(figure in figures for _, _, figures, _ in variants):
        return None
    last = None  # the last variant named before it: (end, name, figures, family)
    for name, pattern, figures, base in variants:
        bases = {b.end() for b in base.finditer(before)} if base is not None else set()
        for mm in pattern.finditer(before):
            if last is None or mm.end() > last[0]:  # "MIMO-UNet" is the family's unless a base word is before it
                last = (mm.end(), name, figures, base is not None and mm.end() not in bases)
    if last is not None:
        end, name, figures, family = last
        between = set(re.findall(r"[a-z]+", before[end:].lower()))
        if family or between & _NOT_ITS or _base_word().search(before[end:]) or figure in figures:
            return None
        return name
    said = [(name, figures, base) for name, pattern, figures, base in variants if pattern.search(clause)]
    if not said or any(base is not None and not base.search(clause) for _, _, base in said) or (
            _base_word().search(clause) and not any(base is not None for _, _, base in said)):
        return None
    return None if any(figure in figures for _, figures, _ in said) else " and ".join(name for name, _, _ in said)


def _others_figures(corpus: Corpus, text: str, read: list[tuple[re.Match, tuple[str, float]]],
                    headings: Sequence[tuple[int, str]] = ()) -> list[str]:
    """The figures of ``text`` that a record writes, each said of records none of which writes it, as ``"87% of
    the noise, said of Deblur-MIMO-UNet-RealBlur"``: a figure taken from another record ("MIMO-UNet removes 87% of
    the noise", the histopathology paper's 87 %).  What a figure is said of: the records its clause names (by a
    name, title words or a link: :attr:`~scientist.corpus.Corpus.naming`); its sentence's, when its clause names
    none; its paragraph's, when its sentence names none; its section's, when its paragraph names none (the title
    line above it, of ``headings``: where each stood in ``text``, blanked, and its words: "## The annotation paper"
    names it for the lines below).  A figure none of these names a record for, or in a clause that says the records
    do not give it, is not read; nor are the pieces past :data:`_PIECES_READ`.  A figure a record writes for one of
    its variants, said of another (:func:`_variant_said`), is flagged as said of that one ("MIMO-UNet+ has 6.8 M
    parameters", MIMO-UNet's).  ``read``: the figures of ``text``, as :func:`_unknown_figures` takes them."""
    known, of = corpus.figures, corpus.figures_by_record
    figures = [(m, f) for m, f in read if f in known and not _FILE_END.match(text, m.end())]
    if not figures:
        return []
    ids = [r.id for r in corpus.records]
    levels = [[m.end() for m in pattern.finditer(text)] for pattern in (_CLAUSE_BREAK, _SENTENCE_BREAK,
                                                                         _PARAGRAPH_BREAK)]
    pieces: dict[tuple[int, int], tuple[str, list[str]]] = {}

    def records_named(words: str) -> list[str]:  # by a name, title words or a record's link (its mark)
        return list(dict.fromkeys([*names_in(corpus, words)[1], *(ids[j] for j in corpus.naming.find(words)),
                                   *(ids[int(j)] for j in _MARK.findall(words) if int(j) < len(ids))]))

    def span(level: int, at: int) -> tuple[int, int, int]:  # which piece holds ``at``, where it begins and ends
        breaks = levels[level]
        i = bisect.bisect_right(breaks, at)
        return i, (breaks[i - 1] if i else 0), (breaks[i] if i < len(breaks) else len(text))

    def piece(level: int, at: int) -> tuple[str, list[str]]:  # the piece of text around ``at`` and what it names
        i, start, end = span(level, at)
        if (level, i) not in pieces:
            pieces[level, i] = text[start:end], records_named(text[start:end])
        return pieces[level, i]

    heads = [at for at, _ in headings]
    titled: dict[int, list[str]] = {}

    def section(at: int) -> list[str]:  # what the title line above ``at`` names
        i = bisect.bisect_right(heads, at) - 1
        if i < 0:
            return []
        if i not in titled:
            titled[i] = records_named(headings[i][1])
        return titled[i]

    found = []
    for m, figure in figures:
        if len(pieces) >= _PIECES_READ:
            break
        clause, named = piece(0, m.start())
        if _NOT_GIVEN.search(clause):
            continue
        named = named or piece(1, m.start())[1] or piece(2, m.start())[1] or section(m.start())
        if named and not any(figure in of[rid] for rid in named):
            titles = " and ".join(corpus.get(rid).title for rid in named)
            found.append(f"{_shown(text, m)}, said of {titles}")
            continue
        before = text[span(1, m.start())[1]:m.start()]  # its sentence up to it
        for rid in named:  # "MIMO-UNet+ has 6.8 M parameters": another variant's
            said = _variant_said(corpus.variants.get(rid, ()), figure, clause, before)
            if said is not None:
                found.append(f"{_shown(text, m)}, said of {said}")
    return list(dict.fromkeys(found))
