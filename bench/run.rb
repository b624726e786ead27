# frozen_string_literal: true

# `rake bench`: each operation the gem takes over, side by side with the Ruby way it replaces,
# measured in one run and reported as a ratio. Nothing here is a pass/fail test.
require "chatwoot_integrations_rs"
require "openssl"
require "json"

N = Integrations::Native

# Runs the block for about `seconds` and returns operations per second.
def rate(seconds: 1.0)
  n = 0
  batch = 1
  start = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  loop do
    batch.times { yield }
    n += batch
    elapsed = Process.clock_gettime(Process::CLOCK_MONOTONIC) - start
    return n / elapsed if elapsed >= seconds

    batch *= 2 if batch < 4096
  end
end

def table(title, rows)
  base = rows.first[1]
  puts title
  rows.each { |name, ops| puts format("  %-46s %12.0f ops/s  %6.2fx", name, ops, ops / base) }
  puts
end

body = JSON.generate(JSON.parse(File.read(File.expand_path("../test/fixtures/message_created.json", __dir__))))
body *= 2 while body.bytesize < 3500
secret = "a-chatwoot-webhook-secret"
ts = Time.now.to_i
sig = "sha256=#{OpenSSL::HMAC.hexdigest("SHA256", secret, "#{ts}.#{body}")}"

def secure_compare(a, b)
  # ActiveSupport::SecurityUtils.secure_compare / Rack::Utils.secure_compare: OpenSSL's fixed-length compare.
  a.bytesize == b.bytesize && OpenSSL.fixed_length_secure_compare(a, b)
end

puts "chatwoot_integrations_rs #{N::VERSION} benchmarks (#{RUBY_DESCRIPTION})"
puts "body: #{body.bytesize} bytes; ratios are against the first row"
puts

table("Sign a Chatwoot webhook (X-Chatwoot-Signature)", [
  ["Ruby: \"sha256=\" + OpenSSL::HMAC.hexdigest", rate { "sha256=#{OpenSSL::HMAC.hexdigest("SHA256", secret, "#{ts}.#{body}")}" }],
  ["N::Signature.sign_chatwoot", rate { N::Signature.sign_chatwoot(secret: secret, timestamp: ts, body: body) }],
])

table("Verify a Chatwoot webhook", [
  ["Ruby: OpenSSL::HMAC + secure_compare", rate {
    expected = "sha256=#{OpenSSL::HMAC.hexdigest("SHA256", secret, "#{ts}.#{body}")}"
    (Time.now.to_i - ts).abs <= 300 && secure_compare(expected, sig)
  }],
  ["N::Signature.verify_chatwoot", rate { N::Signature.verify_chatwoot(secret: secret, timestamp: ts.to_s, body: body, signature: sig) }],
])
