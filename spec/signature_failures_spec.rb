# frozen_string_literal: true

require "openssl"
require "base64"
require "json"

# The bang forms say exactly which part of a request was missing or malformed (the non-bang forms
# keep answering false, the documented contract). Each row is one scheme's junk, the reason, and
# the part; the message names the part and never quotes the request's values.
RSpec.describe "Signature failures name the part" do
  let(:sig) { Integrations::Native::Signature }
  let(:now) { 1_700_000_000 }
  let(:body) { '{"event":"message_created","webhookTimestamp":1700000000000}' }

  def hex(secret, data)
    OpenSSL::HMAC.hexdigest("SHA256", secret, data)
  end

  def b64(secret, data, digest = "SHA256")
    Base64.strict_encode64(OpenSSL::HMAC.digest(digest, secret, data))
  end

  # [description, bang call, non-bang call, reason, part]
  def rows
    good_standard = "v1,#{b64("k", "msg_1.#{now}.#{body}")}"
    chatwoot = { secret: "k", body: body, timestamp: now.to_s, signature: "sha256=#{hex("k", "#{now}.#{body}")}", now: now }
    slack = { signing_secret: "k", body: body, timestamp: now.to_s, signature: "v0=#{hex("k", "v0:#{now}:#{body}")}", now: now }
    standard = { secret: "k", id: "msg_1", timestamp: now.to_s, body: body, signature: good_standard, now: now }
    twilio = { auth_token: "12345", url: "https://example.com/sms", params: { "A" => "1" },
               signature: b64("12345", "https://example.com/smsA1", "SHA1") }
    no_stamp = '{"action":"create"}'
    stripe_sig = hex("whsec_s", "#{now}.#{body}")
    [
      ["chatwoot: no signature", :verify_chatwoot, chatwoot.merge(signature: nil), :missing, :signature],
      ["chatwoot: empty signature", :verify_chatwoot, chatwoot.merge(signature: ""), :missing, :signature],
      ["chatwoot: no timestamp", :verify_chatwoot, chatwoot.merge(timestamp: nil), :missing, :timestamp],
      ["chatwoot: no sha256= prefix", :verify_chatwoot, chatwoot.merge(signature: hex("k", "x")), :malformed, :signature],
      ["chatwoot: exponent timestamp", :verify_chatwoot, chatwoot.merge(timestamp: "17e8"), :malformed, :timestamp],
      ["slack: non-integer timestamp", :verify_slack, slack.merge(timestamp: "1700000000.5"), :malformed, :timestamp],
      ["slack: signed timestamp", :verify_slack, slack.merge(timestamp: "-1700000000"), :malformed, :timestamp],
      ["slack: no v0= prefix", :verify_slack, slack.merge(signature: hex("k", "x")), :malformed, :signature],
      ["slack: no timestamp", :verify_slack, slack.merge(timestamp: nil), :missing, :timestamp],
      ["standard: double space in the list", :verify_standard, standard.merge(signature: "v1,AAAA  #{good_standard}"),
       :malformed, :signature],
      ["standard: not base64", :verify_standard, standard.merge(signature: "v1,***"), :malformed, :signature],
      ["standard: no v1 entry", :verify_standard, standard.merge(signature: "v2,abc"), :malformed, :signature],
      ["standard: leading zero timestamp", :verify_standard, standard.merge(timestamp: "0#{now}"), :malformed, :timestamp],
      ["standard: no id", :verify_standard, standard.merge(id: nil), :missing, :id],
      ["standard: empty id", :verify_standard, standard.merge(id: ""), :missing, :id],
      ["standard: blank signature", :verify_standard, standard.merge(signature: "  "), :missing, :signature],
      ["twilio: no signature", :verify_twilio, twilio.merge(signature: nil), :missing, :signature],
      ["twilio: signature not base64", :verify_twilio, twilio.merge(signature: "fake_signature"), :malformed, :signature],
      ["twilio: nested parameter", :verify_twilio, twilio.merge(params: { "A" => { "b" => "1" } }), :malformed, :params],
      ["twilio: port not a number", :verify_twilio, twilio.merge(url: "https://example.com:x/sms"), :malformed, :url],
      ["linear: no signature", :verify_linear, { secret: "l", body: body, signature: nil, now: now }, :missing, :signature],
      ["linear: body not JSON", :verify_linear, { secret: "l", body: "nope", signature: hex("l", "nope"), now: now },
       :malformed, :body],
      ["linear: no webhookTimestamp", :verify_linear, { secret: "l", body: no_stamp, signature: hex("l", no_stamp), now: now },
       :malformed, :timestamp],
      ["stripe: no header", :verify_stripe, { secret: "whsec_s", body: body, header: nil, now: now }, :missing, :header],
      ["stripe: no t=", :verify_stripe, { secret: "whsec_s", body: body, header: "v1=#{stripe_sig}", now: now },
       :malformed, :timestamp],
      ["stripe: no v1=", :verify_stripe, { secret: "whsec_s", body: body, header: "t=#{now},v0=abc", now: now },
       :malformed, :signature],
      ["stripe: t= not a number", :verify_stripe, { secret: "whsec_s", body: body, header: "t=soon,v1=#{stripe_sig}", now: now },
       :malformed, :timestamp],
    ]
  end

  it "names the reason and the part for every scheme's junk, and the non-bang form answers false" do
    rows.each do |description, method, args, reason, part|
      expect(sig.public_send(method, **args)).to be(false), description
      error = begin
        sig.public_send(:"#{method}!", **args)
        nil
      rescue Integrations::Native::SignatureError => e
        e
      end
      expect(error).not_to be_nil, description
      expect([error.reason, error.part]).to eq([reason, part]), description
      noun = { signature: "signature", timestamp: "timestamp", id: "message id", header: "signature header",
               url: "signed URL", body: "body", params: "form parameters" }.fetch(part)
      expect(error.message).to include(noun).and(include(reason == :missing ? "is missing" : "not in the expected format")),
                               description
      secretish = [args[:signature], args[:header]].compact.reject { |v| v.to_s.length < 8 }
      secretish.each { |value| expect(error.message).not_to include(value), description }
    end
  end

  it "covers the positional verifiers (hub, base64) the same way" do
    expect { sig.verify_hub!("k", "b", nil) }.to raise_error(
      an_object_having_attributes(reason: :missing, part: :signature)
    )
    expect { sig.verify_hub!("k", "b", "sha256") }.to raise_error(
      an_object_having_attributes(reason: :malformed, part: :signature, message: /signature is not in the expected format/)
    )
    expect { sig.verify_base64!("k", "b", "not base64!") }.to raise_error(
      an_object_having_attributes(reason: :malformed, part: :signature)
    )
  end

  it "keeps mismatch and expired without a part" do
    ts = now.to_s
    signature = "sha256=#{hex("k", "#{ts}.#{body}")}"
    expect { sig.verify_chatwoot!(secret: "k", body: "#{body} ", timestamp: ts, signature: signature, now: now) }
      .to raise_error(an_object_having_attributes(reason: :mismatch, part: nil,
                                                  message: "signature verification failed: the signature does not match the content"))
    expect { sig.verify_chatwoot!(secret: "k", body: body, timestamp: ts, signature: signature, now: now + 301) }
      .to raise_error(an_object_having_attributes(reason: :expired, part: nil))
  end

  it "defines every failure code in the core, each with a documented reason" do
    table = sig::FAILURES
    expect(table).to be_frozen
    expect(table.values.map(&:first).uniq).to match_array(Integrations::Native::SignatureError::REASONS.keys)
    table.each do |code, (reason, part, message)|
      expect(code).to eq(part ? :"#{reason}_#{part}" : reason)
      expect(message).to be_a(String).and(be_frozen)
    end
  end

  it "still accepts a bare reason, as SignatureError.new(:malformed) did" do
    error = Integrations::Native::SignatureError.new(:malformed)
    expect([error.reason, error.part]).to eq([:malformed, nil])
    expect(error.message).to eq("signature verification failed: signature or timestamp is not in the expected format")
  end

  it "lets Rack.verify! raise the part while the middleware's 401 keeps the bare reason" do
    require "rack"
    ts = now.to_s
    env = Rack::MockRequest.env_for("/hooks", method: "POST", input: body,
                                              "HTTP_X_CHATWOOT_TIMESTAMP" => ts, "HTTP_X_CHATWOOT_SIGNATURE" => "deadbeef")
    request = Rack::Request.new(env)
    expect { Integrations::Native::Rack.verify!(request, scheme: :chatwoot, secret: "k", tolerance: 10**9) }
      .to raise_error(an_object_having_attributes(reason: :malformed, part: :signature))

    app = Integrations::Native::Rack::VerifySignature.new(->(_) { [200, {}, ["ok"]] },
                                                          { "/hooks" => { scheme: :chatwoot, secret: "k" } })
    status, _headers, response = app.call(Rack::MockRequest.env_for("/hooks", method: "POST", input: body,
                                                                              "HTTP_X_CHATWOOT_TIMESTAMP" => ts,
                                                                              "HTTP_X_CHATWOOT_SIGNATURE" => "deadbeef"))
    expect([status, JSON.parse(response.join)]).to eq([401, { "error" => "invalid_signature", "reason" => "malformed" }])
  end
end
