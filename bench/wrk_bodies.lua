-- wrk script: POST pre-signed Twilio webhook bodies, each once, in file order.
-- Usage: wrk ... -s bench/wrk_bodies.lua URL -- BODIES_FILE [PATH] (lines: signature TAB body)
local sigs, bodies, i = {}, {}, 0
local path = "/webhooks/twilio/sms"

init = function(args)
  if args[2] then path = args[2] end
  for line in io.lines(args[1]) do
    local tab = string.find(line, "\t", 1, true)
    sigs[#sigs + 1] = string.sub(line, 1, tab - 1)
    bodies[#bodies + 1] = string.sub(line, tab + 1)
  end
end

request = function()
  i = i + 1
  if i > #bodies then i = 1 end  -- wrapped: later bodies are repeats (reported as bodies_wrapped)
  return wrk.format("POST", path, {["Content-Type"] = "application/x-www-form-urlencoded",
                                   ["X-Twilio-Signature"] = sigs[i]}, bodies[i])
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "status_errors": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "timeouts": %d, "p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
