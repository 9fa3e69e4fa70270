"""``clusterkg import-csv``: a regional-statistics CSV, described by CSVW metadata, as Data Cube observations.

    result = import_csv(Path("startups.csv"), Path("startups.csv-metadata.json"), regions)
    result.triples                        # the new graph: the data set, its indicators, its observations
    write(result, Path("startups.ttl"))   # Turtle, N-Triples, ... by the suffix (the format registry)

The mapping is a W3C CSVW table description (read and checked by the ``csvw`` package; its
warnings are errors here). clusterkg reads it in this profile (docs/IMPORT.md):
  - ``@id``: the qb:DataSet; ``dc:title``, ``dc:source``, ``dc:license``: its title, source, licence;
  - ``dialect``: delimiter, encoding (default UTF-8), header;
  - a column with ``propertyUrl`` sdmx-dimension:refArea: the region. Its ``valueUrl`` says what
    the cell holds: ``…/id/code/kostat-{col}`` a KOSTAT code, ``…/id/code/beopjeongdong-{col}`` a
    법정동 code, none a Korean or English name (``region_lookup``);
  - a column with ``propertyUrl`` sdmx-dimension:refPeriod: the year (xsd:gYear);
  - each column with ``propertyUrl`` sdmx-measure:obsValue: one observation per row, its value of
    the column's numeric ``datatype``, its unit the column's ``sdmx-attribute:unitMeasure`` (an
    ``{"@id": …}``, required), its indicator the column's ``ck:regionalIndicator`` (else one minted
    from the data set and the column's name, labelled with its ``titles``);
  - ``tableSchema.aboutUrl``: the observation IRIs (else <data set>/<column>/<row key>).
A standard CSVW-to-RDF converter reads the same file; clusterkg adds what it cannot: the region
behind a code or a name, checked against the code's vintage, and the refusal of a bad row.
Every row is checked before anything is written: any refused row refuses the whole table.
"""
from __future__ import annotations

import csv
import io
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import formats
from .errors import InputError
from .namespaces import PREFIXES
from .region_lookup import RegionLookup, Unestablished, Unresolved

REF_AREA = PREFIXES["sdmx-dimension"] + "refArea"
REF_PERIOD = PREFIXES["sdmx-dimension"] + "refPeriod"
OBS_VALUE = PREFIXES["sdmx-measure"] + "obsValue"
UNIT = PREFIXES["sdmx-attribute"] + "unitMeasure"
INDICATOR = PREFIXES["ck"] + "regionalIndicator"
AREA_KINDS = {PREFIXES["code"] + "kostat-": "kostat", PREFIXES["code"] + "beopjeongdong-": "beopjeongdong"}
NUMERIC = {"integer": "integer", "int": "integer", "long": "integer", "short": "integer",
           "nonNegativeInteger": "integer", "positiveInteger": "integer",
           "decimal": "decimal", "double": "double", "number": "double", "float": "double"}
SHOWN = 20  # refused rows listed in the error; the count says how many more
OVERRIDE = "--allow-unestablished"  # the CLI option that imports such a cell anyway, with a note


@dataclass
class Refusal:
    line: int      # the CSV file's line (the header is line 1)
    column: str
    value: str
    why: str

    def __str__(self):
        return f"line {self.line}, column {self.column!r}, value {self.value!r}: {self.why}"


class Refused(InputError):
    def __init__(self, csv_path: Path, refusals: list[Refusal]):
        lines = [f"{csv_path}: {len(refusals)} cell(s) refused, nothing written:"]
        lines += [f"  {r}" for r in refusals[:SHOWN]]
        if len(refusals) > SHOWN:
            lines.append(f"  … and {len(refusals) - SHOWN} more")
        super().__init__("\n".join(lines))
        self.refusals = refusals


@dataclass
class Imported:
    triples: list = field(default_factory=list)
    observations: int = 0
    rows: int = 0
    gaps: int = 0  # empty measure cells: no observation
    unestablished: list = field(default_factory=list)  # Refusal-shaped notes of cells imported by the override


@dataclass
class _Measure:
    name: str
    title: str
    titles: dict
    kind: str
    unit: str
    indicator: str
    minted: bool  # the indicator is this table's own (described here), not one the mapping names


