"""Federation timings: a SERVICE join through the federation proxy, and a hung remote cut.

    .venv/bin/python bench/federation.py                     # 20 rounds, service_timeout 3 s
    .venv/bin/python bench/federation.py --rounds 50 --service-timeout 2

Starts, on loopback only, `clusterkg serve` with the shipped data and `service_allowlist` naming a
second `clusterkg serve` (the remote: one note per cluster of the first, written from its own
answer) and a socket that accepts and never answers (the hung remote).  Reports the median time
of a local query, of the same clusters joined with the remote's notes through SERVICE, the time
until the hung call is answered 504, and a local query's time while that call hangs.  Every
server is stopped afterwards (by its process group), also on error.
"""
from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from servers import Server, free_port, http_get  # noqa: E402
from tools import clusterkg_command, log, project_python  # noqa: E402

JSON = "application/sparql-results+json"
CLUSTERS = ("SELECT ?c WHERE { ?c a <https://w3id.org/clusterkg/ontology#InnovationCluster> }")
JOIN = ("SELECT ?c ?note WHERE {{ ?c a <https://w3id.org/clusterkg/ontology#InnovationCluster> "
        "SERVICE <{remote}> {{ ?c <http://example.org/remote#note> ?note }} }}")


def timed(server: Server, query: str, timeout: float = 30.0) -> tuple[float, int, dict]:
    began = time.perf_counter()
    status, _, body = http_get(server.url(query), JSON, timeout=timeout)
    return time.perf_counter() - began, status, json.loads(body)


def hung_socket() -> tuple[socket.socket, int]:
    """Accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    held = []

    def accept():
        while True:
            try:
                held.append(sock.accept())
            except OSError:  # closed
                return

    threading.Thread(target=accept, daemon=True).start()
    return sock, sock.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20, help="queries timed per measure (default 20)")
    parser.add_argument("--service-timeout", type=float, default=3.0, help="service_timeout of the server (default 3)")
    parser.add_argument("--python", help="the Python with clusterkg installed (default: this one, else .venv)")
    args = parser.parse_args()
    command = clusterkg_command(project_python(args.python))
    work = Path(tempfile.mkdtemp(prefix="clusterkg-bench-federation-"))
    remote_port, (hung, hung_port) = free_port(), hung_socket()
    remote_url = f"http://127.0.0.1:{remote_port}/sparql"
    local = Server("local", "clusterkg with an allowlist", [*command, "serve", "--host", "127.0.0.1", "--port", "{port}"],
                   work, env={"CLUSTERKG_SERVICE_ALLOWLIST": f"127.0.0.1:{remote_port},127.0.0.1:{hung_port}",
                              "CLUSTERKG_SERVICE_TIMEOUT": str(args.service_timeout), "CLUSTERKG_QUERY_TIMEOUT": "30"})
    remote = Server("remote", "clusterkg as the remote", [*command, "serve", "--host", "127.0.0.1", "--port", "{port}"],
                    work, port=remote_port, env={"CLUSTERKG_DATA_FILES": str(work / "remote.ttl")})
    try:
        log("starting the local server")
        local.start(CLUSTERS, JSON)
        clusters = [b["c"]["value"] for b in timed(local, CLUSTERS)[2]["results"]["bindings"]]
        (work / "remote.ttl").write_text("".join(f'<{c}> <http://example.org/remote#note> "note {i}" .\n'
                                                 for i, c in enumerate(clusters)))
        log(f"starting the remote ({len(clusters)} notes)")
        remote.start(CLUSTERS, JSON)
        local_times = [timed(local, CLUSTERS)[0] for _ in range(args.rounds)]
        join = JOIN.format(remote=remote_url)
        joins = [timed(local, join) for _ in range(args.rounds)]
        assert all(status == 200 and len(data["results"]["bindings"]) == len(clusters) for _, status, data in joins)
        log("hung remote")
        result = {}
        thread = threading.Thread(target=lambda: result.update(hung=timed(
            local, JOIN.format(remote=f"http://127.0.0.1:{hung_port}/sparql"))))
        thread.start()
        time.sleep(0.5)
        meanwhile = timed(local, CLUSTERS)
        thread.join()
        seconds, status, data = result["hung"]
        print(f"local query, median of {args.rounds}:              {statistics.median(local_times) * 1000:8.1f} ms")
        print(f"federated join ({len(clusters)} rows), median of {args.rounds}:  "
              f"{statistics.median(t for t, _, _ in joins) * 1000:8.1f} ms")
        print(f"hung remote answered {status} {data['error']['code']} after {seconds:.2f} s "
              f"(service_timeout {args.service_timeout:g} s)")
        print(f"a local query while it hung: {meanwhile[1]} in {meanwhile[0] * 1000:.1f} ms")
        return 0
    finally:
        local.stop()
        remote.stop()
        hung.close()


if __name__ == "__main__":
    sys.exit(main())
