"""Settings: precedence (defaults < TOML < CLUSTERKG_* < --setting < a command's flags), coercion
of text and TOML values, one-line errors with exit 2, and the docs kept in step with the code."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from clusterkg.cli import main
from clusterkg.settings import Settings

README = Path(__file__).resolve().parents[1] / "README.md"
DEFAULTS = {name: default for name, default, _ in Settings.help()}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """No CLUSTERKG_* from the caller's shell leaks into these tests."""
    import os
    for key in [k for k in os.environ if k.startswith("CLUSTERKG_")]:
        monkeypatch.delenv(key)


def _toml(tmp_path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- precedence ---------------------------------------------------------------------------------

def test_each_layer_beats_the_one_below_and_leaves_the_rest(tmp_path, monkeypatch):
    config = _toml(tmp_path, "port = 1001\nworkers = 5\nthreads = 7\nmax_result_rows = 11\n")
    monkeypatch.setenv("CLUSTERKG_WORKERS", "6")
    monkeypatch.setenv("CLUSTERKG_THREADS", "8")
    s = Settings.load(config, threads=9)
    assert s.host == DEFAULTS["host"]   # default: nobody set it
    assert s.port == 1001                # TOML over default
    assert s.workers == 6                # environment over TOML
    assert s.threads == 9                # explicit over environment
    assert s.max_result_rows == 11       # TOML kept where nothing above it speaks


def test_none_overrides_are_ignored(monkeypatch):
    monkeypatch.setenv("CLUSTERKG_PORT", "1234")
    assert Settings.load(port=None).port == 1234


def _shown(output: str, name: str) -> str:
    """The value `clusterkg settings` prints for one setting."""
    match = re.search(rf"^{name} = (\S+)", output, re.MULTILINE)
    assert match, output
    return match.group(1)


def test_cli_setting_beats_env_and_config(tmp_path, monkeypatch):
    config = _toml(tmp_path, "max_result_rows = 11\nquery_timeout = 3.5\n")
    monkeypatch.setenv("CLUSTERKG_MAX_RESULT_ROWS", "12")
    result = CliRunner().invoke(main, ["settings", "--config", str(config), "--setting", "max_result_rows", "13"])
    assert result.exit_code == 0, result.output
    assert _shown(result.output, "max_result_rows") == "13"
    assert _shown(result.output, "query_timeout") == "3.5"


def test_a_commands_flag_beats_setting(monkeypatch):
    """serve's --port over --setting port, checked on the Settings serve is handed (not served)."""
    import clusterkg.serve as serving
    handed = []
    monkeypatch.setattr(serving, "run", handed.append)
    monkeypatch.setenv("CLUSTERKG_PORT", "1001")
    result = CliRunner().invoke(main, ["serve", "--setting", "port", "1002", "--port", "1003", "--setting", "workers", "3"])
    assert result.exit_code == 0, result.output
    assert (handed[0].port, handed[0].workers) == (1003, 3)


def test_every_command_that_reads_settings_takes_config_and_setting_once():
    for name, command in main.commands.items():
        opts = [o for p in command.params for o in getattr(p, "opts", [])]
        assert opts.count("--config") == opts.count("--setting") == 1, name
    assert not [p for p in main.params if "--config" in getattr(p, "opts", [])], "--config belongs to the commands"


# --- coercion ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name, raw, expected", [
    ("inference", "false", False), ("inference", "ON", True), ("inference", "0", False), ("inference", True, True),
    ("port", "8080", 8080), ("port", " 9 ", 9), ("port", 80, 80),
    ("query_timeout", "2.5", 2.5), ("query_timeout", 3, 3.0),
    ("cache_dir", "some/where", Path("some/where")),
    ("data_files", "a.ttl, b.ttl", (Path("a.ttl"), Path("b.ttl"))), ("data_files", ["c.ttl"], (Path("c.ttl"),)),
    ("service_allowlist", "query.wikidata.org,dbpedia.org", ("query.wikidata.org", "dbpedia.org")),
    ("service_allowlist", "", ()), ("host", "0.0.0.0", "0.0.0.0"),
])
def test_values_are_coerced_to_the_settings_type(name, raw, expected):
    value = getattr(Settings.load(**{name: raw}), name)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize("name, raw", [
    ("inference", "maybe"), ("inference", 2), ("port", "eighty"), ("port", 2.5), ("port", True),
    ("query_timeout", "soon"), ("query_timeout", False), ("cache_dir", ""), ("cache_dir", 3),
    ("service_allowlist", [1, 2]), ("data_files", 5), ("host", 8),
])
def test_bad_values_name_the_setting_and_their_source(name, raw):
    with pytest.raises(ValueError, match=rf"^setting {name} \(from an explicit override\): "):
        Settings.load(**{name: raw})


