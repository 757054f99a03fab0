-- gap.lua: for each wrk thread, the longest wall-clock time between two
-- consecutive 200 responses (over all of that thread's connections).
--
-- wrk gives a script no clock (os.time counts whole seconds, os.clock is
-- CPU time), but its Lua is LuaJIT, whose FFI can call clock_gettime
-- directly; CLOCK_MONOTONIC keeps a clock step out of the gaps. Without the
-- FFI the script still runs and prints n/a. bench/upgrade/gapprobe is the
-- independent measurement (fresh connections, not wrk's kept-alive ones).

local now_us
do
  local ok, ffi = pcall(require, "ffi")
  if ok then
    ok = pcall(ffi.cdef, [[
      typedef struct { long tv_sec; long tv_nsec; } gap_timespec;
      int clock_gettime(int clk_id, gap_timespec *tp);
    ]])
  end
  if ok then
    local ts = ffi.new("gap_timespec")
    local CLOCK_MONOTONIC = 1
    now_us = function()
      ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
      return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
    end
  end
end

-- The setup/done environment: the thread objects, to read their results.
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

-- Per thread (each runs in its own Lua state).
last_ok_us = nil
max_gap_us = 0
ok_count = 0

function response(status, headers, body)
  if status ~= 200 or now_us == nil then
    return
  end
  local t = now_us()
  if last_ok_us ~= nil and t - last_ok_us > max_gap_us then
    max_gap_us = t - last_ok_us
  end
  last_ok_us = t
  ok_count = ok_count + 1
end

function done(summary, latency, requests)
  local worst = 0
  for _, thread in ipairs(threads) do
    local gap = thread:get("max_gap_us") or 0
    local n = thread:get("ok_count") or 0
    if now_us == nil then
      io.write(string.format("gap.lua thread=%d longest_gap_ms=n/a\n", thread:get("id")))
    else
      io.write(string.format("gap.lua thread=%d ok=%d longest_gap_ms=%.3f\n", thread:get("id"), n, gap / 1e3))
    end
    if gap > worst then worst = gap end
  end
  if now_us == nil then
    io.write("gap.lua longest_gap_ms=n/a (no LuaJIT FFI)\n")
  else
    io.write(string.format("gap.lua longest_gap_ms=%.3f\n", worst / 1e3))
  end
end
