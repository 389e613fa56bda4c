-- wrk script of bench_submit.py: POST comments to /v1/comments and count the answers.
--
-- Bodies come from the JSON Lines file named by BENCH_BODIES (one request body a line, cycled);
-- the key from BENCH_KEY. Each wrk thread counts 202s, other 2xx, 4xx, 5xx; done() prints one JSON
-- line beginning with "BENCH " that bench_submit.py reads.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bodies = {}
  for line in io.lines(os.getenv("BENCH_BODIES")) do
    table.insert(bodies, line)
  end
  headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. (os.getenv("BENCH_KEY") or ""),
  }
  counter = 0
  accepted, other_2xx, client_errors, server_errors = 0, 0, 0, 0
end

function request()
  counter = counter + 1
  return wrk.format("POST", "/v1/comments", headers, bodies[(counter % #bodies) + 1])
end

function response(status, headers, body)
  if status == 202 then
    accepted = accepted + 1
  elseif status < 300 then
    other_2xx = other_2xx + 1
  elseif status < 500 then
    client_errors = client_errors + 1
  else
    server_errors = server_errors + 1
  end
end

function done(summary, latency, requests)
  local totals = {accepted = 0, other_2xx = 0, client_errors = 0, server_errors = 0}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do
      totals[name] = totals[name] + thread:get(name)
    end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"duration_s": %.6f, "requests": %d, "accepted": %d, "other_2xx": %d, ' ..
    '"client_errors": %d, "server_errors": %d, "socket_errors": {"connect": %d, "read": %d, ' ..
    '"write": %d, "timeout": %d}, "latency_ms": {"p50": %.3f, "p99": %.3f, "max": %.3f}}\n',
    summary.duration / 1e6, summary.requests, totals.accepted, totals.other_2xx,
    totals.client_errors, totals.server_errors, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
