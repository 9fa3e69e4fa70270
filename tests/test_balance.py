"""Connections spread over gunicorn's workers (clusterkg.balance.AcceptBalance)."""
from __future__ import annotations

import http.client
import os
import re
import time
import urllib.parse
from collections import Counter

import pytest

from clusterkg import balance
from clusterkg.balance import AcceptBalance


def test_a_worker_holds_back_while_another_holds_fewer():
    table = AcceptBalance(2)
    a, b = table.join(), table.join()
    assert a != b and a >= 0 and b >= 0
    assert table.may_accept(b, 0)
    assert table.may_accept(a, 0)          # a tie accepts
    assert not table.may_accept(a, 1)      # b holds 0 < 1
    assert table.may_accept(b, 1)
    assert table.may_accept(a, 1)          # 1 and 1: both accept again


def test_a_quiet_or_departed_worker_does_not_count(monkeypatch):
    table = AcceptBalance(2)
    a, b = table.join(), table.join()
    table.may_accept(b, 0)
    assert not table.may_accept(a, 3)
    table.leave(b)
    assert table.may_accept(a, 3)          # b left
    b = table.join()
    table.may_accept(b, 0)
    now = time.monotonic()
    monkeypatch.setattr(balance.time, "monotonic", lambda: now + balance.STALE_AFTER + 1)
    assert table.may_accept(a, 3)          # b's heartbeat is stale: a must not wait on it
    assert table.join() >= 0               # and its entry can be taken over


def _owners(port: int) -> Counter:
    """How many established connections to ``port`` each process on this machine holds."""
    inodes = {}
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(name).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "01":  # ESTABLISHED, server side
                inodes[fields[9]] = True
    owners: Counter = Counter()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            match = re.fullmatch(r"socket:\[(\d+)\]", target)
            if match and match.group(1) in inodes:
                owners[int(pid)] += 1
    return owners


@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="needs Linux /proc")
def test_kept_alive_connections_spread_over_both_workers(live_server):
    """8 kept-alive clients on the 2-worker live server: each worker holds about half (without the
    balance the first worker to wake often takes all 8, and one core serves them)."""
    url = urllib.parse.urlsplit(live_server)
    path = "/sparql?" + urllib.parse.urlencode({"query": "ASK {}"})
    connections = []
    try:
        for _ in range(8):
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
            conn.request("GET", path)
            response = conn.getresponse()
            assert response.status == 200
            response.read()
            connections.append(conn)
        time.sleep(0.2)
        owners = _owners(url.port)
        counts = sorted(owners.values())
        assert sum(counts) >= 8 and len(counts) == 2, owners
        assert counts[0] >= 3, f"connections per worker {owners}"
    finally:
        for conn in connections:
            conn.close()
