# frozen_string_literal: true

# How close the gem comes to the ceiling where Chatwoot spends its time: one endpoint per job (one
# thread, and ten threads as in a Sidekiq process), fan-outs, and receivers that answer slowly.
# The machine is shared and the ceiling itself moves, so every row alternates ours and wrk on the
# same nginx for ROUNDS rounds in this process and reports the median of the per-round ratios with
# their spread (min-max), never a single figure. Nothing here is a pass/fail test.
require "json"
require "etc"
require "socket"
require "rbconfig"

rounds = Integer(ENV.fetch("BENCH_ROUNDS", "5"))
seconds = Float(ENV.fetch("BENCH_SECONDS", "1.0"))

url, stop_nginx = Bench.start_nginx
unless url
  puts "Near the limit: skipped (nginx not installed; apt-get install nginx-light)"
  return
end
have_wrk = system("which wrk", out: File::NULL, err: File::NULL)

cpu = begin
  File.read("/proc/cpuinfo")[/^model name\s*:\s*(.+)$/, 1]
rescue StandardError
  "?"
end
puts "Near the limit (#{Etc.nprocessors} cores, #{cpu}; #{rounds} alternating rounds of #{seconds}s)"

N.configure { |c| c.allowed_private_cidrs = ["127.0.0.1/32"] }
payload = JSON.parse(File.read(File.expand_path("../test/fixtures/message_created.json", __dir__))).except("event")
body = payload.merge("event" => "message_created").to_json
secret = "bench-secret"

median = ->(xs) { xs.sort[xs.size / 2] }
spread = ->(xs) { format("%.0f-%.0f", xs.min, xs.max) }

# wrk's rate on the same nginx with the same POST body (a Lua literal: wrk's Lua rejects \u escapes).
wrk_script = File.join(Dir.tmpdir, "bench-near-limit-#{Process.pid}.lua")
lua_body = body.bytes.map { |b| b.between?(32, 126) && b != 34 && b != 92 ? b.chr : format("\\%03d", b) }.join
File.write(wrk_script, "wrk.method = \"POST\"\nwrk.body = \"#{lua_body}\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n")
wrk = lambda do |threads, connections|
  out = `wrk -t#{threads} -c#{connections} -d#{[seconds.ceil, 1].max}s -s #{wrk_script} #{url} 2>&1`
  raise "wrk did not run the POST script:\n#{out}" unless out.include?("Requests/sec")

  out[%r{Requests/sec:\s+([\d.]+)}, 1].to_f
end

# Ours for about `seconds`: `threads` threads each calling N.dispatch(url:) one after another.
single = lambda do |threads|
  count = Array.new(threads, 0)
  stop_at = Bench.now + seconds
  start = Bench.now
  workers = Array.new(threads) do |i|
    Thread.new do
      while Bench.now < stop_at
        result = N.dispatch(url: url, secret: secret, payload: payload, event: "message_created")
        raise "delivery failed: #{result.inspect}" unless result.success?

        count[i] += 1
      end
    end
  end
  workers.each(&:join)
  count.sum / (Bench.now - start)
end

fan_endpoints = Array.new(1000) { { url: url, secret: secret } }
fan_out = lambda do
  n = 0
  start = Bench.now
  while Bench.now - start < seconds
    N.dispatch(endpoints: fan_endpoints, payload: payload, event: "message_created")
    n += fan_endpoints.size
  end
  n / (Bench.now - start)
end

rows = [
  ["one thread, N.dispatch(url:) one after another", -> { single.(1) }, [1, 1], 50],
  ["10 threads, one endpoint each", -> { single.(10) }, [2, 10], 60],
  ["fan-outs of 1,000", fan_out, [2, 64], 75],
]
single.(1) # warm the pool and the lanes
puts format("  %-48s %12s %12s %16s %6s", "case", "ours/s", "wrk/s", "share: median", "goal")
rows.each do |name, ours, (t, c), goal|
  unless have_wrk
    puts format("  %-48s %12.0f %12s", name, ours.call, "(no wrk)")
    next
  end
  pairs = Array.new(rounds) { [ours.call, wrk.(t, c)] }
  shares = pairs.map { |o, w| 100.0 * o / w }
  puts format("  %-48s %12.0f %12.0f %9.0f%% (%s%%) %5d%%  [wrk -t%d -c%d]", name, median.(pairs.map(&:first)),
              median.(pairs.map(&:last)), median.(shares), spread.(shares), goal, t, c)
end
puts

# Signatures against the bare HMAC-SHA256 of the same bytes, computed in Rust (no Ruby) in this run.
sig_body = JSON.generate(JSON.parse(body).merge("note" => "x" * [3500 - body.bytesize - 11, 0].max))
ts = Time.now.to_i
chatwoot_sig = N::Signature.sign_chatwoot(secret: secret, timestamp: ts, body: sig_body)
bare = lambda do
  out = `cargo run --quiet --release --locked --example bare_hmac -- #{seconds} #{sig_body.bytesize + ts.to_s.size + 1} 2>&1`
  Float(out[/ns_per_op=([\d.]+)/, 1] || raise("bare_hmac example failed:\n#{out}"))
