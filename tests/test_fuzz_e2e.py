"""Property-based fuzzing of a real server against its own OpenAPI document (schemathesis), with an admin key,
a read key and no key: no server error, and every response (status, content type, body) as documented, so
every error carries its message."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live_server import LiveServer, copied_server

pytestmark = pytest.mark.slow
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance"
READ_KEY, ADMIN_KEY = "fuzz-laeser", "fuzz-admin"
# Examples per operation, per caller; 13 operations, and schemathesis adds its own coverage cases.
PASSES = [(f"Bearer {ADMIN_KEY}", 20), (f"Bearer {READ_KEY}", 10), ("", 5)]
MIN_CASES = 1000


@pytest.fixture(scope="module")
def server(live_server, live_data_dir, tmp_path_factory) -> Iterator[LiveServer]:
    env = {"AFTALER_API_KEYS": READ_KEY, "AFTALER_ADMIN_KEYS": ADMIN_KEY, "AFTALER_RATE_LIMIT": "0"}
    started = copied_server(live_data_dir, tmp_path_factory.mktemp("aftaler-fuzz"), env)
    yield started
    started.stop()


def schemathesis(server: LiveServer, authorization: str, examples: int, schema: Path, report: Path) -> tuple[int, str]:
    command = [
        shutil.which("st") or str(Path(sys.executable).parent / "st"),
        "run",
        str(schema),
        "--url",
        server.url,
        "--checks",
        CHECKS,
        "--max-examples",
        str(examples),
        "--seed",
        "20261202",
        "--phases",
        "examples,coverage,fuzzing",
        "--report-dir",
        str(report),
        "--no-color",
    ]
    if authorization:
        command += ["--header", f"Authorization: {authorization}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    return done.returncode, done.stdout + done.stderr


def test_fuzzing_finds_no_server_error_and_no_response_the_schema_does_not_describe(server, tmp_path):
    import httpx

    schema = tmp_path / "openapi.json"
    schema.write_bytes(
        httpx.get(f"{server.url}/openapi.json", headers={"Authorization": f"Bearer {READ_KEY}"}, timeout=30).content
    )
    cases, failed = 0, []
    for authorization, examples in PASSES:
        code, output = schemathesis(server, authorization, examples, schema, tmp_path / "report")
        found = re.search(r"(\d+) generated", output)
        assert found, output[-3000:]
        cases += int(found.group(1))
        if code != 0:
            failed.append(output[-6000:])
    print(f"schemathesis: {cases} cases in {len(PASSES)} passes")  # shown with -s; the figure for the notes
    assert (failed, cases >= MIN_CASES) == ([], True), f"{cases} cases"
