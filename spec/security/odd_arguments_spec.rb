# frozen_string_literal: true

require "rack"
require "rack/test"

# Hostile input: odd input must reach the right exception class. Every public method of the
# gem, each argument, each odd value: either the call accepts the value (it returns, or raises one
# of the gem's documented Error subclasses for what it then meets, such as SignatureError from a
# bang verifier or DeliveryError from the address guard), or it refuses it with ArgumentError,
# TypeError or an Integrations::Native::Error subclass whose message names the argument. Never
# RangeError, NoMethodError, EncodingError, FloatDomainError, and never a message that echoes a
# 10 MB argument.
module OddArguments
  N = Integrations::Native

  VALUES = {
    "nil" => nil,
    "2**70" => 2**70,
    "-1" => -1,
    "1.5" => 1.5,
    "NaN" => Float::NAN,
    "Infinity" => Float::INFINITY,
    "Complex(1, 1)" => Complex(1, 1),
    "Rational(1, 3)" => Rational(1, 3),
    "BasicObject.new" => BasicObject.new,
    "invalid UTF-8" => "\xFF\xFEok".dup.force_encoding(Encoding::UTF_8).freeze,
    "binary with high bytes" => "\x80\xFFbin".b.freeze,
    "frozen String" => "frozen",
    "Symbol" => :symbol,
    "10 MB String" => ("x" * (10 * 1024 * 1024)).freeze,
  }.freeze

  # Under GC_STRESS=1 (GC.stress on inside every native call) each collection walks this file's
  # thousands of examples, so the stressed run keeps the values that reach native code with odd
  # bytes or sizes; the others are refused in Ruby before any native call, where stress adds nothing.
  STRESSED = ["invalid UTF-8", "binary with high bytes", "10 MB String", "2**70"].freeze
  RUN = ENV["GC_STRESS"] == "1" ? VALUES.slice(*STRESSED) : VALUES

  STRINGS = ["invalid UTF-8", "binary with high bytes", "frozen String", "10 MB String"].freeze
  NUMBERS = ["2**70", "-1", "1.5", "NaN", "Infinity", "Complex(1, 1)", "Rational(1, 3)"].freeze

  # What each kind of argument accepts among VALUES (everything else must be refused).
  ACCEPTS = {
    bytes: STRINGS,                                   # secrets and bodies: any bytes
    header: ["nil", *STRINGS],                        # a received header: nil is "absent", junk is false
    timestamp: ["nil", "2**70", "-1", *STRINGS],      # a received timestamp: junk is false
    sign_timestamp: ["2**70", "-1", *STRINGS],        # what gets signed: formatted as it is
    tolerance: [],
    now: ["nil", "-1"],
    params: STRINGS,                                  # a JSON body
    param_value: ["nil", "2**70", "-1", "1.5", "NaN", "Infinity", "Rational(1, 3)", "Symbol", *STRINGS],
    nothing: [],
  }.freeze

  NOW = 1_700_000_000
  LOOPBACK = "http://127.0.0.1:9/hook" # refused by the address guard before any connection

  Row = Struct.new(:name, :arg, :accepts, :call, keyword_init: true)

  def self.row(name, arg, accepts, &call)
    Row.new(name: name, arg: arg, accepts: accepts.is_a?(Symbol) ? ACCEPTS.fetch(accepts) : accepts, call: call)
  end

  # The timestamped verifiers and their arguments: [method, valid keywords, {argument => kind}].
  KEYWORD_VERIFIERS = [
    [:verify_chatwoot, { secret: "s", timestamp: NOW, body: "b", signature: "sha256=00", now: NOW },
     { secret: :bytes, timestamp: :timestamp, body: :bytes, signature: :header, tolerance: :tolerance, now: :now }],
    [:verify_slack, { signing_secret: "s", timestamp: NOW, body: "b", signature: "v0=00", now: NOW },
     { signing_secret: :bytes, timestamp: :timestamp, body: :bytes, signature: :header, tolerance: :tolerance, now: :now }],
    [:verify_standard, { secret: "s", id: "msg_1", timestamp: NOW, body: "b", signature: "v1,AA==", now: NOW },
     { secret: :bytes, id: :header, timestamp: :timestamp, body: :bytes, signature: :header, tolerance: :tolerance, now: :now }],
    [:verify_linear, { secret: "s", body: "b", signature: "00", now: NOW },
     { secret: :bytes, body: :bytes, signature: :header, tolerance: :tolerance, now: :now }],
    [:verify_stripe, { secret: "s", body: "b", header: "t=1,v1=00", now: NOW },
     { secret: :bytes, body: :bytes, header: :header, tolerance: :tolerance, now: :now }],
    [:verify_twilio, { auth_token: "s", url: "https://example.com/x", signature: "AA==", params: {} },
     { auth_token: :bytes, url: :bytes, signature: :header, params: :params }],
  ].freeze

  POSITIONAL_VERIFIERS = [
    [:verify_hub, ["s", "b", "sha256=00"], %w[secret body header], %i[bytes bytes header]],
    [:verify_base64, ["s", "b", "AA=="], %w[secret body signature], %i[bytes bytes header]],
  ].freeze

  def self.signature_rows
    s = N::Signature
    rows = []
    KEYWORD_VERIFIERS.each do |method, valid, kinds|
      [method, :"#{method}!"].each do |name|
        kinds.each do |arg, kind|
          rows << row("Signature.#{name}(#{arg}:)", arg.to_s, kind) { |v| s.public_send(name, **valid, arg => v) }
        end
      end
    end
    %i[verify_twilio verify_twilio!].each do |name|
      rows << row("Signature.#{name}(params: { name => value })", "params", :param_value) do |v|
        s.public_send(name, auth_token: "s", url: "https://example.com/x", signature: "AA==", params: { "Body" => v })
      end
      rows << row("Signature.#{name}(params: { value => name })", "params", ["nil", "2**70", "-1", "1.5", "NaN", "Infinity", "Rational(1, 3)", "Symbol", *STRINGS]) do |v|
        # compare_by_identity: a BasicObject has no #hash to put it in an ordinary Hash.
        s.public_send(name, auth_token: "s", url: "https://example.com/x", signature: "AA==",
                            params: {}.compare_by_identity.tap { |h| h[v] = "x" })
      end
    end
    POSITIONAL_VERIFIERS.each do |method, valid, names, kinds|
      [method, :"#{method}!"].each do |name|
        names.each_with_index do |arg, i|
          rows << row("Signature.#{name}(#{arg})", arg, kinds[i]) { |v| s.public_send(name, *valid.dup.tap { |a| a[i] = v }) }
        end
      end
    end
    rows << row("Signature.verify(secret)", "secret", :bytes) { |v| s.verify(v, "b", "00") }
    rows << row("Signature.verify(body)", "body", :bytes) { |v| s.verify("s", v, "00") }
    rows << row("Signature.verify(hex)", "signature", :header) { |v| s.verify("s", "b", v) }
    rows << row("Signature.hmac_sha256_hex(secret)", "secret", :bytes) { |v| s.hmac_sha256_hex(v, "b") }
    rows << row("Signature.hmac_sha256_hex(body)", "body", :bytes) { |v| s.hmac_sha256_hex("s", v) }
    { secret: :bytes, timestamp: :sign_timestamp, body: :bytes }.each do |arg, kind|
      rows << row("Signature.sign_chatwoot(#{arg}:)", arg.to_s, kind) { |v| s.sign_chatwoot(secret: "s", timestamp: NOW, body: "b", arg => v) }
    end
    { secret: :bytes, id: :bytes, timestamp: :sign_timestamp, body: :bytes }.each do |arg, kind|
      rows << row("Signature.sign_standard(#{arg}:)", arg.to_s, kind) do |v|
        s.sign_standard(secret: "s", id: "msg_1", timestamp: NOW, body: "b", arg => v)
      end
    end
    rows
  end

  def self.other_rows
    all_but_basic = VALUES.keys - ["BasicObject.new"]
    app = ->(_env) { [200, {}, ["ok"]] }
    request = ::Rack::Request.new(::Rack::MockRequest.env_for("/x", method: "POST", input: "b"))
    middleware = N::Rack::VerifySignature
    [
      row("Payload.dump(obj)", "payload", ["nil", "2**70", "-1", "1.5", "Complex(1, 1)", "Rational(1, 3)", "Symbol", "frozen String", "10 MB String"]) { |v| N::Payload.dump(v) },
      row("Payload.dump(max_nesting:)", "max_nesting", :nothing) { |v| N::Payload.dump({}, max_nesting: v) },
      row("Payload.webhook(event)", "event", all_but_basic) { |v| N::Payload.webhook(v, {}) },
      row("Payload.webhook(data)", "data", :nothing) { |v| N::Payload.webhook("e", v) },
      row("dispatch(payload:)", "payload", STRINGS) { |v| N.dispatch(url: LOOPBACK, payload: v) },
      row("dispatch(url:)", "url", :nothing) { |v| N.dispatch(url: v, payload: {}) },
      row("dispatch(timeout:)", "timeout", ["nil", "1.5", "Rational(1, 3)"]) { |v| N.dispatch(url: LOOPBACK, payload: {}, timeout: v) },
      row("dispatch(scheme:)", "scheme", :nothing) { |v| N.dispatch(url: LOOPBACK, payload: {}, scheme: v) },
      row("dispatch(delivery_id:)", "delivery_id", ["nil", "frozen String"]) { |v| N.dispatch(url: LOOPBACK, payload: {}, delivery_id: v) },
      row("dispatch(headers: { name => value })", "header", ["frozen String", "10 MB String"]) { |v| N.dispatch(url: LOOPBACK, payload: {}, headers: { "X-Odd" => v }) },
      row("dispatch(secret:)", "secret", ["nil", *STRINGS]) { |v| N.dispatch(url: LOOPBACK, payload: {}, secret: v) },
      row("configure(timeout)", "timeout", ["1.5", "Rational(1, 3)"]) { |v| N.configure { |c| c.timeout = v } },
      row("configure(retry_after_cap)", "retry_after_cap", ["1.5", "Rational(1, 3)"]) { |v| N.configure { |c| c.retry_after_cap = v } },
      row("configure(max_concurrency)", "max_concurrency", :nothing) { |v| N.configure { |c| c.max_concurrency = v } },
      row("configure(max_redirects)", "max_redirects", :nothing) { |v| N.configure { |c| c.max_redirects = v } },
      row("configure(max_response_bytes)", "max_response_bytes", :nothing) { |v| N.configure { |c| c.max_response_bytes = v } },
      row("configure(max_attempts)", "max_attempts", :nothing) { |v| N.configure { |c| c.max_attempts = v } },
      row("configure(allowed_private_hosts: [value])", "allowed_private_hosts", ["Symbol", "frozen String"]) { |v| N.configure { |c| c.allowed_private_hosts = [v] } },
      row("SendService.new(hook:).perform", "hook", :nothing) { |v| N::SendService.new(hook: v, message: FakeChatwoot::Message.new(content: "hi")).perform },
      row("Linear.new(token:)", "token", :bytes) { |v| N::Linear.new(token: v) },
      row("Linear.new(api_url:).teams", "url", :nothing) { |v| N::Linear.new(token: "t", api_url: v).teams },
      row("Linear#search_issues(term)", "term", ["frozen String", "10 MB String"]) { |v| N::Linear.new(token: "t", api_url: LOOPBACK).search_issues(v) },
      row("Slack::Event.parse(body)", "body", :bytes) { |v| N::Slack::Event.parse(v) },
      row("GoogleTranslate.new(hook:)", "hook", :nothing) { |v| N::GoogleTranslate.new(hook: v) },
      row("Dyte.new(hook:)", "hook", :nothing) { |v| N::Dyte.new(hook: v) },
      row("OpenAI.process_event(hook:)", "hook", :nothing) { |v| N::OpenAI.process_event(hook: v, event: { name: "rephrase", data: {} }) },
      row("OpenAI.process_event(event:)", "event", :nothing) do |v|
        N::OpenAI.process_event(hook: FakeChatwoot::Hook.new(app_id: "openai", active: true, settings: { "api_key" => "k" }), event: v)
      end,
      row("Linear#create_issue(priority:)", "priority", ["nil"]) do |v|
        N::Linear.new(token: "t", api_url: LOOPBACK).create_issue(team_id: "team-1", title: "Refund", priority: v)
      end,
      row("Apps.find(app_id)", "app_id", ["nil", "Symbol", *STRINGS]) { |v| N::Apps.find(v) },
      row("Apps.validate(app_id)", "app", :nothing) { |v| N::Apps.validate(v, {}) },
      row("Apps.validate(settings)", "settings", ["nil"]) { |v| N::Apps.validate("webhook", v) },
      row("Apps.validate(settings: { field => value })", "settings",
          ["nil", "2**70", "-1", "1.5", "Complex(1, 1)", "Rational(1, 3)", "Symbol", "frozen String", "10 MB String"]) do |v|
        N::Apps.validate("webhook", { "url" => v })
      end,
      row("Rack::VerifySignature.new(max_body_bytes:)", "max_body_bytes", :nothing) { |v| middleware.new(app, {}, max_body_bytes: v) },
      row("Rack::VerifySignature.new(route path)", "route paths", STRINGS) do |v|
        middleware.new(app, {}.compare_by_identity.tap { |routes| routes[v] = { scheme: :slack, secret: "s" } })
      end,
      # nil is a missing secret, which on_missing_secret decides (here: every request rejected).
      row("Rack::VerifySignature.new(secret:)", "secret", ["nil", "invalid UTF-8", "binary with high bytes", "frozen String", "10 MB String"]) do |v|
        middleware.new(app, { "/x" => { scheme: :slack, secret: v, on_missing_secret: :reject } })
      end,
      row("Rack::VerifySignature.new(scheme:)", "scheme", :nothing) { |v| middleware.new(app, { "/x" => { scheme: v, secret: "s" } }) },
      row("Rack::VerifySignature.new(tolerance:)", "tolerance", ["nil"]) { |v| middleware.new(app, { "/x" => { scheme: :slack, secret: "s", tolerance: v } }) },
      row("Rack::VerifySignature.new(header:)", "header", ["nil", *STRINGS]) { |v| middleware.new(app, { "/x" => { scheme: :base64, secret: "s", header: v } }) },
      row("Rack.verify!(request)", "request", :nothing) { |v| N::Rack.verify!(v, scheme: :slack, secret: "s") },
      row("Rack.verify!(secret:)", "secret", STRINGS) { |v| N::Rack.verify!(request, scheme: :slack, secret: v) },
      row("Rack.verify!(scheme:)", "scheme", :nothing) { |v| N::Rack.verify!(request, scheme: v, secret: "s") },
      row("Rack.verify!(tolerance:)", "tolerance", ["nil"]) { |v| N::Rack.verify!(request, scheme: :slack, secret: "s", tolerance: v) },
    ]
  end

  ROWS = (signature_rows + other_rows).freeze

  ALLOWED = [ArgumentError, TypeError, N::Error].freeze