def read_mapping(mapping: Path):
    """The CSVW table description; InputError naming the file for any problem csvw reports."""
    import csvw

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            table = csvw.Table.from_file(mapping)
    except FileNotFoundError:
        raise InputError(f"{mapping}: no such mapping file") from None
    except (ValueError, TypeError, KeyError) as exc:  # JSONDecodeError is a ValueError
        raise InputError(f"{mapping}: not valid CSVW metadata: {' '.join(str(exc).split())}") from None
    # csvw's own complaints; not the ResourceWarnings of whatever the garbage collector happens to
    # close meanwhile (an unclosed socket elsewhere in the process is no fault of the mapping)
    problems = sorted({str(w.message) for w in caught if not issubclass(w.category, ResourceWarning)})
    if problems:
        raise InputError(f"{mapping}: not valid CSVW metadata: {'; '.join(problems)}")
    return table


def _titles(col) -> dict:
    return {lang: list(values) for lang, values in (col.titles or {}).items()} if col.titles else {}


def _iri_prop(props: dict, key: str, mapping: Path, column: str, required: bool) -> str | None:
    value = props.get(key)
    if isinstance(value, dict) and isinstance(value.get("@id"), str):
        return value["@id"]
    if value is None and not required:
        return None
    raise InputError(f"{mapping}: column {column!r} needs {key!r}: {{\"@id\": \"<IRI>\"}}"
                     + (" (the unit of its numbers, e.g. " + PREFIXES["unit"] + "persons)" if key == UNIT else ""))


