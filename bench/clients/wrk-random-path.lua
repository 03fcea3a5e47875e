-- Requests spread over a tree of files, chosen at random for every request:
-- "/<prefix>/<d>/<f>.txt" with d in 0..dirs-1 and f in 0..files-1 (script
-- arguments: prefix, dirs, files per dir). Seeded per thread, so runs differ
-- but every server sees the same distribution.
--
--   wrk -t1 -c50 -d10s -s bench/clients/wrk-random-path.lua http://127.0.0.1:PORT/ -- tree 100 100

local prefix, dirs, files

function init(args)
  prefix = args[1] or "tree"
  dirs = tonumber(args[2]) or 100
  files = tonumber(args[3]) or 100
  math.randomseed(os.time())
end

function request()
  local path = string.format("/%s/%d/%d.txt", prefix, math.random(0, dirs - 1), math.random(0, files - 1))
  return wrk.format("GET", path)
end
