-- wrk script: POST $API_PATH (default /api/v1/check) with one of the bodies in $BODIES per request (a fixed
-- permutation), a nonce per request; counts answers that are 200 with "valid":true.
local bodies = {}
for line in io.lines(os.getenv("BODIES")) do bodies[#bodies + 1] = line end
local n = 0
ok = 0
local threads = {}
local id = 0

function setup(thread)
  id = id + 1
  thread:set("tid", id)
  table.insert(threads, thread)
end

function request()
  n = n + 1
  local body = bodies[((n + (tid or 0) * 4999) * 7919) % #bodies + 1]
  return wrk.format("POST", os.getenv("API_PATH") or "/api/v1/check", {
    ["Content-Type"] = "application/json",
    ["Keyfold-Nonce"] = string.format("wrk-%02d-nonce-%012d", tid or 0, n),
  }, body)
end

function response(status, headers, body)
  if status == 200 and body:find(os.getenv("OK_MARKER") or '"valid":true', 1, true) then ok = ok + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("ok") end
  io.write(string.format("OK %d\n", total))
end
