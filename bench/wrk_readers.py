"""wrk as 500 learners with the cohort page open: random learners' pages or room refreshes, with think times.

Each reader asks for a random learner's page (the script's arguments: paths file, mean think ms, seed,
then the path's suffix if any: an empty argument may not reach the script) and waits a random while,
uniform around the mean, so 500 readers do not ask in step. The summary counts the 503s (the web's
reader gate saying "come back in a few seconds") apart from the other errors.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

POLL_MS = 5000  # drip/static/js/cohort.js: REFRESH_EVERY
READERS_LUA = """
local paths, think, suffix, threads = {}, 0, "", {}
busy = 0
setup = function(thread) threads[#threads + 1] = thread end
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  think, suffix = tonumber(args[2]), args[4] or ""
  math.randomseed(tonumber(args[3]))
end
delay = function() return math.random(0, 2 * think) end
request = function() return wrk.format("GET", paths[math.random(#paths)] .. suffix) end
response = function(status) if status == 503 then busy = busy + 1 end end
done = function(summary, latency, requests)
  local e, turned = summary.errors, 0
  for _, thread in ipairs(threads) do turned = turned + thread:get("busy") end
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "errors": %d, "busy": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, e.status + e.connect + e.read + e.write + e.timeout - turned, turned,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
  io.flush()
end
"""


def _script(paths: Path) -> Path:
    """The readers' wrk script beside `paths`, written once: rewriting it while another wrk reads it would
    hand that wrk an empty script (it then asks for the bare base URL and reports no WRK_JSON line)."""
    script = paths.with_suffix(".lua")
    if not script.exists() or script.read_text() != READERS_LUA:
        partial = script.with_suffix(".lua.partial")
        partial.write_text(READERS_LUA)
        partial.replace(script)  # atomic: a wrk starting now reads the old script or the new one, whole
    return script


class Readers:
    """wrk in the background: `connections` readers of random cohort pages (or `suffix`) for `seconds`."""

    def __init__(self, base: str, paths: Path, seconds: float, connections: int, think_ms: int, suffix: str = ""):
        script = _script(paths)
        self.output = paths.with_suffix(f".{time.monotonic_ns()}.out")
        argv = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s"]
        argv += ["-s", str(script), base, "--", str(paths), str(think_ms), str(time.monotonic_ns() % 99991)]
        argv += [suffix] if suffix else []
        with open(self.output, "w") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def result(self) -> dict:
        """Wait for wrk; rate, p50/p95/p99 in seconds (503s included), errors and 503s ("busy")."""
        try:
            self.proc.wait(timeout=120)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        text = self.output.read_text()
        line = next((l for l in text.splitlines() if l.startswith("WRK_JSON ")), None)
        if line is None:
            raise RuntimeError(f"wrk failed: {text[-500:]}")
        data = json.loads(line[len("WRK_JSON ") :])
        seconds = data["duration_us"] / 1e6
        served = (data["requests"] - data["busy"]) / seconds  # answered with the page or the room, not a 503
        return {
            "rate": data["requests"] / seconds,
            "served": served,
            "errors": data["errors"],
            "busy": data["busy"],
        } | {p: data[f"{p}_us"] / 1e6 for p in ("p50", "p95", "p99")}
