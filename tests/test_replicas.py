"""Two read-only `clusterkg serve` replicas (on the embedded store, or in front of one Oxigraph
server) behind haproxy (deploy/haproxy.cfg, the very file a
deployment runs), all on 127.0.0.1: requests through the balancer are answered by both, and once
one replica stops every later request is still answered."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from conftest import CK, free_port

CONFIG = Path(__file__).resolve().parents[1] / "deploy" / "haproxy.cfg"
QUERY = {"query": f"SELECT (COUNT(?c) AS ?n) WHERE {{ ?c a <{CK}InnovationCluster> }}"}


def _haproxy() -> str:
    if not shutil.which("haproxy"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "haproxy"], capture_output=True, timeout=600, check=False)
    found = shutil.which("haproxy")
    if not found:
        pytest.fail("haproxy is not installed and apt-get could not install it: apt-get install -y haproxy")
    return found


from processes import stop as _stop  # noqa: E402
from processes import wait_until_answers as _wait  # noqa: E402


@pytest.fixture(params=["embedded", "oxigraph"])
def replicas(request, endpoint_settings, tmp_path):
    """(balancer URL, [replica processes]): each replica on its own embedded store, or all of them in
    front of one Oxigraph server (``--backend``); everything stops after the test, even on failure."""
    procs: list[subprocess.Popen] = []
    backend = [] if request.param == "embedded" else ["--backend", request.getfixturevalue("oxigraph_store").query_url]
    env = dict(os.environ)
    for key, value in endpoint_settings.items():
        env["CLUSTERKG_" + key.upper()] = ",".join(value) if isinstance(value, tuple) else str(value)
    ports = [free_port(), free_port()]
    lb_port = free_port()
    try:
        for n, port in enumerate(ports, 1):
            log = tmp_path / f"replica{n}.log"
            with open(log, "wb") as out:
                procs.append(subprocess.Popen([sys.executable, "-m", "clusterkg", "serve", "--port", str(port),
                                               "--workers", "1", *backend], env=env, stdout=out, stderr=subprocess.STDOUT))
            _wait(f"http://127.0.0.1:{port}/healthz", procs[-1], log)
        lb_env = dict(os.environ, CLUSTERKG_LB_BIND=f"127.0.0.1:{lb_port}",
                      CLUSTERKG_REPLICA1=f"127.0.0.1:{ports[0]}", CLUSTERKG_REPLICA2=f"127.0.0.1:{ports[1]}")
        log = tmp_path / "haproxy.log"
        with open(log, "wb") as out:
            balancer = subprocess.Popen([_haproxy(), "-f", str(CONFIG), "-db"], env=lb_env, stdout=out,
                                        stderr=subprocess.STDOUT)
        procs.append(balancer)
        _wait(f"http://127.0.0.1:{lb_port}/healthz", balancer, log)
        yield f"http://127.0.0.1:{lb_port}", procs[:2]
    finally:
        for proc in reversed(procs):
            _stop(proc)


def test_every_request_is_answered_while_a_replica_stops(replicas):
    url, (first, second) = replicas
    session = requests.Session()
    answers = [session.get(url + "/sparql", params=QUERY, timeout=30) for _ in range(20)]
    assert {r.status_code for r in answers} == {200}
    assert {r.json()["results"]["bindings"][0]["n"]["value"] for r in answers} == {"3"}
    assert {r.headers["X-Clusterkg-Replica"] for r in answers} == {"replica1", "replica2"}
    _stop(first)  # SIGTERM: gunicorn stops; the balancer has not noticed yet
    for i in range(60):
        r = requests.get(url + "/sparql", params=QUERY, timeout=30)
        assert r.status_code == 200, (i, r.status_code, r.text[:300])
        assert r.json()["results"]["bindings"][0]["n"]["value"] == "3"
        assert r.headers["X-Clusterkg-Replica"] == "replica2"
        time.sleep(0.05)  # 3 s in all: through the health checks marking it down
    assert second.poll() is None