def _decode(data: bytes, encoding: str, path: Path) -> str:
    try:
        return data.decode("utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding)
    except LookupError:
        raise InputError(f"{path}: unknown encoding {encoding!r} in the mapping's dialect") from None
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        try:
            data.decode("cp949")
            hint = (f"; it decodes as CP949 (EUC-KR, common in Korean spreadsheets): convert it with "
                    f"`iconv -f CP949 -t UTF-8 {path} > {path.stem}.utf8{path.suffix}`, or set \"encoding\": \"cp949\" "
                    "in the mapping's dialect")
        except UnicodeDecodeError:
            hint = ""
        raise InputError(f"{path}: line {line}: not {encoding} (byte 0x{data[exc.start]:02x}){hint}") from None


def import_csv(csv_path: Path, mapping: Path, regions: RegionLookup, allow_unestablished: bool = False) -> Imported:
    """``allow_unestablished``: a region code whose validity in the row's year the source does not
    establish (region_lookup.Unestablished) is imported, and noted in the result and on the data
    set, instead of refused."""
    table = read_mapping(mapping)
    dialect = table._get_dialect()
    try:
        data = csv_path.read_bytes()
    except OSError as exc:
        raise InputError(f"{csv_path}: cannot read: {exc.strerror or exc}") from None
    text = _decode(data, dialect.encoding or "utf-8", csv_path)
    reader = csv.reader(io.StringIO(text), delimiter=dialect.delimiter, quotechar=dialect.quoteChar or '"',
                        doublequote=dialect.doubleQuote, skipinitialspace=dialect.skipInitialSpace)
    for _ in range(dialect.skipRows or 0):
        next(reader, None)
    header = next(reader, None) if dialect.header else None
    if dialect.header and not header:
        raise InputError(f"{csv_path}: empty file, no header row")

    columns = [c for c in table.tableSchema.columns if not c.virtual]
    index: dict[str, int] = {}
    for pos, col in enumerate(columns):
        if header is None:
            index[col.name] = pos
            continue
        names = [col.name, *(t for ts in _titles(col).values() for t in ts)]
        found = [i for i, h in enumerate(header) if h.strip() in names]
        if not found:
            other = next((d for d in (";", "\t", "|", ",") if d != dialect.delimiter and any(d in h for h in header)), None)
            hint = (f"; the header holds {other!r}: is the delimiter {other!r}? (the mapping's dialect says "
                    f"{dialect.delimiter!r})" if other and len(header) == 1 else "")
            raise InputError(f"{mapping}: names column {col.name!r} (titles {', '.join(names[1:]) or '-'}), which the "
                             f"header of {csv_path} (line {1 + (dialect.skipRows or 0)}) lacks: it has "
                             f"{', '.join(repr(h) for h in header)}{hint}")
        index[col.name] = found[0]

    roles = {str(c.propertyUrl) if c.propertyUrl else "": [] for c in columns}
    for c in columns:
        roles[str(c.propertyUrl) if c.propertyUrl else ""].append(c)
    for prop, what in ((REF_AREA, "region"), (REF_PERIOD, "period")):
        if len(roles.get(prop, [])) != 1:
            raise InputError(f"{mapping}: needs exactly one column with \"propertyUrl\": \"{prop}\" (the {what}); "
                             f"found {len(roles.get(prop, []))}")
    area, period = roles[REF_AREA][0], roles[REF_PERIOD][0]
    area_kind = "name"
    if area.valueUrl:
        template = str(area.valueUrl)
        area_kind = next((k for prefix, k in AREA_KINDS.items() if template.startswith(prefix)), None)
        if area_kind is None:
            raise InputError(f"{mapping}: column {area.name!r}: valueUrl {template!r} is neither "
                             + " nor ".join(f"{p}{{{area.name}}}" for p in AREA_KINDS) + " (or none, for names)")

    dataset = table.at_props.get("id") if hasattr(table, "at_props") else None
    if not dataset or not re.match(r"^[a-z][a-z0-9+.-]*:", str(dataset)):
        raise InputError(f"{mapping}: needs an absolute \"@id\": the IRI of the data set (qb:DataSet)")
    dataset = str(dataset)
    measures = []
    for col in roles.get(OBS_VALUE, []):
        base = col.datatype.base if col.datatype else None
        if base not in NUMERIC:
            raise InputError(f"{mapping}: column {col.name!r}: \"datatype\" must be numeric ({', '.join(NUMERIC)}), not {base!r}")
        titles = _titles(col)
        named = _iri_prop(col.common_props, INDICATOR, mapping, col.name, False)
        measures.append(_Measure(col.name, next((t[0] for t in titles.values() if t), col.name), titles, base,
                                 _iri_prop(col.common_props, UNIT, mapping, col.name, True),
                                 named or f"{dataset.rstrip('/')}/indicator/{col.name}", named is None))
    if not measures:
        raise InputError(f"{mapping}: no column with \"propertyUrl\": \"{OBS_VALUE}\" (the numbers)")

    out = Imported()
    refusals: list[Refusal] = []
    seen: dict[str, int] = {}
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        out.rows += 1
        line = reader.line_num
        cells = {name: (row[i] if i < len(row) else "") for name, i in index.items()}
        before = len(refusals)
        year_text, region = cells[period.name].strip(), None
        if not re.fullmatch(r"\d{4}", year_text):
            refusals.append(Refusal(line, period.name, year_text, "not a year (YYYY)"))
        else:
            try:
                region = regions.resolve(area_kind, cells[area.name], int(year_text))
            except Unestablished as exc:
                if allow_unestablished:
                    region = exc.region
                    out.unestablished.append(Refusal(line, area.name, cells[area.name], str(exc)))
                else:
                    refusals.append(Refusal(line, area.name, cells[area.name], f"{exc} ({OVERRIDE} imports it with a note)"))
            except Unresolved as exc:
                refusals.append(Refusal(line, area.name, cells[area.name], str(exc)))
        row_values = {c.name: cells[c.name] for c in columns}
        for m in measures:
            raw = cells[m.name].strip()
            col = next(c for c in columns if c.name == m.name)
            if raw in (col.null or [""]):
                out.gaps += 1
                continue
            try:
                value = col.read(raw)
            except ValueError as exc:
                refusals.append(Refusal(line, m.name, raw, f"not a number of type {m.kind} ({exc})"))
                continue
            if len(refusals) > before:
                continue  # the row is refused already: its other cells are checked, not kept
            obs = (table.expand(table.tableSchema.aboutUrl, {**row_values, "_column": m.name}, line - 1)
                   if table.tableSchema.aboutUrl and len(measures) == 1 else
                   f"{dataset.rstrip('/')}/{m.name}/{region.rsplit('/', 1)[1]}-{year_text}")
            if obs in seen:
                refusals.append(Refusal(line, area.name, cells[area.name],
                                        f"the same region and year as line {seen[obs]}: two numbers for one observation"))
                continue
            seen[obs] = line
            out.triples += _observation(obs, dataset, region, year_text, value, m)
            out.observations += 1
    if refusals:
        raise Refused(csv_path, refusals)
    if not out.observations:
        raise InputError(f"{csv_path}: no rows with a value: nothing to import")
    out.triples = _describe(table, dataset, measures, csv_path, out.unestablished) + out.triples
    return out


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _t(s, p, o) -> ox.Triple:
    return ox.Triple(_n(s), _n(p), o)


def _observation(obs, dataset, region, year, value, m: _Measure) -> list:
    xsd = PREFIXES["xsd"]
    literal = ox.Literal(str(value) if m.kind != "double" else repr(float(value)), datatype=_n(xsd + m.kind))
    return [_t(obs, PREFIXES["rdf"] + "type", _n(PREFIXES["qb"] + "Observation")),
            _t(obs, PREFIXES["qb"] + "dataSet", _n(dataset)),
            _t(obs, REF_AREA, _n(region)),
            _t(obs, REF_PERIOD, ox.Literal(year, datatype=_n(xsd + "gYear"))),
            _t(obs, INDICATOR, _n(m.indicator)),
            _t(obs, OBS_VALUE, literal),
            _t(obs, UNIT, _n(m.unit))]


def _describe(table, dataset: str, measures: list[_Measure], csv_path: Path, unestablished: list) -> list:
    dct, rdfs, skos = PREFIXES["dcterms"], PREFIXES["rdfs"], PREFIXES["skos"]
    props = table.common_props
    triples = [_t(dataset, PREFIXES["rdf"] + "type", _n(PREFIXES["qb"] + "DataSet"))]
    for key in ("title", "description", "source", "license", "publisher", "creator"):
        value = props.get("dc:" + key, props.get("dcterms:" + key))
        if isinstance(value, dict) and "@id" in value:
            triples.append(_t(dataset, dct + key, _n(value["@id"])))
        elif isinstance(value, str) and key in ("source", "license") and re.match(r"^https?://", value):
            triples.append(_t(dataset, dct + key, _n(value)))
        elif isinstance(value, str):
            triples.append(_t(dataset, dct + key, ox.Literal(value)))
    triples.append(_t(dataset, rdfs + "comment", ox.Literal(
        f"Imported with clusterkg import-csv from {csv_path.name}; CSVW mapping of the columns in docs/IMPORT.md.", language="en")))
    if unestablished:   # the override's note travels with the data
        cells = sorted({(n.value.strip(), n.line) for n in unestablished}, key=lambda c: c[1])
        triples.append(_t(dataset, rdfs + "comment", ox.Literal(
            f"Imported with {OVERRIDE}: {len(unestablished)} row(s) are keyed by a region code whose validity in the "
            f"row's year the regional graph's source does not establish (lines "
            + ", ".join(f"{line} ({value})" for value, line in cells) + ").", language="en")))
    for m in (m for m in measures if m.minted):
        triples.append(_t(m.indicator, PREFIXES["rdf"] + "type", _n(PREFIXES["ck"] + "Indicator")))
        triples.append(_t(m.indicator, skos + "notation", ox.Literal(m.name)))
        for lang, values in m.titles.items():
            for title in values:
                triples.append(_t(m.indicator, rdfs + "label",
                                  ox.Literal(title, language=lang) if lang and lang != "und" else ox.Literal(title)))
    return triples


def graph_iri(output: Path) -> str:
    """The graph the output file is served in (``serve --data``): the same rule as extra.graph_name."""
    from .extra import graph_name
    return graph_name(output)


def write(result: Imported, output: Path) -> formats.Format:
    """Write the triples to ``output`` in the graph format its suffix names (quads formats: in the
    named graph ``serve --data`` would give it)."""
    from .backends.store import serialize
    from .extra import graph_format

    fmt = graph_format(output)
    items = result.triples
    if fmt.quads:
        graph = _n(graph_iri(output))
        items = [ox.Quad(t.subject, t.predicate, t.object, graph) for t in items]
    output.write_bytes(serialize(items, fmt))
    return fmt
