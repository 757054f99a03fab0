-- Prints wrk's summary as one parseable line, the same form as loadgen's:
-- BENCH requests=N duration_us=D errors=E status_errors=S p50_us=P p99_us=Q
-- (errors = connect + read + write + timeout; status_errors = non-2xx/3xx).
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d errors=%d status_errors=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
