# frozen_string_literal: true

# `rake soak`: 100k deliveries in fan-outs of 10k to a local nginx, after a warm-up. Reports RSS and open file
# descriptors after a warm-up and at the end, and fails when RSS grew by 20 MB or more or
# descriptors leaked. Not part of the test command (it takes a while and needs nginx).
require "chatwoot_integrations_rs"
require "json"
require_relative "support"

N = Integrations::Native
TOTAL = Integer(ENV.fetch("SOAK_DELIVERIES", "100000"))
FAN_OUT = 10_000

url, stop = Bench.start_nginx
abort "soak: nginx is needed (apt-get install nginx-light)" unless url
N.configure { |c| c.allowed_private_cidrs = ["127.0.0.1/32"] }
payload = JSON.parse(File.read(File.expand_path("../test/fixtures/message_created.json", __dir__)))
endpoints = Array.new(FAN_OUT) { |i| { url: "#{url}?n=#{i}", secret: "soak-secret" } }
fds = -> { Dir.children("/proc/self/fd").size }

deliver = lambda do
  results = N.dispatch(endpoints: endpoints, payload: payload, event: "message_created")
  failed = results.count { |r| !r.success? }
  raise "soak: #{failed} of #{results.size} deliveries failed: #{results.find { |r| !r.success? }.inspect}" if failed.positive?
end

# Warm-up: three fan-outs. The first one or two leave RSS short of a 10k fan-out's working set
# (10k tasks and results in flight, the allocator's per-thread arenas); after that it stays flat
# (measured: 66, 73-98, then 96-100 MB for 30 fan-outs). TOTAL deliveries are measured after it.
WARM_UP = 3
WARM_UP.times { deliver.call }
GC.start
rss_before = Bench.rss_mb
fds_before = fds.call
started = Bench.now
(TOTAL / FAN_OUT).times { deliver.call }
elapsed = Bench.now - started
GC.start
rss_after = Bench.rss_mb
fds_after = fds.call
stop.call

puts format("soak: %d deliveries in fan-outs of %d after a warm-up of %d, %.1f s (%.0f deliveries/s)", TOTAL, FAN_OUT,
            WARM_UP * FAN_OUT, elapsed, TOTAL / elapsed)
puts format("  RSS %.1f MB after warm-up, %.1f MB at the end (%+.1f MB)", rss_before, rss_after, rss_after - rss_before)
puts format("  open file descriptors %d after warm-up, %d at the end", fds_before, fds_after)
abort "soak: RSS grew by 20 MB or more" if rss_after - rss_before >= 20
abort "soak: file descriptors leaked" if fds_after > fds_before + 8
