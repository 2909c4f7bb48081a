"""wrk as 500 learners with the cohort page open: page visits at random, and each page's room refreshes as its script makes them.

Page visits (`Readers`): each connection asks for a random learner's page (the script's arguments: paths
file, mean think ms, seed) and waits a random while, uniform around the mean, so 500 readers do not ask in
step. Room refreshes (`Refreshes`): one wrk thread per learner (wrk's Lua knows threads, not connections),
each with one connection, one learner's room.json and the ETag it last got, as drip/static/js/cohort.js
does: every REFRESH_EVERY ms after the last answer, If-None-Match with the ETag of the last 200 (a 304
keeps it), and after a 503 or a 429 Retry-After seconds spread by up to half again. Each learner's first
refresh comes at a random moment within the first interval (the pages were opened at different times),
and with the ETag its page got before the run when `paths` gives one (path TAB etag): a page open for a
while, not one just opened. Both summaries count the 503s (the web's reader gate saying "come back in a
few seconds") apart from the other errors; the refreshes' also count the 304s.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

POLL_MS = 5000  # drip/static/js/cohort.js: REFRESH_EVERY
REPORT = """
done = function(summary, latency, requests)
  local e, turned, unchanged = summary.errors, 0, 0
  for _, thread in ipairs(threads) do
    turned = turned + thread:get("busy")
    unchanged = unchanged + (thread:get("unchanged") or 0)
  end
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "errors": %d, "busy": %d, "unchanged": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, e.status + e.connect + e.read + e.write + e.timeout - turned, turned,
    unchanged, latency:percentile(50), latency:percentile(95), latency:percentile(99)))
  io.flush()
end
"""
READERS_LUA = (
    """
local paths, think, threads = {}, 0, {}
busy = 0
setup = function(thread) threads[#threads + 1] = thread end
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = string.match(line, "^[^\t]*") end
  think = tonumber(args[2])
  math.randomseed(tonumber(args[3]))
end
delay = function() return math.random(0, 2 * think) end
request = function() return wrk.format("GET", paths[math.random(#paths)]) end
response = function(status) if status == 503 then busy = busy + 1 end end
"""
    + REPORT
)
REFRESHES_LUA = (
    """
local threads, path, seen, every, wait = {}, "", nil, 0, 0
busy, unchanged = 0, 0
setup = function(thread)
  threads[#threads + 1] = thread
  thread:set("learner", #threads)
end
init = function(args)
  local lines = {}
  for line in io.lines(args[1]) do lines[#lines + 1] = line end
  local line = lines[(learner - 1) % #lines + 1]
  local tab = string.find(line, "\t", 1, true)
  path = (tab and string.sub(line, 1, tab - 1) or line) .. "/room.json"
  if tab and tab < #line then seen = string.sub(line, tab + 1) end
  every = tonumber(args[2])
  math.randomseed(tonumber(args[3]) + learner)
  wait = math.random(0, every)
end
delay = function() return wait end
request = function()
  return wrk.format("GET", path, seen and {["If-None-Match"] = seen, ["Accept"] = "application/json"} or {["Accept"] = "application/json"})
end
response = function(status, headers)
  wait = every
  if status == 503 or status == 429 then
    local after = tonumber(headers["Retry-After"] or headers["retry-after"] or "")
    if after and after > 0 then wait = after * 1000 end
    wait = math.floor(wait * (1 + math.random() / 2))
    if status == 503 then busy = busy + 1 end
  elseif status == 304 then
    unchanged = unchanged + 1
  elseif status == 200 then
    seen = headers["ETag"] or headers["etag"] or seen
  end
end
"""
    + REPORT
)


def _script(paths: Path, name: str, text: str) -> Path:
    """A wrk script beside `paths`, written once: rewriting it while another wrk reads it would hand that
    wrk an empty script (it then asks for the bare base URL and reports no WRK_JSON line)."""
    script = paths.with_name(f"{paths.stem}-{name}.lua")
    if not script.exists() or script.read_text() != text:
        partial = script.with_suffix(".lua.partial")
        partial.write_text(text)
        partial.replace(script)  # atomic: a wrk starting now reads the old script or the new one, whole
    return script


class Readers:
    """wrk in the background: `connections` readers of random cohort pages for `seconds`."""

    def __init__(self, base: str, paths: Path, seconds: float, connections: int, think_ms: int):
        self._start(base, paths, seconds, _script(paths, "pages", READERS_LUA), 1, connections, think_ms)

    def _start(self, base, paths, seconds, script, threads, connections, think_ms) -> None:
        self.output = paths.with_suffix(f".{time.monotonic_ns()}.out")
        argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s"]
        argv += ["-s", str(script), base, "--", str(paths), str(think_ms), str(time.monotonic_ns() % 99991)]
        with open(self.output, "w") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def result(self) -> dict:
        """Wait for wrk; rate, p50/p95/p99 in seconds (503s included), errors, 503s ("busy") and 304s."""
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
            "unchanged": data["unchanged"] / max(data["requests"], 1),  # the share answered 304
        } | {p: data[f"{p}_us"] / 1e6 for p in ("p50", "p95", "p99")}


class Refreshes(Readers):
    """wrk in the background: `learners` pages' room refreshes (one thread and connection each) for `seconds`,
    each learner the `paths` line of its number (path, or path TAB the ETag their page last got)."""

    def __init__(self, base: str, paths: Path, seconds: float, learners: int, every_ms: int = POLL_MS):
        script = _script(paths, "refreshes", REFRESHES_LUA)
        self._start(base, paths, seconds, script, learners, learners, every_ms)
