# frozen_string_literal: true

require "openssl"
require "base64"
require "json"

# Every incoming scheme against the vectors its provider publishes, round trips with Ruby's OpenSSL,
# tampering, the timestamp window, rotation lists, and junk (false, never an exception).
RSpec.describe Integrations::Native::Signature do
  let(:sig) { described_class }

  def reason_of
    yield
    nil
  rescue Integrations::Native::SignatureError => e
    e.reason
  end

  JUNK = ["", " ", "v0=", "sha256=", "t=,v1=", "v1,", "\xFF\xFE\x00".b, "=" * 10, "a" * 100_000, "é😀", "\n", "v1,***"].freeze

  describe ".verify_slack" do
    # Slack's own example ("Verifying requests from Slack").
    let(:secret) { "8f742231b10e8888abcd99yyyzzz85a5" }
    let(:ts) { "1531420618" }
    let(:body) do
      "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar" \
        "&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com" \
        "%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    end
    let(:signature) { "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503" }
    let(:args) { { signing_secret: secret, timestamp: ts, body: body, signature: signature, now: 1_531_420_618 } }

    it "accepts Slack's documented example and says why others fail" do
      expect(sig.verify_slack(**args)).to be(true)
      expect(sig.verify_slack!(**args)).to be(true)
      expect(reason_of { sig.verify_slack!(**args, body: "#{body}&x=1") }).to eq(:mismatch)
      expect(reason_of { sig.verify_slack!(**args, now: 1_531_420_618 + 301) }).to eq(:expired)
      expect(reason_of { sig.verify_slack!(**args, now: 1_531_420_618 - 301) }).to eq(:expired)
      expect(reason_of { sig.verify_slack!(**args, signature: signature.delete_prefix("v0=")) }).to eq(:malformed)
      expect(reason_of { sig.verify_slack!(**args, signature: nil) }).to eq(:missing)
    end

    it "round-trips with OpenSSL" do
      now = Time.now.to_i
      mine = "v0=#{OpenSSL::HMAC.hexdigest("SHA256", "s", "v0:#{now}:{}")}"
      expect(sig.verify_slack(signing_secret: "s", timestamp: now.to_s, body: "{}", signature: mine)).to be(true)
    end
  end

  describe "Standard Webhooks" do
    # The specification's example, as its reference libraries test it.
    let(:secret) { "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }
    let(:id) { "msg_p5jXN8AQM9LWM0D4loKWxJek" }
    let(:ts) { 1_614_265_330 }
    let(:body) { '{"test": 2432232314}' }
    let(:expected) { "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" }
    let(:args) { { secret: secret, id: id, timestamp: ts.to_s, body: body, now: ts } }

    it "signs and verifies the specification's example" do
      expect(sig.sign_standard(secret: secret, id: id, timestamp: ts, body: body)).to eq(expected)
      expect(sig.verify_standard(**args, signature: expected)).to be(true)
    end

    it "accepts a rotation list with one good signature and skips unknown versions" do
      expect(sig.verify_standard(**args, signature: "v1,Zm9v v2,abc #{expected}")).to be(true)
      expect(reason_of { sig.verify_standard!(**args, signature: "v1,Zm9vYmFy v1,YmFy") }).to eq(:mismatch)
      expect(reason_of { sig.verify_standard!(**args, signature: "v2,abc") }).to eq(:malformed)
      expect(reason_of { sig.verify_standard!(**args, signature: expected, now: ts + 301) }).to eq(:expired)
      expect(reason_of { sig.verify_standard!(**args, signature: expected, id: "msg_2") }).to eq(:mismatch)
    end

    it "reads secrets as the official libraries do: unpadded, with a trailing newline, or without whsec_" do
      key = "0123456789abcdefghijklm" # 23 bytes: base64 with one "=" of padding
      mac = Base64.strict_encode64(OpenSSL::HMAC.digest("SHA256", key, "id1.#{ts}.#{body}"))
      encoded = Base64.strict_encode64(key)
      ["whsec_#{encoded}", "whsec_#{encoded.delete("=")}", "whsec_#{encoded}\n", encoded, encoded.delete("=")].each do |secret|
        expect(sig.sign_standard(secret: secret, id: "id1", timestamp: ts, body: body)).to eq("v1,#{mac}"), secret.inspect
        expect(sig.verify_standard(secret: secret, id: "id1", timestamp: ts, body: body, signature: "v1,#{mac}", now: ts)).to be(true)
      end
      expect { sig.sign_standard(secret: "whsec_", id: "id1", timestamp: ts, body: body) }.to raise_error(ArgumentError)
    end

    it "accepts only the canonical timestamp spelling the libraries sign" do
      mac = sig.sign_standard(secret: "raw-key", id: "id1", timestamp: ts, body: body)
      ["0#{ts}", "#{ts}.0", " #{ts}"].each do |spelling|
        expect(reason_of { sig.verify_standard!(secret: "raw-key", id: "id1", timestamp: spelling, body: body, signature: mac, now: ts) })
          .to eq(:malformed), spelling.inspect
      end
    end

    it "matches OpenSSL for raw (non-whsec) secrets and refuses an invalid whsec secret" do
      mac = Base64.strict_encode64(OpenSSL::HMAC.digest("SHA256", "raw-key", "id1.#{ts}.#{body}"))
      expect(sig.verify_standard(secret: "raw-key", id: "id1", timestamp: ts, body: body, signature: "v1,#{mac}", now: ts)).to be(true)
      expect { sig.verify_standard(**args, secret: "whsec_%%%", signature: expected) }.to raise_error(ArgumentError, /whsec_/)
    end
  end

  describe ".verify_hub" do
    it "accepts GitHub's documented example, sha1 legacy, and refuses unknown algorithms" do
      header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
      expect(sig.verify_hub("It's a Secret to Everybody", "Hello, World!", header)).to be(true)
      expect(sig.verify_hub("It's a Secret to Everybody", "Hello, World?", header)).to be(false)
      sha1 = "sha1=#{OpenSSL::HMAC.hexdigest("SHA1", "meta-app-secret", "{\"object\":\"page\"}")}"
      expect(sig.verify_hub("meta-app-secret", "{\"object\":\"page\"}", sha1)).to be(true)
      expect(reason_of { sig.verify_hub!("k", "b", "md5=#{"0" * 32}") }).to eq(:mismatch)
      expect(reason_of { sig.verify_hub!("k", "b", nil) }).to eq(:missing)
    end
  end

  describe ".verify_base64 (Shopify, LINE)" do
    it "round-trips with OpenSSL and fails on tampering" do
      body = '{"id":820982911946154508,"email":"jon@doe.ca"}'
      good = Base64.strict_encode64(OpenSSL::HMAC.digest("SHA256", "shpss_secret", body))
      expect(sig.verify_base64("shpss_secret", body, good)).to be(true)
      expect(sig.verify_base64("shpss_secret", body.sub("jon", "jim"), good)).to be(false)
      expect(reason_of { sig.verify_base64!("shpss_secret", body, "not base64") }).to eq(:malformed)
    end
  end

  describe ".verify_twilio" do
    # twilio-ruby's request validator spec.
    let(:url) { "https://mycompany.com/myapp.php?foo=1&bar=2" }
    let(:params) do
      { "From" => "+14158675309", "To" => "+18005551212", "CallSid" => "CA1234567890ABCDE", "Caller" => "+14158675309", "Digits" => "1234" }
    end
    let(:body) { '{"property": "value", "boolean": true}' }
    let(:body_hash) { "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620" }

    it "validates Twilio's own test vectors" do
      expect(sig.verify_twilio(auth_token: "12345", url: url, params: params, signature: "RSOYDt4T1cUTdK1PDd93/VVr8B8=")).to be(true)
      expect(sig.verify_twilio(auth_token: "12345", url: url.sub(".com", ".com:1234"), params: params,
                               signature: "RSOYDt4T1cUTdK1PDd93/VVr8B8=")).to be(true)
      expect(sig.verify_twilio(auth_token: "12345", url: url, params: params, signature: "kvajT1Ptam85bY51eRf/AJRuM3w=")).to be(true)
      expect(sig.verify_twilio(auth_token: "12345", url: "#{url}&bodySHA256=#{body_hash}", params: body,
                               signature: "a9nBmqA0ju/hNViExpshrM61xv4=")).to be(true)
      expect(sig.verify_twilio(auth_token: "12345", url: url, params: params, signature: "fake_signature")).to be(false)
      expect(sig.verify_twilio(auth_token: "12345", url: url, params: body, signature: "RSOYDt4T1cUTdK1PDd93/VVr8B8=")).to be(false)
      expect(sig.verify_twilio(auth_token: "12345", url: url, params: params.merge("Digits" => "9"),
                               signature: "RSOYDt4T1cUTdK1PDd93/VVr8B8=")).to be(false)
    end

    it "matches an OpenSSL computation over sorted parameters, Symbols and multi-values included" do
      data = ["https://x.example/sms", "Aa", "1", "Body", "hi", "Media", "m1", "Media", "m2"].join
      mac = Base64.strict_encode64(OpenSSL::HMAC.digest("SHA1", "tok", data))
      expect(sig.verify_twilio(auth_token: "tok", url: "https://x.example/sms", params: { Body: "hi", "Media" => %w[m1 m2], "Aa" => 1 },
                               signature: mac)).to be(true)
    end
  end

  describe ".verify_linear" do
    it "checks the signature, then webhookTimestamp (ms) within 60 s" do
      now = 1_700_000_000
      body = JSON.generate("action" => "create", "type" => "Issue", "webhookTimestamp" => (now * 1000) + 500)
      good = OpenSSL::HMAC.hexdigest("SHA256", "lin_wh", body)
      expect(sig.verify_linear(secret: "lin_wh", body: body, signature: good, now: now + 30)).to be(true)
      expect(reason_of { sig.verify_linear!(secret: "lin_wh", body: body, signature: good, now: now + 61) }).to eq(:expired)
      expect(reason_of { sig.verify_linear!(secret: "lin_wh", body: body, signature: good, now: now - 61) }).to eq(:expired)
      expect(reason_of { sig.verify_linear!(secret: "lin_wh", body: "#{body} ", signature: good, now: now) }).to eq(:mismatch)
    end
  end

  describe ".verify_stripe" do
    it "accepts any matching v1 in the header, within the window" do
      now = 1_700_000_000
      body = '{"id":"evt_1","type":"payment_intent.succeeded"}'
      good = OpenSSL::HMAC.hexdigest("SHA256", "whsec_stripe", "#{now}.#{body}")
      header = "t=#{now},v1=#{"0" * 64},v1=#{good},v0=#{"1" * 64}"
      expect(sig.verify_stripe(secret: "whsec_stripe", body: body, header: header, now: now)).to be(true)
      expect(reason_of { sig.verify_stripe!(secret: "whsec_stripe", body: body, header: header, now: now + 301) }).to eq(:expired)
      expect(reason_of { sig.verify_stripe!(secret: "other", body: body, header: header, now: now) }).to eq(:mismatch)
      expect(reason_of { sig.verify_stripe!(secret: "whsec_stripe", body: body, header: "v1=#{good}", now: now) }).to eq(:malformed)
    end
  end

  describe "junk input" do
    it "is false from every plain verifier, never an exception" do
      JUNK.each do |junk|
        expect(sig.verify("k", "b", junk)).to be(false)
        expect(sig.verify_chatwoot(secret: "k", timestamp: junk, body: "b", signature: junk)).to be(false)
        expect(sig.verify_slack(signing_secret: "k", timestamp: junk, body: "b", signature: junk)).to be(false)
        expect(sig.verify_standard(secret: "k", id: junk, timestamp: junk, body: "b", signature: junk)).to be(false)
        expect(sig.verify_hub("k", "b", junk)).to be(false)
        expect(sig.verify_base64("k", "b", junk)).to be(false)
        expect(sig.verify_twilio(auth_token: "k", url: junk, params: { "a" => junk }, signature: junk)).to be(false)
        expect(sig.verify_twilio(auth_token: "k", url: junk, params: junk, signature: junk)).to be(false)
        expect(sig.verify_linear(secret: "k", body: junk, signature: junk)).to be(false)
        expect(sig.verify_stripe(secret: "k", body: "b", header: junk)).to be(false)
      end
    end

    it "raises TypeError naming the argument for wrong types" do
      expect { sig.verify_slack(signing_secret: nil, timestamp: "1", body: "b", signature: "v0=") }.to raise_error(TypeError, /signing_secret/)
      expect { sig.verify_hub("k", :body, "sha256=") }.to raise_error(TypeError, /body must be a String/)
      expect { sig.verify_twilio(auth_token: "k", url: "u", params: 5, signature: "s") }.to raise_error(TypeError, /params/)
      expect { sig.verify_stripe(secret: "k", body: "b", header: 5) }.to raise_error(TypeError, /header/)
      expect { sig.verify_standard(secret: "k", id: 1, timestamp: "1", body: "b", signature: "v1,x") }.to raise_error(TypeError, /id/)
      expect { sig.verify_linear(secret: "k", body: "b") }.to raise_error(ArgumentError, /signature/)
    end
  end

  describe "the shared key's keyword" do
    # Slack's documented example and twilio-ruby's test vector, each under both names of the key.
    let(:slack) do
      { timestamp: "1531420618", now: 1_531_420_618, signature: "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
        body: "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar" \
              "&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com" \
              "%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c" }
    end
    let(:slack_key) { "8f742231b10e8888abcd99yyyzzz85a5" }
    let(:twilio) do
      { url: "https://mycompany.com/myapp.php?foo=1&bar=2", signature: "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
        params: { "From" => "+14158675309", "To" => "+18005551212", "CallSid" => "CA1234567890ABCDE", "Caller" => "+14158675309", "Digits" => "1234" } }
    end

    it "is secret: in every keyword verifier, with Slack's signing_secret: and Twilio's auth_token: as aliases" do
      expect(sig.verify_slack(secret: slack_key, **slack)).to be(true)
      expect(sig.verify_slack(signing_secret: slack_key, **slack)).to be(true)
      expect(sig.verify_slack!(secret: slack_key, **slack)).to be(true)
      expect(sig.verify_slack!(signing_secret: slack_key, **slack)).to be(true)
      expect(sig.verify_slack(secret: "other", **slack)).to be(false)
      expect(reason_of { sig.verify_slack!(signing_secret: "other", **slack) }).to eq(:mismatch)

      expect(sig.verify_twilio(secret: "12345", **twilio)).to be(true)
      expect(sig.verify_twilio(auth_token: "12345", **twilio)).to be(true)
      expect(sig.verify_twilio!(secret: "12345", **twilio)).to be(true)
      expect(sig.verify_twilio(auth_token: "54321", **twilio)).to be(false)
      expect(reason_of { sig.verify_twilio!(secret: "54321", **twilio) }).to eq(:mismatch)

      keyword_verifiers = sig.singleton_methods.grep(/\Averify_/).reject { |name| sig.method(name).parameters.none? { |kind, _| %i[key keyreq].include?(kind) } }
      expect(keyword_verifiers).not_to be_empty
      keyword_verifiers.each do |name|
        expect(sig.method(name).parameters.map(&:last)).to include(:secret), "#{name} has no secret: keyword"
      end
    end

    it "takes one of the two names, and names the one given in a TypeError" do
      expect { sig.verify_slack(**slack) }.to raise_error(ArgumentError, "missing keyword: :secret")
      expect { sig.verify_twilio!(**twilio) }.to raise_error(ArgumentError, "missing keyword: :secret")
      expect { sig.verify_slack(secret: slack_key, signing_secret: slack_key, **slack) }
        .to raise_error(ArgumentError, /secret: and signing_secret: are the same argument/)
      expect { sig.verify_twilio(secret: "12345", auth_token: "12345", **twilio) }
        .to raise_error(ArgumentError, /secret: and auth_token: are the same argument/)
      # An explicit nil is a wrong type, not an absent keyword.
      expect { sig.verify_slack(secret: nil, **slack) }.to raise_error(TypeError, "secret must be a String, got NilClass")
      expect { sig.verify_slack(signing_secret: nil, **slack) }.to raise_error(TypeError, "signing_secret must be a String, got NilClass")
      expect { sig.verify_twilio(auth_token: 1, **twilio) }.to raise_error(TypeError, "auth_token must be a String, got Integer")
    end
  end
end
