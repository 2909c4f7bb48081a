-- wrk script: POST each pre-signed Twilio webhook body exactly once, then stop (a poll storm's votes).
-- Usage: wrk -t1 ... -s bench/wrk_once.lua URL -- BODIES_FILE PATH (lines: signature TAB body)
-- Connections that are ready after the last body ask GET /healthz instead (at most one per connection),
-- so no body is posted twice; once every body has its answer it says so (bench.ingest.wrk then stops it).
local load = dofile(string.match(debug.getinfo(1, "S").source, "^@(.*/)") .. "wrk_load.lua")
local sigs, bodies, sent, answered = {}, {}, 0, 0
local path = "/webhooks/twilio/sms"

setup = load.setup

init = function(args)
  if args[2] then path = args[2] end
  sigs, bodies = load.bodies(args[1])
end

request = function()
  if load.is_check() then return wrk.format("GET", "/healthz") end  -- checked, never sent
  sent = sent + 1
  if sent > #bodies then return wrk.format("GET", "/healthz") end
  return load.post(path, sigs[sent], bodies[sent])
end

response = function(status, headers, body)
  local kind = headers["Content-Type"] or headers["content-type"] or ""
  if status == 200 and string.find(kind, "json", 1, true) then return end  -- a /healthz filler, not a vote
  answered = answered + 1
  if answered == #bodies then
    -- wrk's main thread sleeps out -d whatever its threads do: the caller interrupts it on this line.
    io.write("WRK_ALL_ANSWERED\n")
    io.flush()
    wrk.thread:stop()
  end
end

done = function(summary, latency, requests)
  load.report(summary, latency)
end
