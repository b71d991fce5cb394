-- wrk script: the yardstick's page at a random license id of its 1,000,000 (every
-- answer counted: its pages are all 200).
math.randomseed(os.time())
function request()
  return wrk.format("GET", "/licence/" .. math.random(1, 1000000))
end
