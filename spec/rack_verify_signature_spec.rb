# frozen_string_literal: true

require "rack/test"
require "openssl"
require "base64"

RSpec.describe "Integrations::Native::Rack::VerifySignature" do
  include Rack::Test::Methods

  let(:n) { Integrations::Native }
  let(:seen) { [] }
  let(:routes) do
    {
      "/webhooks/chatwoot" => { scheme: :chatwoot, secret: "cw-secret" },
      "/webhooks/slack" => { scheme: :slack, secret: ->(_request) { "slack-secret" } },
      "/webhooks/shopify" => { scheme: :base64, secret: "shop-secret" },
      "/webhooks/line" => { scheme: :base64, secret: "line-secret", header: "X-Line-Signature" },
      "/webhooks/meta" => { scheme: :hub, secret: "meta-secret" },
      "/webhooks/stripe" => { scheme: :stripe, secret: "whsec_s" },
      "/webhooks/twilio" => { scheme: :twilio, secret: "twilio-token" },
      %r{\A/webhooks/std/\d+\z} => { scheme: :standard, secret: ->(request) { request.path.end_with?("/1") ? "std-secret" : nil } },
    }
  end

  # A real Rack app behind the middleware; it records what it got and echoes the body it can read.
  let(:app) do
    recorded = seen
    table = routes
    inner = lambda do |env|
      body = env["rack.input"].read
      recorded << { verified: env["integrations_native.verified"], event: env["integrations_native.event"], body: body }
      [200, { "content-type" => "text/plain" }, ["app got #{body.bytesize} bytes"]]
    end
    Rack::Builder.new do
      use Integrations::Native::Rack::VerifySignature, table, max_body_bytes: 1024 * 1024
      run inner
    end
  end

  let(:body) { '{"event":"message_created","id":1}' }

  def chatwoot_headers(secret, body, ts = Time.now.to_i)
    { "HTTP_X_CHATWOOT_TIMESTAMP" => ts.to_s,
      "HTTP_X_CHATWOOT_SIGNATURE" => n::Signature.sign_chatwoot(secret: secret, timestamp: ts, body: body),
      "CONTENT_TYPE" => "application/json" }
  end

  it "passes a verified Chatwoot webhook to the app with the body intact and the event parsed" do
    post "/webhooks/chatwoot", body, chatwoot_headers("cw-secret", body)
    expect(last_response.status).to eq(200)
    expect(last_response.body).to eq("app got #{body.bytesize} bytes")
    expect(seen.last).to eq(verified: :chatwoot, event: { "event" => "message_created", "id" => 1 }, body: body)
  end

  it "answers 401 with a short JSON error and never calls the app when verification fails" do
    post "/webhooks/chatwoot", body, chatwoot_headers("wrong", body)
    expect(last_response.status).to eq(401)
    expect(JSON.parse(last_response.body)).to eq("error" => "invalid_signature", "reason" => "mismatch")
    post "/webhooks/chatwoot", body, chatwoot_headers("cw-secret", body, Time.now.to_i - 3600)
    expect(JSON.parse(last_response.body)["reason"]).to eq("expired")
    post "/webhooks/chatwoot", body, { "CONTENT_TYPE" => "application/json" }
    expect(JSON.parse(last_response.body)["reason"]).to eq("missing")
    expect(seen).to be_empty
  end

  it "verifies Slack, Shopify, LINE, Meta, Stripe and Standard Webhooks requests" do
    ts = Time.now.to_i
    post "/webhooks/slack", body, "HTTP_X_SLACK_REQUEST_TIMESTAMP" => ts.to_s,
                                  "HTTP_X_SLACK_SIGNATURE" => "v0=#{OpenSSL::HMAC.hexdigest("SHA256", "slack-secret", "v0:#{ts}:#{body}")}"
    expect(last_response.status).to eq(200)
    post "/webhooks/shopify", body, "HTTP_X_SHOPIFY_HMAC_SHA256" => Base64.strict_encode64(OpenSSL::HMAC.digest("SHA256", "shop-secret", body))
    expect(last_response.status).to eq(200)
    post "/webhooks/line", body, "HTTP_X_LINE_SIGNATURE" => Base64.strict_encode64(OpenSSL::HMAC.digest("SHA256", "line-secret", body))
    expect(last_response.status).to eq(200)
    post "/webhooks/meta", body, "HTTP_X_HUB_SIGNATURE_256" => "sha256=#{OpenSSL::HMAC.hexdigest("SHA256", "meta-secret", body)}"
    expect(last_response.status).to eq(200)
    post "/webhooks/stripe", body, "HTTP_STRIPE_SIGNATURE" => "t=#{ts},v1=#{OpenSSL::HMAC.hexdigest("SHA256", "whsec_s", "#{ts}.#{body}")}"
    expect(last_response.status).to eq(200)
    signature = n::Signature.sign_standard(secret: "std-secret", id: "msg_1", timestamp: ts, body: body)
    post "/webhooks/std/1", body, "HTTP_WEBHOOK_ID" => "msg_1", "HTTP_WEBHOOK_TIMESTAMP" => ts.to_s, "HTTP_WEBHOOK_SIGNATURE" => signature
    expect(last_response.status).to eq(200)
    expect(seen.map { |s| s[:verified] }).to eq(%i[slack base64 base64 hub stripe standard])
  end

  it "treats a secret resolver that finds nothing as missing" do
    post "/webhooks/std/2", body, "HTTP_WEBHOOK_ID" => "msg_1", "HTTP_WEBHOOK_TIMESTAMP" => "1", "HTTP_WEBHOOK_SIGNATURE" => "v1,x"
    expect(last_response.status).to eq(401)
    expect(JSON.parse(last_response.body)["reason"]).to eq("missing")
  end

  it "verifies Twilio form posts against the request URL and leaves the params readable" do
    params = { "From" => "+15005550006", "Body" => "hello" }
    url = "http://example.org/webhooks/twilio"
    data = url + params.sort.join
    signature = Base64.strict_encode64(OpenSSL::HMAC.digest("SHA1", "twilio-token", data))
    post "/webhooks/twilio", params, "HTTP_X_TWILIO_SIGNATURE" => signature
    expect(last_response.status).to eq(200)
    expect(Rack::Utils.parse_query(seen.last[:body])).to eq(params)
    post "/webhooks/twilio", params.merge("Body" => "changed"), "HTTP_X_TWILIO_SIGNATURE" => signature
    expect(last_response.status).to eq(401)
  end

  it "accepts Svix's svix-id/-timestamp/-signature on a :standard route, svix-* first as the svix library reads them" do
    ts = Time.now.to_i
    signature = n::Signature.sign_standard(secret: "std-secret", id: "msg_svix", timestamp: ts, body: body)
    post "/webhooks/std/1", body, "HTTP_SVIX_ID" => "msg_svix", "HTTP_SVIX_TIMESTAMP" => ts.to_s, "HTTP_SVIX_SIGNATURE" => signature
    expect(last_response.status).to eq(200), last_response.body
    # Mixed families, header by header; a svix-* header wins over its webhook-* twin.
    post "/webhooks/std/1", body, "HTTP_SVIX_ID" => "msg_svix", "HTTP_WEBHOOK_TIMESTAMP" => ts.to_s, "HTTP_SVIX_SIGNATURE" => signature
    expect(last_response.status).to eq(200), last_response.body
    post "/webhooks/std/1", body, "HTTP_SVIX_ID" => "msg_other", "HTTP_WEBHOOK_ID" => "msg_svix",
                                  "HTTP_SVIX_TIMESTAMP" => ts.to_s, "HTTP_SVIX_SIGNATURE" => signature
    expect(JSON.parse(last_response.body)["reason"]).to eq("mismatch")
    expect(seen.map { |s| s[:verified] }).to eq(%i[standard standard])
  end

  it "verifies Twilio forms with repeated names from the raw body, values sorted and deduplicated as Twilio signs them" do
    url = "http://example.org/webhooks/twilio"
    raw = "To=%2B1415&MediaUrl=https%3A%2F%2Fm%2F2&MediaUrl=https%3A%2F%2Fm%2F1&MediaUrl=https%3A%2F%2Fm%2F2&NumMedia=2"
    data = "#{url}MediaUrlhttps://m/1MediaUrlhttps://m/2NumMedia2To+1415"
    signature = Base64.strict_encode64(OpenSSL::HMAC.digest("SHA1", "twilio-token", data))
    post "/webhooks/twilio", raw, "CONTENT_TYPE" => "application/x-www-form-urlencoded", "HTTP_X_TWILIO_SIGNATURE" => signature
    expect(last_response.status).to eq(200), last_response.body
    # Dropping one of the distinct values changes what was signed.
    post "/webhooks/twilio", raw.sub("&MediaUrl=https%3A%2F%2Fm%2F1", ""),
         "CONTENT_TYPE" => "application/x-www-form-urlencoded", "HTTP_X_TWILIO_SIGNATURE" => signature
    expect(JSON.parse(last_response.body)["reason"]).to eq("mismatch")
    # SharedKey webhooks: HMAC-SHA256, named by the signature-settings header.
    sha256 = Base64.strict_encode64(OpenSSL::HMAC.digest("SHA256", "twilio-token", data))
    post "/webhooks/twilio", raw, "CONTENT_TYPE" => "application/x-www-form-urlencoded", "HTTP_X_TWILIO_SIGNATURE" => sha256,
                                  "HTTP_X_TWILIO_WEBHOOKS_SIGNATURE_SETTINGS" => "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"
    expect(last_response.status).to eq(200), last_response.body
    post "/webhooks/twilio", raw, "CONTENT_TYPE" => "application/x-www-form-urlencoded", "HTTP_X_TWILIO_SIGNATURE" => sha256
    expect(JSON.parse(last_response.body)["reason"]).to eq("mismatch")
  end

  it "passes other paths through untouched and refuses oversized bodies" do
    post "/elsewhere", "anything"
    expect(last_response.status).to eq(200)
    expect(seen.last[:verified]).to be_nil
    post "/webhooks/chatwoot", "x" * (1024 * 1024 + 1), chatwoot_headers("cw-secret", "x")
    expect(last_response.status).to eq(413)
  end

  it "protects every spelling of a String route, under any mount point" do
    ["/webhooks/chatwoot/", "//webhooks//chatwoot", "/webhooks/chatwoot.json", "/webhooks/%63hatwoot"].each do |spelling|
      # PATH_INFO as a server passes it (a URI parser would read "//webhooks" as a host).
      env = Rack::MockRequest.env_for("/", method: "POST", input: body, "CONTENT_TYPE" => "application/json")
      env["PATH_INFO"] = spelling
      expect(app.call(env).first).to eq(401), spelling
    end
    post "/webhooks/chatwoot.json", body, chatwoot_headers("cw-secret", body)
    expect(last_response.status).to eq(200)
    mounted = Integrations::Native::Rack::VerifySignature.new(app, "/chat/webhooks/chatwoot" => { scheme: :chatwoot, secret: "s" })
    env = Rack::MockRequest.env_for("/webhooks/chatwoot/", method: "POST", input: body, "SCRIPT_NAME" => "/chat")
    expect(mounted.call(env).first).to eq(401)
    expect(seen.size).to eq(1)
  end

  it "refuses a max_body_bytes it could not use at build time" do
    [nil, -2, 1.5, "5", 2**70].each do |max|
      expect { Integrations::Native::Rack::VerifySignature.new(->(_) {}, {}, max_body_bytes: max) }
        .to raise_error(ArgumentError, /max_body_bytes must be an Integer/)
    end
    expect { Integrations::Native::Rack::VerifySignature.new(->(_) {}, {}, "max_body_bytes" => 0) }.not_to raise_error
  end

  it "refuses route mistakes that would leave a path open or fail every request" do
    build = ->(routes) { Integrations::Native::Rack::VerifySignature.new(->(_) {}, routes) }
    expect { build.(:"/x" => { scheme: :slack, secret: "s" }) }.to raise_error(TypeError, /route paths must be Strings or Regexps/) # rubocop:disable Style/HashSyntax -- RuboCop 1.39 crashes on a quoted Symbol key
    expect { build.("/x" => { scheme: :slack, secret: "s", tolerence: 5 }) }.to raise_error(ArgumentError, /unknown option\(s\): tolerence/)
    # An empty secret is a missing one: skipped with a warning by default (spec/rails_app_spec.rb), refused here.
    expect { build.("/x" => { scheme: :slack, secret: "", on_missing_secret: :raise }) }.to raise_error(ArgumentError, /has no secret/)
    expect { build.("/x" => { scheme: :slack, secret: "s", header: "X-Sig" }) }.to raise_error(ArgumentError, /base64 scheme only/)
    expect { build.("/x" => { scheme: :slack, secret: "s", tolerance: 2**64 }) }.to raise_error(ArgumentError, /tolerance/)
    expect { build.("/x" => { scheme: :standard, secret: "whsec_!!" }) }.to raise_error(ArgumentError, %r{route "/x": secret: .*whsec_})
    expect { build.("/x" => "secret") }.to raise_error(TypeError, /must be a Hash/)
    expect { build.([["/x", { scheme: :slack, secret: "s" }]]) }.to raise_error(TypeError, /routes must be a Hash/)
  end

  describe "Integrations::Native::Rack.verify! (the controller-level form)" do
    def request_for(body, headers)
      Rack::Request.new(Rack::MockRequest.env_for("/anywhere", { method: "POST", input: body }.merge(headers)))
    end

    it "answers true for a signed request and leaves the body readable" do
      request = request_for(body, chatwoot_headers("cw-secret", body))
      expect(n::Rack.verify!(request, scheme: :chatwoot, secret: "cw-secret")).to be(true)
      expect(request.body.read).to eq(body)
      expect(n::Rack.verify!(request, scheme: "chatwoot", secret: ->(r) { r.path == "/anywhere" ? "cw-secret" : nil })).to be(true)
    end

    it "raises SignatureError with the reason otherwise" do
      expect { n::Rack.verify!(request_for(body, chatwoot_headers("wrong", body)), scheme: :chatwoot, secret: "cw-secret") }
        .to raise_error(n::SignatureError) { |e| expect(e.reason).to eq(:mismatch) }
      expect { n::Rack.verify!(request_for(body, {}), scheme: :slack, secret: "s") }
        .to raise_error(n::SignatureError) { |e| expect(e.reason).to eq(:missing) }
      expect { n::Rack.verify!(request_for(body, chatwoot_headers("s", body)), scheme: :chatwoot, secret: ->(_) {}) }
        .to raise_error(n::SignatureError) { |e| expect(e.reason).to eq(:missing) }
      expect { n::Rack.verify!(request_for(body, {}), scheme: :md5, secret: "s") }.to raise_error(ArgumentError, /unknown scheme/)
    end
  end

  it "refuses a route without a scheme or secret at build time" do
    expect { Integrations::Native::Rack::VerifySignature.new(->(_) {}, "/x" => { scheme: :md5, secret: "s" }) }
      .to raise_error(ArgumentError, /unknown scheme/)
    expect { Integrations::Native::Rack::VerifySignature.new(->(_) {}, "/x" => { scheme: :slack }) }
      .to raise_error(ArgumentError, /secret/)
  end
end
