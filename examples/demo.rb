# frozen_string_literal: true

# The README's first command. Starts a local webhook receiver (its own process, verifying every
# signature), delivers signed `message_created` webhooks to it with Integrations::Native.dispatch,
# then does the same work the way Chatwoot does it today (Net::HTTP, one request at a time), and
# prints what happened side by side.
#   bin/demo [COUNT] [LATENCY_MS]   (defaults 2000 and 25: the receiver answers after 25 ms, about
#                                    a round trip to a receiver elsewhere on the Internet)
require "chatwoot_integrations_rs"
require "json"
require "net/http"
require "openssl"
require "socket"

# Header lines and progress bars go to different streams; unbuffered stdout keeps them in order
# when the output is redirected to a file or a pipe.
$stdout.sync = true

N = Integrations::Native
COUNT = Integer(ARGV.fetch(0, "2000"))
LATENCY_MS = Integer(ARGV.fetch(1, "25"))
FAN_OUT = 100
SECRET = "demo-webhook-secret"

def free_port
  server = TCPServer.new("127.0.0.1", 0)
  server.addr[1]
ensure
  server&.close
end

def percentile(sorted, pct)
  sorted[[(sorted.size * pct / 100.0).ceil - 1, 0].max]
end

def progress(label, done, total)
  width = 40
  filled = (width * done / total.to_f).round
  return unless $stderr.tty? || done == total

  $stderr.print format("\r  %-22s [%-#{width}s] %5d/%d", label, "#" * filled, done, total)
  $stderr.puts if done == total
end

def summary(label, results_ok, results_failed, latencies, elapsed)
  sorted = latencies.sort
  format("  %-34s %6d delivered %4d failed   p50 %6.1f ms   p99 %6.1f ms   %8.0f deliveries/s",
         label, results_ok, results_failed, percentile(sorted, 50) * 1000, percentile(sorted, 99) * 1000, (results_ok + results_failed) / elapsed)
end

port = free_port
root = File.expand_path("..", __dir__)
receiver = IO.popen([RbConfig.ruby, "-I#{root}/lib", "#{root}/examples/receiver.rb", port.to_s, SECRET, LATENCY_MS.to_s], err: File::NULL)
abort "receiver did not start" unless receiver.gets&.strip == "ready"
base = "http://127.0.0.1:#{port}"

# Loopback is refused by the address guard unless allowed, as Chatwoot refuses private networks.
N.configure { |c| c.allowed_private_cidrs = ["127.0.0.1/32"] }

message = JSON.parse(File.read(File.join(root, "test/fixtures/message_created.json"))).except("event")
puts "chatwoot_integrations_rs #{N::VERSION}: #{COUNT} signed message_created webhooks to a local receiver (#{base})"
puts "  the receiver verifies every signature and answers after #{LATENCY_MS} ms, like a receiver across the Internet"
puts "  each body #{JSON.generate(message.merge("event" => "message_created")).bytesize} bytes, signed X-Chatwoot-Signature: sha256=HMAC(secret, \"ts.body\")"
puts "  Integrations::Native sends fan-outs of #{FAN_OUT} endpoints, up to #{N.config.max_concurrency} requests in flight " \
     "(max_concurrency); Net::HTTP sends one at a time"
puts

# 1. Integrations::Native.dispatch: fan-outs of FAN_OUT endpoints, delivered concurrently.
latencies = []
ok = failed = 0
started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
(COUNT / FAN_OUT.to_f).ceil.times do |batch|
  size = [FAN_OUT, COUNT - (batch * FAN_OUT)].min
  endpoints = Array.new(size) { |i| { url: "#{base}/hooks/#{(batch * FAN_OUT) + i}", secret: SECRET } }
  N.dispatch(endpoints: endpoints, payload: message, event: "message_created").each do |result|
    result.success? ? ok += 1 : failed += 1
    latencies << result.duration
  end
  progress("Integrations::Native", ok + failed, COUNT)
end
native = [ok, failed, latencies, Process.clock_gettime(Process::CLOCK_MONOTONIC) - started]
first_failure = nil

# 2. The Ruby way Chatwoot uses today: JSON + OpenSSL HMAC + Net::HTTP, one request at a time.
ruby_count = [COUNT / 10, 1].max
latencies = []
ok = failed = 0
started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
ruby_count.times do |i|
  t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  body = message.merge("event" => "message_created").to_json
  ts = Time.now.to_i
  headers = { "Content-Type" => "application/json", "X-Chatwoot-Timestamp" => ts.to_s,
              "X-Chatwoot-Signature" => "sha256=#{OpenSSL::HMAC.hexdigest("SHA256", SECRET, "#{ts}.#{body}")}" }
  response = Net::HTTP.post(URI("#{base}/hooks/ruby-#{i}"), body, headers)
  response.is_a?(Net::HTTPSuccess) ? ok += 1 : failed += 1
  latencies << (Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0)
  progress("Net::HTTP (Chatwoot)", i + 1, ruby_count) if ((i + 1) % 10).zero? || i + 1 == ruby_count
rescue StandardError => e
  failed += 1
  first_failure ||= e
end
ruby = [ok, failed, latencies, Process.clock_gettime(Process::CLOCK_MONOTONIC) - started]

stats = JSON.parse(Net::HTTP.get(URI("#{base}/stats")))
Process.kill("TERM", receiver.pid)
Process.wait(receiver.pid)

puts
puts "What happened:"
puts summary("Integrations::Native.dispatch", *native[0, 3], native[3])
puts summary("Net::HTTP, one at a time", *ruby[0, 3], ruby[3])
puts format("  %-34s %.1fx the deliveries per second", "speed-up", (native[0] + native[1]) / native[3] / ((ruby[0] + ruby[1]) / ruby[3]))
puts "  receiver verified #{stats.fetch("verified", 0)} signatures, rejected #{stats.fetch("rejected", 0)}"
puts "  (Net::HTTP ran #{ruby_count} deliveries, not #{COUNT}, to keep the demo short; rates compare per second)"
puts "  p50/p99 are per delivery. The gem's are higher than one-at-a-time Net::HTTP's because up to " \
     "#{N.config.max_concurrency} of its requests"
puts "  wait in line together at this one receiver (a single Ruby process); with endpoints on different hosts they " \
     "would not queue behind each other."
puts "  first Net::HTTP error: #{first_failure.class}: #{first_failure.message}" if first_failure

# 3. The address guard: the same delivery without the loopback allowance is refused before any
# connection, as a webhook pointed at a private network or the cloud metadata address
# (169.254.169.254) would be.
N.reset_configuration!
refused = N.dispatch(url: "#{base}/hooks/guarded", payload: message, event: "message_created", secret: SECRET)
puts
puts "And the same webhook without the loopback allowance (private networks and cloud metadata are refused alike):"
puts "  #{refused.error}"