end

RSpec.describe "odd arguments across the public API" do
  after(:all) { Integrations::Native.reset_configuration! }

  OddArguments::ROWS.each do |row|
    describe row.name do
      OddArguments::RUN.each do |label, value|
        accepted = row.accepts.include?(label)
        it "#{accepted ? "accepts" : "refuses"} #{label}#{accepted ? "" : " naming #{row.arg}"}" do
          outcome = begin
            row.call.call(value)
            nil
          rescue Exception => e # rubocop:disable Lint/RescueException
            e
          end
          Integrations::Native.reset_configuration! if row.name.start_with?("configure")

          if outcome
            expect(OddArguments::ALLOWED.any? { |klass| outcome.is_a?(klass) })
              .to be(true), "#{outcome.class}: #{outcome.message[0, 300]}"
            expect(outcome.message.bytesize).to be <= 1000
          end
          if accepted
            # Returned, or met one of the gem's own failures after accepting the argument.
            expect(outcome.nil? || !(outcome.is_a?(ArgumentError) || outcome.is_a?(TypeError)))
              .to be(true), "refused an acceptable value: #{outcome&.class}: #{outcome&.message.to_s[0, 300]}"
          else
            expect(outcome).not_to be_nil, "accepted #{label} without a word"
            expect(outcome.message).to include(row.arg)
          end
        end
      end
    end
  end

  describe "Rack::VerifySignature with odd bytes in the request" do
    include Rack::Test::Methods

    let(:app) do
      inner = ->(_env) { [200, { "content-type" => "text/plain" }, ["reached the app"]] }
      Rack::Builder.new do
        use Integrations::Native::Rack::VerifySignature,
            "/chatwoot" => { scheme: :chatwoot, secret: "s" }, "/slack" => { scheme: :slack, secret: "s" },
            "/standard" => { scheme: :standard, secret: "s" }, "/hub" => { scheme: :hub, secret: "s" },
            "/base64" => { scheme: :base64, secret: "s" }, "/twilio" => { scheme: :twilio, secret: "s" },
            "/linear" => { scheme: :linear, secret: "s" }, "/stripe" => { scheme: :stripe, secret: "s" }
        run inner
      end
    end

    odd = ["\xFF\xFE".b, "\x80".b, "v0=#{"\xFF" * 64}".b, "t=\xFF,v1=\xFE".b, "x" * 100_000, "1" * 40, "-1", ""]
    headers = %w[X-Chatwoot-Signature X-Chatwoot-Timestamp X-Slack-Signature X-Slack-Request-Timestamp webhook-id
                 webhook-timestamp webhook-signature X-Hub-Signature-256 X-Shopify-Hmac-Sha256 X-Twilio-Signature
                 Linear-Signature Stripe-Signature]
    bodies = ["\xFF\xFE{".b, "a[b]=1&a=%zz&c=%FF", "{\"webhookTimestamp\":#{2**70}}", "[" * 10_000]
    # Each request makes a few stressed native calls; under GC_STRESS=1 a sample of the product.
    if ENV["GC_STRESS"] == "1"
      odd = odd.first(3)
      bodies = bodies.first(2)
    end

    %w[chatwoot slack standard hub base64 twilio linear stripe].each do |scheme|
      it "answers 401, never 500, for #{scheme} requests with odd header and body bytes" do
        odd.product(bodies).each do |value, body|
          env = headers.to_h { |name| ["HTTP_#{name.upcase.tr("-", "_")}", value] }
          env["CONTENT_TYPE"] = scheme == "twilio" ? "application/x-www-form-urlencoded" : "application/json"
          post "/#{scheme}", body, env
          expect(last_response.status).to eq(401), "#{value.inspect[0, 40]} / #{body.inspect[0, 40]}: #{last_response.body[0, 200]}"
        end
      end
    end
  end
end
