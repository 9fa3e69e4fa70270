"""Drive one server with wrk: a Lua script rotating through a list of GET requests.

The script counts every non-2xx response itself (wrk's own `status` error counts only >399)
and prints one JSON line from done(): requests, duration, socket errors, latency percentiles.
"""
from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass

_LUA = r"""
local reqs = { %(requests)s }
local prepared = {}
local i = 0
local threads = {}
non2xx = 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for k, r in ipairs(reqs) do
    prepared[k] = wrk.format("GET", r[1], { ["Accept"] = r[2] })
  end
end

function request()
  i = i %% #prepared + 1
  return prepared[i]
end

function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + (t:get("non2xx") or 0) end
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%%d,"duration_us":%%d,"bytes":%%d,"non2xx":%%d,"connect":%%d,' ..
    '"read":%%d,"write":%%d,"timeout":%%d,"p50_us":%%d,"p90_us":%%d,"p99_us":%%d,' ..
    '"max_us":%%d,"mean_us":%%.1f}\n',
    summary.requests, summary.duration, summary.bytes, bad, e.connect, e.read, e.write,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
"""


@dataclass
class Result:
    requests: int
    seconds: float
    non2xx: int
    socket_errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return self.non2xx + self.socket_errors

    def as_dict(self) -> dict:
        return {"requests": self.requests, "seconds": round(self.seconds, 3), "rps": round(self.rps, 1),
                "non2xx": self.non2xx, "socket_errors": self.socket_errors, "p50_ms": self.p50_ms,
                "p90_ms": self.p90_ms, "p99_ms": self.p99_ms, "max_ms": self.max_ms}


def _lua_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run(wrk: str, base_url: str, requests: list[tuple[str, str]], connections: int,
        duration: int, timeout: float = 10.0) -> Result:
    """wrk -t1 -cN -dDs: one wrk thread (this is a 2-core machine; the server needs the other)."""
    items = ", ".join("{%s, %s}" % (_lua_string(path), _lua_string(accept)) for path, accept in requests)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-") as script:
        script.write(_LUA % {"requests": items})
        script.flush()
        argv = [wrk, "-t1", f"-c{connections}", f"-d{duration}s", f"--timeout={timeout:g}s",
                "-s", script.name, base_url]
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=duration + timeout + 30)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCHJSON ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout[-500:]}")
    d = json.loads(line[len("BENCHJSON "):])
    ms = lambda us: round(us / 1000.0, 3)  # noqa: E731
    return Result(requests=d["requests"], seconds=d["duration_us"] / 1e6, non2xx=d["non2xx"],
                  socket_errors=d["connect"] + d["read"] + d["write"] + d["timeout"],
                  p50_ms=ms(d["p50_us"]), p90_ms=ms(d["p90_us"]), p99_ms=ms(d["p99_us"]), max_ms=ms(d["max_us"]))
