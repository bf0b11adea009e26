-- wrk script: sends each request N times in one write (HTTP/1.1 pipelining), as TechEmpower's plaintext test does.
--   wrk -s build/pipeline.lua URL -- 16
init = function(args)
  local depth = tonumber(args[1]) or 1
  local batch = {}
  for i = 1, depth do
    batch[i] = wrk.format()
  end
  pipelined = table.concat(batch)
end

request = function()
  return pipelined
end
