# frozen_string_literal: true

# A webhook receiver for the demo, run as its own process: verifies X-Chatwoot-Signature on every
# POST the way a Chatwoot customer's receiver should, and answers GET /stats with the counts.
# It answers after LATENCY_MS (default 0), standing in for the network round trip to a real
# receiver across the Internet.
#   ruby -Ilib examples/receiver.rb PORT SECRET [LATENCY_MS]
require "chatwoot_integrations_rs"
require "webrick"
require "json"

port = Integer(ARGV.fetch(0))
secret = ARGV.fetch(1)
latency = Integer(ARGV.fetch(2, "0")) / 1000.0
stats = Hash.new(0)
lock = Mutex.new
server = WEBrick::HTTPServer.new(BindAddress: "127.0.0.1", Port: port, Logger: WEBrick::Log.new(File::NULL), AccessLog: [],
                                 MaxClients: 512)
server.mount_proc("/") do |req, res|
  if req.request_method == "GET"
    res.body = lock.synchronize { JSON.generate(stats) }
    next
  end
  ok = Integrations::Native::Signature.verify_chatwoot(
    secret: secret, timestamp: req["X-Chatwoot-Timestamp"], body: req.body.to_s, signature: req["X-Chatwoot-Signature"]
  )
  lock.synchronize { stats[ok ? "verified" : "rejected"] += 1 }
  sleep latency if latency.positive?
  res.status = ok ? 200 : 401
  res.body = ok ? "ok" : "bad signature"
end
trap("TERM") { server.shutdown }
$stdout.puts "ready"
$stdout.flush
server.start
