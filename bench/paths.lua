-- wrk script: GETs paths picked at random from the file $PATHS (one per line), signed in
-- with the session cookie in $COOKIE; counts answers of 200 or 303 (a search's jump).
math.randomseed(os.time())
local cookie = os.getenv("COOKIE")
local paths = {}
for line in io.lines(os.getenv("PATHS")) do table.insert(paths, line) end
ok = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function request()
  return wrk.format("GET", paths[math.random(1, #paths)], { ["Cookie"] = cookie })
end

function response(status, headers, body)
  if status == 200 or status == 303 then ok = ok + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("ok") end
  io.write(string.format("OK %d\n", total))
end
