# frozen_string_literal: true

# The README's first command. Signs a sample Chatwoot `message_created` payload the way Chatwoot's
# webhook sender does, shows the headers a receiver gets, and verifies them as a receiver would.
require "chatwoot_integrations_rs"
require "json"

N = Integrations::Native
secret = ENV.fetch("DEMO_WEBHOOK_SECRET", "demo-secret-change-me")
body = JSON.generate(JSON.parse(File.read(File.expand_path("../test/fixtures/message_created.json", __dir__))))
timestamp = Time.now.to_i
signature = N::Signature.sign_chatwoot(secret: secret, timestamp: timestamp, body: body)

puts "chatwoot_integrations_rs #{N::VERSION}: a signed message_created webhook (#{body.bytesize} bytes)"
puts
puts "Headers the receiver gets:"
puts "  Content-Type: application/json"
puts "  X-Chatwoot-Timestamp: #{timestamp}"
puts "  X-Chatwoot-Signature: #{signature}"
puts
checks = {
  "as sent" => [body, timestamp.to_s, signature],
  "body tampered" => [body.sub("Hello", "Hellp"), timestamp.to_s, signature],
  "replayed an hour later" => [body, timestamp.to_s, signature, timestamp + 3600],
  "signed body only (common bug)" => [body, timestamp.to_s, "sha256=#{N::Signature.hmac_sha256_hex(secret, body)}"],
}
puts "Receiver-side verification (Integrations::Native::Signature.verify_chatwoot!):"
checks.each do |label, (b, ts, sig, now)|
  N::Signature.verify_chatwoot!(secret: secret, timestamp: ts, body: b, signature: sig, now: now)
  puts format("  %-32s accepted", label)
rescue N::SignatureError => e
  puts format("  %-32s rejected (%s)", label, e.reason)
end
