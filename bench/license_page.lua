-- wrk script: Keyfold's admin license page at a random license id of 1,000,000, signed
-- in with the session cookie in $COOKIE; counts 200 answers.
math.randomseed(os.time())
local cookie = os.getenv("COOKIE")
ok = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function request()
  return wrk.format("GET", "/licenses/" .. math.random(1, 1000000), { ["Cookie"] = cookie })
end

function response(status, headers, body)
  if status == 200 then ok = ok + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("ok") end
  io.write(string.format("OK %d\n", total))
end
