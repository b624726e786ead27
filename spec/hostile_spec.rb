# frozen_string_literal: true

require "json"
require "logger"
require "stringio"

# What production throws at the extension: misbehaving receivers, leaks, bad input everywhere, and
# secrets that must never come back out.
RSpec.describe "Integrations::Native under hostile conditions" do
  let(:n) { Integrations::Native }

  before { n.configure { |c| c.allowed_private_cidrs = ["127.0.0.1/32"] } }
  after { n.reset_configuration! }

  def rss_mb
    File.read("/proc/self/status")[/VmRSS:\s+(\d+)/, 1].to_i / 1024.0
  end

  def timed
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    result = yield
    [result, Process.clock_gettime(Process::CLOCK_MONOTONIC) - started]
  end

  describe "a misbehaving receiver" do
    it "takes a 200 whose body is cut by a reset as delivered: the receiver answered" do
      server = FaultServer.new(:reset)
      result = n.dispatch(url: server.url, payload: { "a" => 1 }, timeout: 1)
      expect([result.success?, result.status]).to eq([true, 200])
      expect(result.response_excerpt.bytesize).to be < 1000
    ensure
      server&.stop
    end

    {
      reset_early: "a connection reset before any answer",
      trickle: "a status line trickled a byte at a time",
      garbage: "bytes that are not HTTP",
      hangup: "a connection closed without an answer",
    }.each do |mode, what|
      it "classifies #{what} as a retryable failure within the timeout" do
        server = FaultServer.new(mode)
        result, seconds = timed { n.dispatch(url: server.url, payload: { "a" => 1 }, timeout: 1) }
        expect(result).not_to be_success
        expect(result).to be_retryable
        expect(result.error).to be_a(String).and(satisfy { |e| !e.empty? })
        # inline_retries may retry a connection failure once: at most two timeouts and the pause.
        expect(seconds).to be < 3.5
      ensure
        server&.stop
      end
    end

    it "reads at most 64 KiB of a 50 MB answer, keeping memory bounded" do
      server = FaultServer.new(:huge)
      GC.start
      before = rss_mb
      results = Array.new(3) { n.dispatch(url: server.url, payload: {}, timeout: 5) }
      GC.start
      expect(results.map(&:status)).to eq([200, 200, 200])
      expect(results.map { |r| r.response_excerpt.bytesize }).to all(eq(64 * 1024))
      expect(rss_mb - before).to be < 20
    ensure
      server&.stop
    end
  end

  describe "resources" do
    it "does not leak file descriptors over many deliveries" do
      receiver = TestReceiver.new
      endpoints = Array.new(50) { { url: receiver.url } }
      fds = lambda do
        n.dispatch(endpoints: endpoints, payload: { "x" => 1 })
        Dir.children("/proc/self/fd").size
      end
      before = Dir.children("/proc/self/fd").size
      # The pool keeps at most one connection per endpoint in flight here (50, under max_concurrency
      # 64), however the rounds interleave on a busy machine; a leak of even one descriptor a round
      # would pass that bound within the 30 rounds. (Comparing rounds with each other flaked: the
      # pool opens a new connection when a request finds none idle, and how many depends on timing.)
      peak = Array.new(30) { fds.call }.max
      expect(peak - before).to be <= endpoints.size + 10
    ensure
      receiver&.stop
    end
  end

  describe "bad input across the Ruby API" do
    invalid_utf8 = "\xFF\xFE".dup.force_encoding(Encoding::UTF_8)
    huge = "x" * (8 * 1024 * 1024)
    cases = {
      "Signature.hmac_sha256_hex(nil, body)" => [TypeError, -> { Integrations::Native::Signature.hmac_sha256_hex(nil, "b") }],
      "Signature.hmac_sha256_hex(:sym, body)" => [TypeError, -> { Integrations::Native::Signature.hmac_sha256_hex(:k, "b") }],
      "Signature.sign_chatwoot(timestamp: [])" => [TypeError, -> { Integrations::Native::Signature.sign_chatwoot(secret: "s", timestamp: [], body: "b") }],
      "Signature.verify_chatwoot(unknown keyword)" => [ArgumentError, -> { Integrations::Native::Signature.verify_chatwoot(secret: "s", timestamp: "1", body: "b", signature: "x", color: 1) }],
      "Signature.verify_stripe(tolerance: -5)" => [ArgumentError, -> { Integrations::Native::Signature.verify_stripe(secret: "s", body: "b", header: "t=1", tolerance: -5) }],
      "Payload.dump(invalid UTF-8)" => [Integrations::Native::SerializationError, -> { Integrations::Native::Payload.dump([invalid_utf8]) }],
      "Payload.dump(max_nesting: nil)" => [ArgumentError, -> { Integrations::Native::Payload.dump([], max_nesting: nil) }],
      "Payload.webhook(event, Array)" => [TypeError, -> { Integrations::Native::Payload.webhook("e", []) }],
      "dispatch(url: nil)" => [ArgumentError, -> { Integrations::Native.dispatch(url: nil, payload: {}) }],
      "dispatch(url: Symbol)" => [TypeError, -> { Integrations::Native.dispatch(url: :"http://x", payload: {}) }],
      "dispatch(url: invalid UTF-8)" => [ArgumentError, -> { Integrations::Native.dispatch(url: invalid_utf8, payload: {}) }],
      "dispatch(headers: Array)" => [TypeError, -> { Integrations::Native.dispatch(url: "http://127.0.0.1:9/", payload: {}, headers: [1]) }],
      "dispatch(header value nil)" => [TypeError, -> { Integrations::Native.dispatch(url: "http://127.0.0.1:9/", payload: {}, headers: { "X" => nil }) }],
      "dispatch(endpoints: Hash)" => [TypeError, -> { Integrations::Native.dispatch(endpoints: { url: "x" }, payload: {}) }],
      "dispatch(huge URL)" => [ArgumentError, -> { Integrations::Native.dispatch(url: "http://#{huge}", payload: {}) }],
      "configure(timeout: nil)" => [Integrations::Native::ConfigurationError, -> { Integrations::Native.configure { |c| c.timeout = nil } }],
      "configure(allowed_private_cidrs: String)" => [Integrations::Native::ConfigurationError, -> { Integrations::Native.configure { |c| c.allowed_private_cidrs = "10.0.0.0/8" } }],
      "Apps.validate(settings: String)" => [TypeError, -> { Integrations::Native::Apps.validate("slack", "{}") }],
      "Slack::Event.parse(Integer)" => [TypeError, -> { Integrations::Native::Slack::Event.parse(42) }],
      "Linear.new(token: Symbol)" => [TypeError, -> { Integrations::Native::Linear.new(token: :t) }],
    }
    cases.each do |name, (klass, call)|
      it "#{name} raises #{klass} with a clear message" do
        expect { call.call }.to raise_error(klass) { |e| expect(e.message.size).to be_between(5, 500) }
      end
    end

    it "sends nothing when a fan-out has bad entries beside good ones, except to the good ones" do
      receiver = TestReceiver.new
      frozen = { url: receiver.url, secret: "s" }.freeze
      results = n.dispatch(endpoints: [frozen, { url: invalid_utf8 }, { url: receiver.url("/x"), secret: :sym }, nil], payload: "body")
      expect(results.map(&:success?)).to eq([true, false, false, false])
      expect(receiver.received.map(&:path)).to eq(["/hook"])
    ensure
      receiver&.stop
    end
  end

  describe "secrets" do
    # Keeps what a call returned or raised, as text a log or an error page would show.
    def capture(seen)
      value = yield
      seen << value.inspect << value.to_s
    rescue StandardError => e
      seen << e.message << e.inspect << e.full_message
    end

    it "never appear in results, errors, inspect output or log lines" do
      secret = "sUpErSeCrEt-#{rand(1 << 30)}"
      token = "xoxb-#{secret}"
      receiver = TestReceiver.new
      receiver.respond { [500, {}, "no"] }
      log = StringIO.new
      n.configure do |c|
        c.logger = Logger.new(log)
        c.slack_api_url = receiver.url("/api")
        c.openai_api_url = receiver.url("/v1")
      end
      seen = []

      url = receiver.url("/hook?token=#{secret}").sub("http://", "http://user:#{secret}@")
      capture(seen) { n.dispatch(url: url, payload: { "a" => 1 }, secret: secret) }
      capture(seen) { n.dispatch(endpoints: [{ url: url, secret: secret }, { url: "ftp://user:#{secret}@127.0.0.1/" }], payload: {}) }
      capture(seen) { n.dispatch(url: receiver.url, payload: {}, secret: secret, headers: { "X-Token" => "#{secret}\nInjected: 1" }) }
      capture(seen) { n.dispatch(url: "http://127.0.0.2:9/?key=#{secret}", payload: {}, secret: secret) }
      capture(seen) { n::Signature.verify_chatwoot!(secret: secret, timestamp: "1", body: "b", signature: "sha256=00") }
      capture(seen) { n::Signature.verify_standard!(secret: "whsec_#{secret}!!", id: "i", timestamp: "1", body: "b", signature: "v1,x") }
      capture(seen) { n::Signature.verify_slack!(signing_secret: secret, timestamp: "1", body: "b", signature: "v0=00") }
      hook = FakeChatwoot::Hook.new(app_id: "slack", active: true, settings: {}, access_token: token, reference_id: "C1")
      message = FakeChatwoot::Message.new(content: "hi", message_type: :incoming, sender: FakeChatwoot::Sender.new("S"),
                                          conversation: FakeChatwoot::Conversation.new(id: 1, account: FakeChatwoot::Account.new("A"), messages: []))
      capture(seen) { n::SendService.new(hook: hook, message: message).perform }
      openai = FakeChatwoot::Hook.new(app_id: "openai", active: true, settings: { "api_key" => secret })
      incoming = FakeChatwoot::Message.new(content: "hi", message_type: :incoming, conversation: message.conversation)
      capture(seen) { n::SendService.new(hook: openai, message: incoming).perform }
      capture(seen) { n::Linear.new(token: token, api_url: receiver.url("/graphql")).teams }
      capture(seen) { n::WebhookJob.new.perform([{ "url" => url, "secret" => secret }], { "a" => 1 }, "message_created", { "attempt" => 99 }) }

      text = (seen + [log.string]).join("\n")
      expect(seen.size).to be >= 20
      expect(text).not_to include(secret)
      # The requests did carry the secrets where they belong (so the scan looked at real traffic).
      expect(receiver.received.map { |r| r.header("authorization") }.compact).to include("Bearer #{token}", "Bearer #{secret}")
    ensure
      receiver&.stop
    end
  end
end
