-- wrk script: POST pre-signed Twilio webhook bodies, each once, in file order (then again from the first).
-- Usage: wrk ... -s bench/wrk_bodies.lua URL -- BODIES_FILE [PATH] (lines: signature TAB body)
local load = dofile(string.match(debug.getinfo(1, "S").source, "^@(.*/)") .. "wrk_load.lua")
local sigs, bodies, i = {}, {}, 0
local path = "/webhooks/twilio/sms"

setup = load.setup

init = function(args)
  if args[2] then path = args[2] end
  sigs, bodies = load.bodies(args[1])
end

request = function()
  if load.is_check() then return load.post(path, sigs[1], bodies[1]) end  -- checked, never sent
  i = i + 1
  if i > #bodies then i = 1 end  -- wrapped: later bodies are repeats (reported as bodies_wrapped)
  return load.post(path, sigs[i], bodies[i])
end

done = function(summary, latency, requests)
  load.report(summary, latency)
end
