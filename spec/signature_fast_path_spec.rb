# frozen_string_literal: true

require "spec_helper"
require "openssl"
require "base64"

# The common verifiers hand their arguments to the native side first and run the Ruby checks only
# when one is not plain (a String; an Integer in range). These pin that both routes answer alike,
# that nothing the checks refuse slips through the first call, and that the default `now:` is
# still Ruby's clock.
RSpec.describe "Integrations::Native::Signature argument routes" do
  let(:sig) { Integrations::Native::Signature }
  let(:ts) { 1_700_000_000 }
  let(:body) { '{"event":"message_created"}' }
  let(:chatwoot) do
    { secret: "s", timestamp: ts.to_s, body: body,
      signature: "sha256=#{OpenSSL::HMAC.hexdigest("SHA256", "s", "#{ts}.#{body}")}", now: ts }
  end
  let(:slack) do
    { signing_secret: "s", timestamp: ts.to_s, body: body,
      signature: "v0=#{OpenSSL::HMAC.hexdigest("SHA256", "s", "v0:#{ts}:#{body}")}", now: ts }
  end

  it "answers the same for plain and converted arguments" do
    sub = Class.new(String)
    [
      {},
      { timestamp: ts },
      { now: Time.at(ts + 299) },
      { tolerance: (1 << 64) - 1, now: ts + 1_000_000 },
      { secret: sub.new("s"), body: sub.new(body) },
    ].each do |change|
      expect(sig.verify_chatwoot(**chatwoot, **change)).to be(true), change.inspect
      expect(sig.verify_slack(**slack, **change.transform_keys { |k| k == :secret ? :signing_secret : k })).to be(true)
    end
    expect(sig.verify_chatwoot(**chatwoot, now: Time.at(ts + 301))).to be(false)
    expect { sig.verify_chatwoot!(**chatwoot, tolerance: 0, now: ts + 1) }
      .to raise_error(Integrations::Native::SignatureError) { |e| expect(e.reason).to eq(:expired) }
  end

  it "refuses what the checks refuse, naming the argument, although it reaches the native side first" do
    [
      [{ tolerance: -1 }, ArgumentError, /tolerance must be a non-negative Integer/],
      [{ tolerance: 1 << 64 }, ArgumentError, /tolerance must be a non-negative Integer/],
      [{ tolerance: 300.0 }, TypeError, /tolerance must be an Integer/],
      [{ now: 1 << 63 }, ArgumentError, /now must be within 2\*\*63 seconds/],
      [{ now: false }, TypeError, /now must be a Time, Integer or nil, got FalseClass/],
      [{ now: ts.to_s }, TypeError, /now must be a Time, Integer or nil, got String/],
      [{ secret: :s }, TypeError, /secret must be a String, got Symbol/],
      [{ body: nil }, TypeError, /body must be a String, got NilClass/],
      [{ timestamp: 1.5 }, TypeError, /timestamp must be an Integer, String or Time, got Float/],
      [{ signature: 1 }, TypeError, /signature must be a String, got Integer/],
    ].each do |change, error, message|
      expect { sig.verify_chatwoot(**chatwoot, **change) }.to raise_error(error, message), change.inspect
    end
    expect { sig.verify_hub("k", body, :header) }.to raise_error(TypeError, /header must be a String, got Symbol/)
    expect { sig.verify_base64("k", 1, "x") }.to raise_error(TypeError, /body must be a String, got Integer/)
  end

  it "routes Standard Webhooks, Linear and Stripe the same way" do
    key = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    standard = { secret: "whsec_#{key}", id: "msg_1", timestamp: ts.to_s, body: body, now: ts,
                 signature: "v1,#{Base64.strict_encode64(OpenSSL::HMAC.digest("SHA256", Base64.decode64(key), "msg_1.#{ts}.#{body}"))}" }
    stripe = { secret: "whsec_s", body: body, now: ts,
               header: "t=#{ts},v1=#{OpenSSL::HMAC.hexdigest("SHA256", "whsec_s", "#{ts}.#{body}")}" }
    linear_body = %({"action":"create","webhookTimestamp":#{ts * 1000}})
    linear = { secret: "s", body: linear_body, now: ts, signature: OpenSSL::HMAC.hexdigest("SHA256", "s", linear_body) }
    [{}, { now: Time.at(ts) }, { tolerance: (1 << 64) - 1 }].each do |change|
      expect(sig.verify_standard(**standard, **change)).to be(true), change.inspect
      expect(sig.verify_stripe(**stripe, **change)).to be(true), change.inspect
      expect(sig.verify_linear(**linear, **change)).to be(true), change.inspect
    end
    expect(sig.verify_standard(**standard, timestamp: ts)).to be(true)
    expect(sig.verify_standard(**standard, id: nil)).to be(false)
    expect(sig.verify_stripe(**stripe, now: ts + 301)).to be(false)
    expect { sig.verify_standard(**standard, id: :msg) }.to raise_error(TypeError, /id must be a String, got Symbol/)
    expect { sig.verify_standard(**standard, secret: "whsec_!!!") }.to raise_error(ArgumentError)
    expect { sig.verify_stripe(**stripe, tolerance: 1.0) }.to raise_error(TypeError, /tolerance must be an Integer/)
    expect { sig.verify_linear(**linear, now: -(1 << 63) - 1) }.to raise_error(ArgumentError, /now must be within/)
  end

  it "answers :missing for an absent header on both routes" do
    expect(sig.send(:chatwoot_failure, "s", ts.to_s, body, nil, 300, ts)).to eq(:missing_signature)
    expect(sig.send(:chatwoot_failure, "s", nil, body, chatwoot[:signature], 300, ts)).to eq(:missing_timestamp)
    expect(sig.send(:hub_failure, "k", body, nil)).to eq(:missing_signature)
    expect(sig.send(:base64_failure, "k", body, nil)).to eq(:missing_signature)
    mac = Base64.strict_encode64(OpenSSL::HMAC.digest("SHA256", "k", body))
    expect(sig.verify_base64("k", body, mac)).to be(true)
    expect(sig.verify_hub("k", body, "sha256=#{OpenSSL::HMAC.hexdigest("SHA256", "k", body)}")).to be(true)
  end

  it "reads the default now: from Time.now, so a host app's time travel applies" do
    args = chatwoot.except(:now)
    allow(Time).to receive(:now).and_return(Time.at(ts + 100))
    expect(sig.verify_chatwoot(**args)).to be(true)
    expect(sig.verify_slack(**slack.except(:now))).to be(true)
    allow(Time).to receive(:now).and_return(Time.at(ts + 301))
    expect(sig.verify_chatwoot(**args)).to be(false)
    expect { sig.verify_slack!(**slack.except(:now)) }
      .to raise_error(Integrations::Native::SignatureError) { |e| expect(e.reason).to eq(:expired) }
  end
end
