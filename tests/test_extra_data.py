"""`--data FILE` / setting extra_files: extra RDF files, each in a named graph of its own."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from click.testing import CliRunner

from clusterkg import dataset, formats
from clusterkg.backends.store import ox_format
from clusterkg.cli import main
from clusterkg.errors import ClusterkgError, InputError
from clusterkg.settings import Settings

from conftest import free_port
from processes import stop, wait_until_answers

EXTRA = "https://w3id.org/clusterkg/graph/extra/"
EX = "https://example.org/"
TRIPLES = [ox.Triple(ox.NamedNode(EX + f"s{i}"), ox.NamedNode(EX + "p"), ox.Literal(f"value {i}")) for i in range(3)]
VOID_TRIPLES = "http://rdfs.org/ns/void#triples"


def write(path: Path, items=TRIPLES) -> Path:
    fmt = next(f for f in formats.BY_KIND[formats.GRAPH] if f.suffix == path.suffix[1:])
    path.write_bytes(ox.serialize(items, format=ox_format(fmt)))
    return path


def quads_of(prepared) -> dict:
    graphs: dict = {}
    for q in ox.parse(path=str(prepared.nquads_path), format=ox.RdfFormat.N_QUADS):
        if not isinstance(q.graph_name, ox.DefaultGraph):
            graphs.setdefault(q.graph_name.value, set()).add(ox.Triple(q.subject, q.predicate, q.object))
    return graphs


@pytest.fixture
def settings(endpoint_settings, tmp_path):
    def make(*files) -> Settings:
        return Settings.load(**{**endpoint_settings, "cache_dir": str(tmp_path / "cache")},
                             extra_files=tuple(str(f) for f in files))
    return make


@pytest.mark.parametrize("suffix", ["ttl", "nt", "jsonld", "rdf"])
def test_each_triples_format_goes_to_its_own_graph(settings, tmp_path, suffix):
    path = write(tmp_path / f"My Data.{suffix}")
    prepared = dataset.prepare(settings(path))
    graph = EXTRA + "my-data"
    assert prepared.graphs[-1] == graph and graph in prepared.notes
    held = quads_of(prepared)[graph]
    assert set(TRIPLES) <= held
    count = next(t.object.value for t in held if t.predicate.value == VOID_TRIPLES)
    assert int(count) == len(TRIPLES)
    assert f"My Data.{suffix}" in prepared.notes[graph]


@pytest.mark.parametrize("suffix", ["nq", "trig"])
def test_quads_files_keep_their_graph_names(settings, tmp_path, suffix):
    named = [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(EX + "g")) for t in TRIPLES[:2]]
    default = [ox.Quad(TRIPLES[2].subject, TRIPLES[2].predicate, TRIPLES[2].object, ox.DefaultGraph())]
    path = write(tmp_path / f"q.{suffix}", named + default)
    prepared = dataset.prepare(settings(path))
    held = quads_of(prepared)
    assert set(TRIPLES[:2]) <= held[EX + "g"] and TRIPLES[2] in held[EXTRA + "q"]
    assert {EX + "g", EXTRA + "q"} <= set(prepared.graphs)


def test_extra_files_change_the_version_and_reuse_the_shipped_part(settings, tmp_path):
    base = dataset.prepare(settings())
    path = write(tmp_path / "a.ttl")
    with_extra = dataset.prepare(settings(path))
    assert with_extra.version != base.version and not with_extra.inferred_from_cache
    assert with_extra.nquads_path.read_bytes().startswith(base.nquads_path.read_bytes())  # the shipped part, as cached
    again = dataset.prepare(settings(path))
    assert again.inferred_from_cache and again.graphs == with_extra.graphs and again.notes == with_extra.notes
    path.write_text(path.read_text() + f'<{EX}s9> <{EX}p> "changed" .\n')
    assert dataset.prepare(settings(path)).version != with_extra.version


def test_a_file_that_does_not_parse_names_file_and_line_and_loads_nothing(settings, tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text(f'<{EX}a> <{EX}p> "ok" .\n<{EX}b> <{EX}p> \n', encoding="utf-8")
    good = write(tmp_path / "good.ttl")
    s = settings(good, bad)
    with pytest.raises(InputError) as caught:
        dataset.prepare(s)
    assert str(bad) in caught.value.message and "line 3" in caught.value.message
    assert not (Path(s.cache_dir) / f"dataset-{dataset.inputs_hash(s)}.nq").exists()


@pytest.mark.parametrize("name, content, expected", [
    ("x.csv", "a,b\n", "unknown RDF file suffix"),
    ("clash.nq", "<https://example.org/a> <https://example.org/p> \"x\" <https://w3id.org/clusterkg/graph/data> .\n",
     "shipped graph"),
])
def test_unknown_suffix_and_a_shipped_graph_name_are_refused(settings, tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=expected):
        dataset.prepare(settings(path))


def test_two_files_for_one_graph_are_refused(settings, tmp_path):
    (tmp_path / "one").mkdir()
    a, b = write(tmp_path / "same.ttl"), write(tmp_path / "one" / "same.nt")
    with pytest.raises(InputError, match="also filled by"):
        dataset.prepare(settings(a, b))


def test_from_over_an_extra_graph_and_the_service_description(make_service, make_app, tmp_path):
    path = write(tmp_path / "mine.ttl")
    service = make_service(extra_files=(str(path),), cache_dir=str(tmp_path / "cache"))
    answer = json.loads(service.answer(f"SELECT (COUNT(*) AS ?n) FROM <{EXTRA}mine> WHERE {{ ?s <{EX}p> ?o }}",
                                       format="json").body)
    assert answer["results"]["bindings"][0]["n"]["value"] == str(len(TRIPLES))
    with pytest.raises(ClusterkgError) as caught:  # the guard still refuses graphs nobody loaded
        service.answer(f"SELECT * FROM <{EXTRA}other> WHERE {{ ?s ?p ?o }}")
    assert caught.value.code == "unknown-graph"
    client = make_app(extra_files=(str(path),), cache_dir=str(tmp_path / "cache")).test_client()
    sd = client.get("/sparql", headers={"Accept": "text/turtle"})
    described = ox.Store()
    described.load(sd.data, format=ox.RdfFormat.TURTLE)
    rows = list(described.query(
        "PREFIX sd: <http://www.w3.org/ns/sparql-service-description#> PREFIX void: <http://rdfs.org/ns/void#> "
        f"SELECT ?n ?d WHERE {{ ?g sd:name <{EXTRA}mine> ; sd:graph [ void:triples ?n ; "
        "<http://purl.org/dc/terms/description> ?d ] }"))
    assert len(rows) == 1 and int(rows[0]["n"].value) == len(TRIPLES) + 5  # the file's, and its VoID
    assert "mine.ttl" in rows[0]["d"].value


def test_query_and_stats_take_data_and_config(endpoint_settings, tmp_path):
    path = write(tmp_path / "cfg.nt")
    config = tmp_path / "c.toml"
    lines = [f"{k} = {json.dumps(list(v) if isinstance(v, tuple) else v)}" for k, v in endpoint_settings.items()
             if k != "cache_dir"]
    config.write_text("\n".join(lines + [f'cache_dir = "{tmp_path / "cache"}"', f'extra_files = ["{path}"]']) + "\n")
    query = f"SELECT ?o WHERE {{ GRAPH <{EXTRA}cfg> {{ <{EX}s1> <{EX}p> ?o }} }}"
    by_config = CliRunner().invoke(main, ["query", query, "--format", "csv", "--config", str(config)])
    assert by_config.exit_code == 0, by_config.output
    assert "value 1" in by_config.output
    other = write(tmp_path / "flag.ttl")
    by_flag = CliRunner().invoke(main, ["stats", "--json", "--config", str(config), "--data", str(other)])
    assert by_flag.exit_code == 0, by_flag.output
    graphs = {g["graph"] for g in json.loads(by_flag.output)["graphs"]}
    assert EXTRA + "flag" in graphs and EXTRA + "cfg" not in graphs  # --data replaces the setting's list


def _env(endpoint_settings, cache: Path) -> dict:
    env = dict(os.environ)
    for key, value in {**endpoint_settings, "cache_dir": str(cache)}.items():
        env["CLUSTERKG_" + key.upper()] = ",".join(value) if isinstance(value, tuple) else str(value)
    env["CLUSTERKG_WORKERS"] = "1"
    return env


def test_serve_with_a_bad_file_exits_2_naming_it(endpoint_settings, tmp_path):
    bad = tmp_path / "broken.nq"
    bad.write_text("<https://example.org/a> <https://example.org/p> .\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "clusterkg", "serve", "--port", str(free_port()), "--data", str(bad)],
                          env=_env(endpoint_settings, tmp_path / "cache"), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith(f"error: {bad}: not valid nquads") and "line 1" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_live_server_answers_over_a_data_graph_and_describes_it(endpoint_settings, tmp_path):
    path = write(tmp_path / "live.ttl")
    port = free_port()
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "clusterkg", "serve", "--host", "127.0.0.1", "--port", str(port),
                                 "--data", str(path)], env=_env(endpoint_settings, tmp_path / "cache"),
                                stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/sparql"
    try:
        wait_until_answers(url, proc, log, params={"query": "ASK {}"})
        answer = requests.get(url, params={"query": f"SELECT ?s ?o WHERE {{ GRAPH <{EXTRA}live> {{ ?s <{EX}p> ?o }} }}"},
                              headers={"Accept": "application/sparql-results+json"}, timeout=30).json()
        assert sorted(b["o"]["value"] for b in answer["results"]["bindings"]) == sorted(t.object.value for t in TRIPLES)
        sd = requests.get(url, headers={"Accept": "text/turtle"}, timeout=30)
        assert sd.status_code == 200 and f"<{EXTRA}live>" in sd.text
    finally:
        stop(proc)


def test_the_disk_store_loads_data_files_itself_with_the_same_graphs_counts_and_notes(make_service, tmp_path):
    """backend = disk bulk-loads --data files straight into its store (no merged N-Quads written):
    the same graphs, VoID counts and notes as the in-memory store's, kept for the next start."""
    triples_file = write(tmp_path / "mine.nt")
    named = [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(EX + "g")) for t in TRIPLES[:2]]
    quads_file = write(tmp_path / "q.nq", named + [ox.Quad(TRIPLES[2].subject, TRIPLES[2].predicate,
                                                            TRIPLES[2].object, ox.DefaultGraph())])
    files = (str(triples_file), str(quads_file))
    memory = make_service(extra_files=files, cache_dir=str(tmp_path / "memory"))
    on_disk = make_service(extra_files=files, cache_dir=str(tmp_path / "disk"), backend="disk")
    assert on_disk.graphs == memory.graphs and on_disk.notes == memory.notes
    assert on_disk.counts() == memory.counts()
    assert not list((tmp_path / "disk").glob("dataset-*.nq"))[1:]  # only the shipped part's N-Quads
    again = make_service(extra_files=files, cache_dir=str(tmp_path / "disk"), backend="disk")
    assert again.backend.source == on_disk.backend.source and again.notes == memory.notes


def test_a_bad_line_in_a_data_file_loaded_in_parts_is_named_and_nothing_is_kept(settings, monkeypatch, tmp_path):
    """On disk an N-Triples file is loaded in parts side by side; a bad line is still named by its
    line in the file, and the build leaves no store behind."""
    from clusterkg import app
    from clusterkg.backends import disk

    lines = [f'<{EX}s{i}> <{EX}p> "value {i}" .\n' for i in range(300)]
    lines[250] = f'<{EX}s250> <{EX}p> .\n'
    bad = tmp_path / "big.nt"
    bad.write_text("".join(lines), encoding="utf-8")
    monkeypatch.setattr(disk, "BLOCK", 512)
    monkeypatch.setattr(disk.os, "sched_getaffinity", lambda _: {0, 1, 2}, raising=False)
    assert len(disk.parts(bad, 3)) == 3
    s = settings(bad).replace(backend="disk")
    with pytest.raises(InputError) as caught:
        app.create_service(s)
    assert caught.value.message.startswith(f"{bad}: not valid ntriples") and "line 251" in caught.value.message
    assert not list(Path(s.cache_dir).glob("store*"))
