"""The docs match the code, the Datasette way: every error code in docs/ENDPOINT.md's table with
its status, every code the code raises registered, and every format of the registry documented."""
from __future__ import annotations

import re
from pathlib import Path

from clusterkg import errors, formats

ROOT = Path(__file__).resolve().parents[1]
ENDPOINT_MD = (ROOT / "docs" / "ENDPOINT.md").read_text(encoding="utf-8")
SOURCES = sorted((ROOT / "server" / "clusterkg").rglob("*.py"))


def documented_codes() -> dict[str, int | None]:
    """{code: status} from the error table's rows: | 400 | `code` | when |."""
    table = {}
    for status, code in re.findall(r"^\| (\d{3}|its own) \| `([a-z-]+)` \|", ENDPOINT_MD, re.MULTILINE):
        assert code not in table, f"{code} documented twice"
        table[code] = None if status == "its own" else int(status)
    return table


def test_every_error_code_is_documented_with_its_status():
    registry = {code: status for code, (status, _when) in errors.CODES.items()}
    assert documented_codes() == registry


def test_every_code_the_code_raises_is_registered():
    used = set()
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'(?:ClusterkgError|refused|bad_request)\(\s*"([a-z-]+)"', text))
        used |= set(re.findall(r'bad_request\([^()]*?,\s*"([a-z-]+)"\)', text))
    assert used, "the pattern found no raise at all"
    assert used <= set(errors.CODES), used - set(errors.CODES)


def test_gunicorn_and_werkzeug_statuses_map_to_registered_codes():
    for status, code in errors.BY_STATUS.items():
        assert errors.CODES[code][0] == status


def test_every_format_is_documented():
    for fmt in formats.FORMATS:
        assert f"`{fmt.name}`" in ENDPOINT_MD, fmt.name
        assert fmt.media_type.split(";")[0] in ENDPOINT_MD or fmt.accept[0] in ENDPOINT_MD, fmt.media_type