def test_toml_values_must_have_the_right_kind(tmp_path):
    config = _toml(tmp_path, 'workers = "many"\n')
    with pytest.raises(ValueError, match=rf"setting workers \(from {re.escape(str(config))}\)"):
        Settings.load(config)


def test_unknown_names_are_refused_with_their_source(tmp_path):
    config = _toml(tmp_path, "prot = 8000\n")
    with pytest.raises(ValueError, match=rf"unknown setting\(s\) prot in {re.escape(str(config))}"):
        Settings.load(config)


def _cli(*args, env_extra=None) -> subprocess.CompletedProcess:
    import os
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLUSTERKG_")}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "clusterkg", *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize("args, env, needle", [
    (["settings", "--setting", "port", "abc"], {}, "setting port (from the command line)"),
    (["stats", "--setting", "max_result_rows", "lots"], {}, "setting max_result_rows (from the command line)"),
    (["settings", "--setting", "prot", "1"], {}, "unknown setting(s) prot"),
    (["settings"], {"CLUSTERKG_INFERENCE": "perhaps"}, "setting inference (from CLUSTERKG_INFERENCE)"),
    (["settings", "--config", "missing.toml"], {}, "missing.toml"),
])
def test_cli_bad_setting_is_one_line_and_exit_2(args, env, needle):
    proc = _cli(*args, env_extra=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.count("\n") == 1 and needle in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_cli_malformed_toml_names_the_file(tmp_path):
    config = _toml(tmp_path, "port = = 1\n")
    proc = _cli("validate", "--config", str(config))
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: {config}: not valid TOML") and proc.stderr.count("\n") == 1, proc.stderr


def test_query_honours_the_result_limits():
    everything = "SELECT ?s WHERE { ?s ?p ?o }"
    capped = CliRunner().invoke(main, ["query", everything, "--format", "csv", "--setting", "max_result_rows", "3"])
    assert capped.exit_code == 0, capped.output
    assert len(capped.stdout.splitlines()) == 1 + 3  # header and three rows
    assert "cut" in capped.stderr
    full = CliRunner().invoke(main, ["query", everything, "--format", "csv"])
    assert len(full.stdout.splitlines()) > 1 + 3


# --- documentation ------------------------------------------------------------------------------

def test_readme_settings_table_matches_the_code():
    """Datasette's rule: every setting documented. The README's table must be what
    `clusterkg settings --markdown` prints from the code today (regenerate it when this fails)."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("\n## Settings\n"):]
    section = section[:section.index("\n## ", 1)]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    generated = CliRunner().invoke(main, ["settings", "--markdown"]).output.splitlines()
    assert lines == generated
    documented = {re.match(r"\| `(\w+)`", line).group(1) for line in lines[2:]}
    assert documented == set(DEFAULTS)


def test_every_command_has_help_with_an_example():
    for name in [None, *main.commands]:
        result = CliRunner().invoke(main, ([name] if name else []) + ["--help"])
        assert result.exit_code == 0
        assert "Example" in result.output and "clusterkg " in result.output.split("Example", 1)[1], name