end
ns = ->(ops) { 1e9 / ops }
sig_rows = {
  "sign_chatwoot" => -> { ns.(Bench.rate(seconds: seconds) { N::Signature.sign_chatwoot(secret: secret, timestamp: ts, body: sig_body) }) },
  "verify_chatwoot" => lambda {
    ns.(Bench.rate(seconds: seconds) do
      N::Signature.verify_chatwoot(secret: secret, timestamp: ts.to_s, body: sig_body, signature: chatwoot_sig)
    end)
  },
}
puts format("Signatures on #{sig_body.bytesize} bytes against the bare HMAC-SHA256 in Rust (goal: within 1.25x)")
bare_times = []
sig_rows.each do |name, measure|
  pairs = Array.new(rounds) { [measure.call, bare.call.tap { |b| bare_times << b }] }
  ratios = pairs.map { |ours, floor| ours / floor }
  puts format("  %-20s %8.0f ns   bare HMAC %8.0f ns   ratio median %.2fx (%.2f-%.2f)", name, median.(pairs.map(&:first)),
              median.(pairs.map(&:last)), median.(ratios), ratios.min, ratios.max)
end
puts

# A receiver that answers after 200 ms, in its own process: one Ruby thread per connection is
# enough at these rates (a few hundred requests a second, each mostly asleep).
slow_port = Bench.free_port
slow_pid = fork do
  server = TCPServer.new("127.0.0.1", slow_port)
  loop do
    client = server.accept
    Thread.new(client) do |socket|
      # Keep-alive: one request after another on the connection until the sender closes it.
      while socket.gets
        length = 0
        while (header = socket.gets) && header != "\r\n"
          length = header.split(":", 2).last.to_i if header.downcase.start_with?("content-length:")
        end
        socket.read(length) if length.positive?
        sleep 0.2
        socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
      end
    rescue IOError, SystemCallError
      nil
    ensure
      socket.close
    end
  end
end
slow_url = "http://127.0.0.1:#{slow_port}/slow"
Bench.wait_for_port(slow_port)

puts "A receiver that answers after 200 ms (goal: 80% of threads / 0.2 s)"
[10, 50, 100].each do |threads|
  N.configure do |c|
    c.allowed_private_cidrs = ["127.0.0.1/32"]
    c.max_concurrency = [threads, 64].max
  end
  before = Bench.rss_mb
  count = Array.new(threads, 0)
  stop_at = Bench.now + [seconds * 3, 2.0].max
  start = Bench.now
  Array.new(threads) do |i|
    Thread.new do
      while Bench.now < stop_at
        result = N.dispatch(url: slow_url, payload: payload, event: "message_created")
        count[i] += 1 if result.success?
      end
    end
  end.each(&:join)
  rate = count.sum / (Bench.now - start)
  ideal = threads / 0.2
  puts format("  %3d threads: %6.0f deliveries/s of an ideal %4.0f (%3.0f%%), RSS %.0f MB (%+.1f MB)", threads, rate, ideal,
              100 * rate / ideal, Bench.rss_mb, Bench.rss_mb - before)
end
N.configure do |c|
  c.allowed_private_cidrs = ["127.0.0.1/32"]
  c.max_concurrency = 1000
end
slow_fan = Array.new(1000) { { url: slow_url } }
before = Bench.rss_mb
times = Array.new(3) do
  start = Bench.now
  results = N.dispatch(endpoints: slow_fan, payload: payload, event: "message_created")
  raise "slow fan-out failed: #{results.reject(&:success?).first.inspect}" unless results.all?(&:success?)

  Bench.now - start
end
puts format("  fan-out of 1,000 at 200 ms, max_concurrency 1000: %.2f s median (goal < 0.5 s), RSS %+.1f MB",
            median.(times), Bench.rss_mb - before)
Process.kill("KILL", slow_pid)
Process.wait(slow_pid)
puts

# RSS over 100k single-endpoint calls on 10 threads, then idle CPU while the process sleeps.
N.configure { |c| c.allowed_private_cidrs = ["127.0.0.1/32"] }
total = Integer(ENV.fetch("BENCH_RSS_DELIVERIES", "100000"))
GC.start
before = Bench.rss_mb
Array.new(10) do
  Thread.new { (total / 10).times { N.dispatch(url: url, secret: secret, payload: payload, event: "message_created") } }
end.each(&:join)
GC.start
after = Bench.rss_mb
cpu_time = -> { Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID) }
idle_start = cpu_time.call
sleep 2
idle = cpu_time.call - idle_start
puts format("Memory and idle: RSS %+.1f MB over %dk single-endpoint calls on 10 threads (goal < 5 MB); " \
            "CPU while asleep for 2 s afterwards: %.1f ms", after - before, total / 1000, idle * 1000)
puts
FileUtils.rm_f(wrk_script)
stop_nginx.call
