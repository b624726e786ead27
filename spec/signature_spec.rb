# frozen_string_literal: true

require "openssl"
require "securerandom"

RSpec.describe Integrations::Native::Signature do
  let(:n) { Integrations::Native }

  def random_string(rng)
    case rng.rand(4)
    when 0 then rng.bytes(rng.rand(0..300))                                  # binary
    when 1 then ""                                                           # empty
    when 2 then Array.new(rng.rand(1..40)) { ["é", "日本", "😀", "a", "\u2028", "\0"].sample(random: rng) }.join # UTF-8
    else "k" * rng.rand(60..5000)                                            # longer than SHA-256's block
    end
  end

  describe ".hmac_sha256_hex" do
    it "equals OpenSSL::HMAC.hexdigest on many random inputs" do
      rng = Random.new(RSpec.configuration.seed)
      500.times do
        secret = random_string(rng)
        body = random_string(rng)
        expect(described_class.hmac_sha256_hex(secret, body)).to eq(OpenSSL::HMAC.hexdigest("SHA256", secret, body))
      end
    end

    it "accepts Strings in any encoding, hashing their bytes" do
      body = "caf\xE9".dup.force_encoding(Encoding::ISO_8859_1)
      expect(described_class.hmac_sha256_hex("k", body)).to eq(OpenSSL::HMAC.hexdigest("SHA256", "k", body))
      invalid = "\xFF\xFE".b.force_encoding(Encoding::UTF_8)
      expect(described_class.hmac_sha256_hex(invalid, invalid)).to eq(OpenSSL::HMAC.hexdigest("SHA256", invalid, invalid))
    end

    it "raises TypeError naming the argument for non-Strings" do
      expect { described_class.hmac_sha256_hex(nil, "b") }.to raise_error(TypeError, /secret must be a String, got NilClass/)
      expect { described_class.hmac_sha256_hex("k", { a: 1 }) }.to raise_error(TypeError, /body must be a String, got Hash/)
      expect { described_class.hmac_sha256_hex(:k, "b") }.to raise_error(TypeError, /secret must be a String, got Symbol/)
    end
  end

  describe ".verify" do
    let(:good) { OpenSSL::HMAC.hexdigest("SHA256", "secret", "body") }

    it "accepts the exact lower-case hex HMAC" do
      expect(described_class.verify("secret", "body", good)).to be(true)
    end

    it "is false, never an exception, for wrong, truncated, empty, upper-cased or non-hex signatures" do
      flipped = good.dup
      flipped[0] = flipped[0] == "a" ? "b" : "a"
      [flipped, good[0..-2], "", good.upcase, "z" * 64, "#{good}00", "sha256=#{good}", "\xFF".b * 64, "x" * 100_000, nil]
        .each do |candidate|
        expect(described_class.verify("secret", "body", candidate)).to be(false), candidate.inspect[0, 80]
      end
      expect(described_class.verify("other", "body", good)).to be(false)
      expect(described_class.verify("secret", "body!", good)).to be(false)
    end
  end

  describe "Chatwoot's scheme" do
    let(:vectors) { fixture_json("chatwoot_signatures.json").fetch("vectors") }

    it "signs exactly like Chatwoot (vectors from Ruby's OpenSSL)" do
      vectors.each do |v|
        expect(described_class.sign_chatwoot(secret: v["secret"], timestamp: v["timestamp"], body: v["body"]))
          .to eq(v["signature"])
        expect(described_class.sign_chatwoot(secret: v["secret"], timestamp: v["timestamp"].to_s, body: v["body"]))
          .to eq(v["signature"])
      end
    end

    it "verifies what it signs, within the tolerance window in both directions" do
      vectors.each do |v|
        args = { secret: v["secret"], timestamp: v["timestamp"].to_s, body: v["body"], signature: v["signature"] }
        expect(described_class.verify_chatwoot(**args, now: v["timestamp"] + 300)).to be(true)
        expect(described_class.verify_chatwoot(**args, now: v["timestamp"] - 300)).to be(true)
        expect(described_class.verify_chatwoot(**args, now: v["timestamp"] + 301)).to be(false)
        expect(described_class.verify_chatwoot(**args, now: Time.at(v["timestamp"] - 301))).to be(false)
        expect(described_class.verify_chatwoot(**args, now: v["timestamp"] + 1000, tolerance: 1000)).to be(true)
      end
    end

    it "uses the current time when now: is not given" do
      ts = Time.now.to_i
      sig = described_class.sign_chatwoot(secret: "s", timestamp: ts, body: "{}")
      expect(described_class.verify_chatwoot(secret: "s", timestamp: ts.to_s, body: "{}", signature: sig)).to be(true)
      old = described_class.sign_chatwoot(secret: "s", timestamp: ts - 3600, body: "{}")
      expect(described_class.verify_chatwoot(secret: "s", timestamp: (ts - 3600).to_s, body: "{}", signature: old)).to be(false)
    end

    it "refuses a signature over the body alone (the common receiver mistake)" do
      v = vectors.first
      expect(described_class.verify_chatwoot(secret: v["secret"], timestamp: v["timestamp"], body: v["body"],
                                             signature: "sha256=#{v["body_only_hex"]}", now: v["timestamp"])).to be(false)
    end

    it "says why in the bang form" do
      v = vectors.first
      base = { secret: v["secret"], timestamp: v["timestamp"].to_s, body: v["body"], signature: v["signature"], now: v["timestamp"] }
      expect(described_class.verify_chatwoot!(**base)).to be(true)
      {
        { body: "tampered" } => :mismatch,
        { now: v["timestamp"] + 3600 } => :expired,
        { signature: v["signature"].delete_prefix("sha256=") } => :malformed,
        { timestamp: "12:00" } => :malformed,
        { signature: "" } => :missing,
        { signature: nil } => :missing,
        { timestamp: nil } => :missing,
      }.each do |change, reason|
        expect { described_class.verify_chatwoot!(**base, **change) }
          .to raise_error(Integrations::Native::SignatureError) { |e| expect(e.reason).to eq(reason) }
        expect(described_class.verify_chatwoot(**base, **change)).to be(false)
      end
    end

    it "never raises for junk signature Strings" do
      junk = ["", "sha256=", "sha256=#{"z" * 64}", "\xFF\xFE".b, "v0=abc", "sha256=#{"a" * 100_000}", "sha256 =abc"]
      junk.each do |sig|
        expect(described_class.verify_chatwoot(secret: "s", timestamp: "1", body: "b", signature: sig, now: 1)).to be(false)
      end
    end

    it "raises TypeError/ArgumentError for arguments of the wrong kind" do
      expect { described_class.sign_chatwoot(secret: 1, timestamp: 1, body: "b") }.to raise_error(TypeError, /secret must be a String/)
      expect { described_class.sign_chatwoot(secret: "s", timestamp: 1.5, body: "b") }.to raise_error(TypeError, /timestamp must be/)
      expect { described_class.verify_chatwoot(secret: "s", timestamp: "1", body: "b", signature: 5) }
        .to raise_error(TypeError, /signature must be a String/)
      expect { described_class.verify_chatwoot(secret: "s", timestamp: "1", body: "b", signature: "x", tolerance: -1) }
        .to raise_error(ArgumentError, /tolerance/)
      expect { described_class.verify_chatwoot(secret: "s", timestamp: "1", body: "b", signature: "x", now: "today") }
        .to raise_error(TypeError, /now must be/)
      expect { described_class.sign_chatwoot(secret: "s", body: "b") }.to raise_error(ArgumentError, /timestamp/)
    end
  end
end
