"""Checks every query before the engine sees it: read-only, no outside hosts, bounded nesting.

pyoxigraph evaluates ``SERVICE <url>`` by fetching the URL, parses updates only through
``Store.update`` (which clusterkg never calls) and overflows its stack on queries nested a few
thousand levels deep.  So before a query is parsed, a small SPARQL lexer walks it once:

* strings (all four quote forms), language tags, IRIs and comments are skipped as whole tokens,
  so a keyword inside ``"… SERVICE …"``, ``"x"@add``, ``<http://x/SERVICE>`` or ``# SERVICE`` is
  not one;
* keywords are matched case-insensitively as bare words; any bare word *containing* ``SERVICE``
  counts (``SERVICEsilent`` …), so the lexer errs towards refusing;
* prefixed names stop at a dot, variables at any non-name character, comments at any line
  break: wherever the lexer's tokens and the engine's could differ, the lexer's are the
  shorter ones, so it sees at least every keyword the engine sees;
* brackets ``{ ( [`` are counted and a query deeper than ``max_nesting_depth`` is refused
  before any parser recurses into it.

The result, ``Checked``, also tells the query form (to negotiate the response format before the
query runs), the FROM / FROM NAMED graphs (to check them against the graphs loaded) and where each
allowed SERVICE IRI sits in the text (``services``), so that the executor can send it through the
federation proxy instead (``federation``).
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from .errors import ClusterkgError
from .namespaces import BASE as BASE_IRI

RESULTS_FORMS = frozenset({"SELECT", "ASK"})
GRAPH_FORMS = frozenset({"CONSTRUCT", "DESCRIBE"})
UPDATE_KEYWORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"})

_TOKEN = re.compile(
    r"""
    (?P<ws>[\ \t\r\n]+)
  | (?P<comment>\#[^\n\r\x0b\x0c\x85\u2028\u2029]*)
  | (?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)
  | (?P<string>'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''
              |\"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\"
              |'(?:[^'\\\n\r]|\\.)*'
              |"(?:[^"\\\n\r]|\\.)*")
  | (?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f\u2040]+)
  | (?P<pname>(?:[^\W\d_][\w\-\u00b7]*)?:
              (?:(?:[\w:]|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?\#@%])
                 (?:[\w\-:\u00b7]|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?\#@%])*)?)
  | (?P<word>[^\W\d_]\w*)
  | (?P<open>[{(\[])
  | (?P<close>[})\]])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_PN_ESCAPE = re.compile(r"\\([_~.\-!$&'()*+,;=/?#@%])")


@dataclass(frozen=True)
class Checked:
    """What the guard learnt about a query it let through."""

    text: str
    form: str | None            # SELECT, ASK, CONSTRUCT, DESCRIBE; None if none was found
    from_graphs: tuple[str, ...]
    from_named: tuple[str, ...]
    #: each allowlisted SERVICE target: (start, end, endpoint IRI); text[start:end] is its token
    services: tuple[tuple[int, int, str], ...] = ()

    @property
    def kind(self) -> str:
        """'graph' for CONSTRUCT/DESCRIBE, else 'results' (a query with no form fails in the parser)."""
        return "graph" if self.form in GRAPH_FORMS else "results"

    @property
    def has_dataset(self) -> bool:
        return bool(self.from_graphs or self.from_named)


def refused(code: str, message: str) -> ClusterkgError:
    return ClusterkgError(code, message)


def _unescape_iri(text: str) -> str:
    return _UCHAR.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


class Guard:
    """The checks of one configuration; remembers the verdicts on recent query texts."""

    def __init__(self, *, max_nesting_depth: int = 200, max_query_length: int = 100_000,
                 service_allowlist=(), graphs=(), cache_size: int = 512):
        self.max_nesting_depth = max_nesting_depth
        self.max_query_length = max_query_length
        self.service_allowlist = frozenset(h.strip().lower() for h in service_allowlist if h.strip())
        self.graphs = frozenset(graphs)
        self._cache: OrderedDict[str, Checked] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings, graphs=()) -> "Guard":
        return cls(max_nesting_depth=settings.max_nesting_depth, max_query_length=settings.max_query_length,
                   service_allowlist=settings.service_allowlist, graphs=graphs)

    # --- public checks ----------------------------------------------------------------------
    def check_length(self, text: str) -> None:
        if len(text) > self.max_query_length or (len(text) * 4 > self.max_query_length
                                                  and len(text.encode("utf-8", "surrogatepass")) > self.max_query_length):
            raise refused("query-too-long",
                          f"The query is longer than this endpoint accepts ({self.max_query_length} bytes, "
                          "setting max_query_length).")

    def check_query(self, text: str) -> Checked:
        """Refuse updates, SERVICE outside the allowlist, unknown FROM graphs and deep nesting."""
        with self._lock:
            hit = self._cache.get(text)
            if hit is not None:
                self._cache.move_to_end(text)
                return hit
        self.check_length(text)
        checked = self._check(text)
        if len(text) > 16384:  # long texts are checked each time rather than held
            return checked
        with self._lock:
            self._cache[text] = checked
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return checked

    def check_graphs(self, uris) -> None:
        """Protocol dataset parameters (and FROM clauses) may only name graphs this endpoint holds."""
        for uri in uris:
            if uri not in self.graphs:
                raise refused("unknown-graph",
                              f"Unknown graph <{uri}>: this endpoint holds only "
                              + ", ".join(f"<{g}>" for g in sorted(self.graphs))
                              + ". It never fetches graphs from elsewhere.")

    # --- the lexer pass -----------------------------------------------------------------------
    def _check(self, text: str) -> Checked:
        depth = 0
        max_depth = self.max_nesting_depth
        tokens = []
        for m in _TOKEN.finditer(text):
            kind = m.lastgroup
            if kind == "ws" or kind == "comment":
                continue
            value = m.group()
            if kind == "open":
                depth += 1
                if depth > max_depth:
                    raise refused("query-too-deep",
                                  f"The query nests brackets more than {max_depth} levels deep "
                                  "(setting max_nesting_depth).")
            elif kind == "close":
                depth -= 1
            elif kind == "other" and value in "\"'":
                raise refused("malformed-query",
                              f"Malformed query: unterminated string starting at character {m.start() + 1}.")
            tokens.append((kind, value, m.start()))

        prefixes: dict[str, str] = {}
        base: str | None = BASE_IRI  # what the engine resolves relative IRIs against
        form: str | None = None
        from_graphs: list[str] = []
        from_named: list[str] = []
        services: list[tuple[int, int, str]] = []
        n = len(tokens)
        i = 0
        while i < n:
            kind, value, _ = tokens[i]
            if kind == "word":
                upper = value.upper()
                if upper in UPDATE_KEYWORDS:
                    raise refused("read-only",
                                  f"This endpoint is read-only: SPARQL Update ({upper}) is refused.")
                if "SERVICE" in upper:
                    services.append(self._check_service(tokens, i, upper, prefixes, base))
                elif form is None and upper in RESULTS_FORMS | GRAPH_FORMS:
                    form = upper
                elif upper == "PREFIX" and i + 2 < n and tokens[i + 1][0] == "pname" and tokens[i + 2][0] == "iri":
                    iri = _unescape_iri(tokens[i + 2][1][1:-1])
                    prefixes[tokens[i + 1][1][:-1]] = urljoin(base, iri) if base else iri
                    i += 2
                elif upper == "BASE" and i + 1 < n and tokens[i + 1][0] == "iri":
                    iri = _unescape_iri(tokens[i + 1][1][1:-1])
                    base = urljoin(base, iri) if base else iri
                    i += 1
                elif upper == "FROM":
                    named = i + 1 < n and tokens[i + 1][0] == "word" and tokens[i + 1][1].upper() == "NAMED"
                    j = i + 2 if named else i + 1
                    iri = self._resolve(tokens[j] if j < n else None, prefixes, base)
                    if iri is None:
                        raise refused("malformed-query", "Malformed query: FROM must be followed by a graph IRI.")
                    (from_named if named else from_graphs).append(iri)
                    i = j
            i += 1
        self.check_graphs(from_graphs + from_named)
        return Checked(text, form, tuple(from_graphs), tuple(from_named), tuple(services))

    def _check_service(self, tokens, i, upper, prefixes, base) -> tuple[int, int, str]:
        """(start, end, IRI) of the target of the SERVICE at ``tokens[i]``, if its host is allowed."""
        if upper != "SERVICE":
            raise refused("service-refused", "This endpoint does not run federated queries (SERVICE).")
        j = i + 1
        if j < len(tokens) and tokens[j][0] == "word" and tokens[j][1].upper() == "SILENT":
            j += 1
        target = tokens[j] if j < len(tokens) else None
        if not self.service_allowlist:
            raise refused("service-refused",
                          "This endpoint does not run federated queries: SERVICE is refused "
                          "(setting service_allowlist is empty). It never contacts a host a query names.")
        if target is not None and target[0] == "var":
            raise refused("service-refused",
                          f"SERVICE with a variable ({target[1]}) is refused: only the hosts in "
                          "service_allowlist may be queried, so the IRI must be written out.")
        iri = self._resolve(target, prefixes, base)
        if not iri or not host_allowed(iri, self.service_allowlist):
            raise refused("service-refused",
                          f"SERVICE <{iri or '?'}> is refused: its host is not in service_allowlist "
                          f"({', '.join(sorted(self.service_allowlist))}).")
        return target[2], target[2] + len(target[1]), iri

    @staticmethod
    def _resolve(token, prefixes, base) -> str | None:
        if token is None:
            return None
        kind, value = token[0], token[1]
        if kind == "iri":
            iri = _unescape_iri(value[1:-1])
            return urljoin(base, iri) if base else iri
        if kind == "pname":
            prefix, _, local = value.partition(":")
            if prefix not in prefixes:
                return None
            return prefixes[prefix] + _PN_ESCAPE.sub(r"\1", local)
        return None


def host_allowed(iri: str, allowlist) -> bool:
    """True if ``iri`` is an http(s) URL whose host (or host:port) is in ``allowlist`` (lower case)."""
    host = _host_of(iri)
    return host is not None and (host[0] in allowlist or f"{host[0]}:{host[1]}" in allowlist)


def _host_of(iri: str):
    try:
        parts = urlsplit(iri)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return None
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        return parts.hostname.lower(), port
    except ValueError:
        return None
