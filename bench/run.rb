# frozen_string_literal: true

# `rake bench`: each operation the gem takes over, side by side with the Ruby way it replaces,
# measured in one run and reported as a ratio. Nothing here is a pass/fail test.
require "chatwoot_integrations_rs"
require "openssl"
require "json"

require "etc"
require_relative "support"

N = Integrations::Native

def rate(&) = Bench.rate(&)
def table(title, rows) = Bench.table(title, rows)

body = JSON.generate(JSON.parse(File.read(File.expand_path("../test/fixtures/message_created.json", __dir__))))
# A 3.5 KB body (a long message_created): the fixture with a padded note.
body = JSON.generate(JSON.parse(body).merge("note" => "x" * [3500 - body.bytesize - 11, 0].max))
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
  ["Ruby: OpenSSL::HMAC + secure_compare", rate do
    expected = "sha256=#{OpenSSL::HMAC.hexdigest("SHA256", secret, "#{ts}.#{body}")}"
    (Time.now.to_i - ts).abs <= 300 && secure_compare(expected, sig)
  end],
  ["N::Signature.verify_chatwoot", rate { N::Signature.verify_chatwoot(secret: secret, timestamp: ts.to_s, body: body, signature: sig) }],
])

slack_sig = "v0=#{OpenSSL::HMAC.hexdigest("SHA256", secret, "v0:#{ts}:#{body}")}"
require "rack/utils"
table("Verify a Slack request (X-Slack-Signature)", [
  ["Ruby: OpenSSL::HMAC + Rack::Utils.secure_compare", rate do
    expected = "v0=#{OpenSSL::HMAC.hexdigest("SHA256", secret, "v0:#{ts}:#{body}")}"
    (Time.now.to_i - ts).abs <= 300 && Rack::Utils.secure_compare(expected, slack_sig)
  end],
  ["N::Signature.verify_slack", rate { N::Signature.verify_slack(signing_secret: secret, timestamp: ts.to_s, body: body, signature: slack_sig) }],
])

load File.expand_path("payload.rb", __dir__)
load File.expand_path("send_service.rb", __dir__)
load File.expand_path("dispatch.rb", __dir__)
load File.expand_path("near_limit.rb", __dir__)
