-- HTTP pipelining for wrk: every write carries `depth` requests (first script
-- argument, default 16), so each connection has `depth` requests in flight.
-- wrk counts the requests in what request() returns and waits for that many
-- responses before the next write.
--
--   wrk -t1 -c50 -d10s -s bench/clients/wrk-pipeline.lua http://127.0.0.1:PORT/ -- 16

local batch

function init(args)
  local depth = tonumber(args[1]) or 16
  local requests = {}
  for i = 1, depth do
    requests[i] = wrk.format()
  end
  batch = table.concat(requests)
end

function request()
  return batch
end
