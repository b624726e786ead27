# frozen_string_literal: true

# Fan-out delivery: Integrations::Native.dispatch beside the Ruby HTTP clients Chatwoot could use,
# each signing every request as Chatwoot does, against one local nginx. Then wrk's rate against the
# same nginx (the ceiling), and RSS over 100k deliveries.
require "net/http"
require "openssl"
require "json"

url, stop_nginx = Bench.start_nginx
unless url
  puts "Fan-out delivery: skipped (nginx not installed; apt-get install nginx-light wrk)"
  puts
  return
end

N.configure { |c| c.allowed_private_cidrs = ["127.0.0.1/32"] }
payload = JSON.parse(File.read(File.expand_path("../test/fixtures/message_created.json", __dir__))).except("event")
secret = "bench-secret"
uri = URI(url)

def chatwoot_headers(secret, body)
  ts = Time.now.to_i.to_s
  { "Content-Type" => "application/json", "X-Chatwoot-Timestamp" => ts,
    "X-Chatwoot-Signature" => "sha256=#{OpenSSL::HMAC.hexdigest("SHA256", secret, "#{ts}.#{body}")}" }
end

def optional(name)
  require name
  true
rescue LoadError
  puts "  (#{name} not installed: its row is left out)"
  false
end

have_rest_client = optional("rest-client")
have_httparty = optional("httparty")
have_typhoeus = optional("typhoeus")

sequential = 1000
fan_out = 1000
rounds = 30
rows = []
if have_rest_client
  rows << ["RestClient, sequential (new connection each)", Bench.throughput(sequential) do
    sequential.times do
      body = payload.merge("event" => "message_created").to_json
      RestClient.post(url, body, chatwoot_headers(secret, body))
    end
  end]
end
rows << ["Net::HTTP.post, sequential (Chatwoot today)", Bench.throughput(sequential) do
  sequential.times do
    body = payload.merge("event" => "message_created").to_json
    Net::HTTP.post(uri, body, chatwoot_headers(secret, body))
  end
end]
if have_httparty
  rows << ["HTTParty, sequential", Bench.throughput(sequential) do
    sequential.times do
      body = payload.merge("event" => "message_created").to_json
      HTTParty.post(url, body: body, headers: chatwoot_headers(secret, body))
    end
  end]
end
rows << ["Net::HTTP keep-alive, sequential", Bench.throughput(sequential * 3) do
  Net::HTTP.start(uri.host, uri.port) do |http|
    (sequential * 3).times do
      body = payload.merge("event" => "message_created").to_json
      http.post(uri.path, body, chatwoot_headers(secret, body))
    end
  end
end]
if have_typhoeus
  rows << ["Typhoeus Hydra, 64 concurrent", Bench.throughput(fan_out * 3) do
    hydra = Typhoeus::Hydra.new(max_concurrency: 64)
    (fan_out * 3).times do
      body = payload.merge("event" => "message_created").to_json
      hydra.queue(Typhoeus::Request.new(url, method: :post, body: body, headers: chatwoot_headers(secret, body)))
    end
    hydra.run
  end]
end
endpoints = Array.new(fan_out) { { url: url, secret: secret } }
N.dispatch(endpoints: endpoints, payload: payload, event: "message_created") # warm the pool
# The median of three runs of `rounds` fan-outs: one run lasts well under a second, so a single
# hiccup on a shared machine would otherwise decide the figure.
native = Array.new(3) do
  Bench.throughput(fan_out * rounds) do
    rounds.times do
      results = N.dispatch(endpoints: endpoints, payload: payload, event: "message_created")
      raise "delivery failed: #{results.find { |r| !r.success? }.inspect}" unless results.all?(&:success?)
    end
  end
end.sort[1]
rows << ["N.dispatch, fan-outs of #{fan_out}, median of 3", native]
Bench.table("Fan-out webhook delivery to a local nginx, signed (deliveries/s)", rows, unit: "del/s")

if system("wrk -v", out: File::NULL, err: File::NULL) || system("which wrk", out: File::NULL, err: File::NULL)
  script = File.join(Dir.tmpdir, "bench-wrk-post.lua")
  body = payload.merge("event" => "message_created").to_json
  # A Lua string literal: Ruby's String#dump writes \u escapes, which wrk's Lua rejects; wrk then
  # reports the script error and sends bodiless GETs, a ceiling for different work.
  lua_body = body.bytes.map { |b| b.between?(32, 126) && b != 34 && b != 92 ? b.chr : format("\\%03d", b) }.join
  File.write(script, "wrk.method = \"POST\"\nwrk.body = \"#{lua_body}\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n")
  # The median of three runs, as for N.dispatch: wrk's own figure moves by 10-20% from run to run here.
  wrk_rates = Array.new(3) do
    out = `wrk -t2 -c64 -d2s -s #{script} #{url} 2>&1`
    raise "wrk did not run the POST script:\n#{out}" if out.include?(script) || !out.include?("Requests/sec")

    out[%r{Requests/sec:\s+([\d.]+)}, 1].to_f
  end
  wrk_rate = wrk_rates.sort[1]
  puts format("  wrk -t2 -c64 against the same nginx, median of 3: %.0f req/s (runs: %s); N.dispatch reaches %.0f%% of it",
              wrk_rate, wrk_rates.map(&:round).join(", "), 100 * native / wrk_rate)
  cores = defined?(Etc) ? Etc.nprocessors : "?"
  puts "  (wrk and nginx share the machine's #{cores} cores with the sender)"
  puts
end

# RSS over 100k deliveries: after a 10k warm-up, then at the end.
total = Integer(ENV.fetch("BENCH_RSS_DELIVERIES", "100000"))
warm = N.dispatch(endpoints: Array.new(10) { endpoints }.flatten, payload: payload, event: "message_created")
raise "warm-up failed" unless warm.all?(&:success?)

GC.start
before = Bench.rss_mb
((total - 10_000) / fan_out).times { N.dispatch(endpoints: endpoints, payload: payload, event: "message_created") }
GC.start
after = Bench.rss_mb
puts format("Memory: RSS %.1f MB after 10k deliveries, %.1f MB after %dk (%+.1f MB)", before, after, total / 1000, after - before)
puts
stop_nginx.call
