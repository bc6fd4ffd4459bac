-- wrk script for scripts/load.sh: POSTs bodies cycled from BODIES (one per
-- line) to WRK_PATH, with `Origin: ORIGIN` (Baton refuses a post from an
-- origin its form does not list). Every `~U~` in a body is replaced by a
-- string unique to this request (TAG, the thread and a counter), so each
-- Baton lead is a new person at a new company. Counts statuses and answer
-- bytes, and prints one line "LOADJSON {...}" with the percentiles.
local threads = {}
local path_ = os.getenv("WRK_PATH") or "/"
local origin = os.getenv("ORIGIN") or ""
local tag = os.getenv("TAG") or "r"
local bodies_file = os.getenv("BODIES")

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local function split(s, sep)
  local parts, from = {}, 1
  while true do
    local a, b = string.find(s, sep, from, true)
    if not a then table.insert(parts, string.sub(s, from)); return parts end
    table.insert(parts, string.sub(s, from, a - 1))
    from = b + 1
  end
end

local bodies, headers, n, prefix
function init(args)
  s2xx, s201, sother, bytes2xx, n = 0, 0, 0, 0, 0
  prefix = tag .. "t" .. (id or 0) .. "n"
  headers = { ["Content-Type"] = "application/json" }
  if origin ~= "" then headers["Origin"] = origin end
  bodies = {}
  for line in io.lines(bodies_file) do
    if #line > 0 then table.insert(bodies, split(line, "~U~")) end
  end
end

function request()
  n = n + 1
  local parts = bodies[((n - 1 + (id or 0) * 997) % #bodies) + 1]
  local body = parts[1]
  if #parts > 1 then body = table.concat(parts, prefix .. n) end
  return wrk.format("POST", path_, headers, body)
end

function response(status, hdrs, body)
  if status == 201 then s201 = s201 + 1 end
  if status >= 200 and status < 300 then
    s2xx = s2xx + 1
    bytes2xx = bytes2xx + #body
  else
    sother = sother + 1
  end
end

function done(summary, latency, requests)
  local t2xx, t201, tother, tbytes = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    t2xx = t2xx + t:get("s2xx"); t201 = t201 + t:get("s201")
    tother = tother + t:get("sother"); tbytes = tbytes + t:get("bytes2xx")
  end
  local e = summary.errors
  io.write(string.format(
    'LOADJSON {"requests":%d,"duration_us":%d,"rps":%.1f,"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"mean_us":%.1f,"s2xx":%d,"s201":%d,"sother":%d,"bytes2xx":%d,"err_connect":%d,"err_read":%d,' ..
    '"err_write":%d,"err_status":%d,"err_timeout":%d}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean,
    t2xx, t201, tother, tbytes, e.connect, e.read, e.write, e.status, e.timeout))
end
