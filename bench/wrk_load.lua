-- Shared by wrk_bodies.lua and wrk_once.lua (each loads it from its own folder with dofile):
-- the pre-signed bodies file, and telling wrk's check call to request() from a real one.
-- Usage in a script:  local load = dofile(string.match(debug.getinfo(1, "S").source, "^@(.*/)") .. "wrk_load.lua")
local load = {}
local threads = 0

-- setup(thread) runs in wrk's main Lua state, once per thread, before the thread's init: number them.
function load.setup(thread)
  thread:set("wrk_thread_number", threads)
  threads = threads + 1
end

-- The file's lines, "signature TAB body", as two lists.
function load.bodies(file)
  local sigs, bodies = {}, {}
  for line in io.lines(file) do
    local tab = string.find(line, "\t", 1, true)
    sigs[#sigs + 1] = string.sub(line, 1, tab - 1)
    bodies[#bodies + 1] = string.sub(line, tab + 1)
  end
  return sigs, bodies
end

-- wrk calls request() once in its first thread before connecting, to check what it returns (and count
-- pipelined requests); that answer is never sent. True for that call: it must not use up a body.
local checked = false
function load.is_check()
  if checked or wrk_thread_number ~= 0 then return false end
  checked = true
  return true
end

function load.post(path, sig, body)
  return wrk.format("POST", path, {["Content-Type"] = "application/x-www-form-urlencoded",
                                   ["X-Twilio-Signature"] = sig}, body)
end

function load.report(summary, latency)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "status_errors": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "timeouts": %d, "p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end

return load
