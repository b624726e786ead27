# frozen_string_literal: true

require "openssl"
require "base64"
require "timeout"

RSpec.describe "Integrations::Native.dispatch" do
  let(:n) { Integrations::Native }
  # Started on first use only: stopping a WEBrick that never served anything waits for its poll loop.
  def receiver
    @receiver ||= TestReceiver.new
  end
  let(:payload) { fixture_json("message_created.json").except("event") }

  before { n.configure { |c| c.allowed_private_cidrs = ["127.0.0.1/32"] } }
  after do
    @receiver&.stop
    n.reset_configuration!
  end

  describe "signing" do
    it "sends Chatwoot's body and headers, signed over the exact bytes sent" do
      result = n.dispatch(url: receiver.url, payload: payload, secret: "s3cret", event: "message_created")
      expect(result).to be_success
      expect([result.status, result.attempts, result.retryable?]).to eq([200, 1, false])
      expect(result.response_excerpt).to eq("ok")
      expect(result.duration).to be_a(Float).and be >= 0

      request = receiver.received.last
      expect(request.body).to eq(JSON.generate(payload.merge("event" => "message_created")))
      expect(JSON.parse(request.body)["event"]).to eq("message_created")
      expect(request.header("content-type")).to eq("application/json")
      expect(request.header("x-chatwoot-delivery")).to eq(result.delivery_id).and match(/\A\h{8}-\h{4}-4\h{3}-[89ab]\h{3}-\h{12}\z/)
      ts = request.header("x-chatwoot-timestamp")
      expect(ts.to_i).to be_within(5).of(Time.now.to_i)
      expected = "sha256=#{OpenSSL::HMAC.hexdigest("SHA256", "s3cret", "#{ts}.#{request.body}")}"
      expect(request.header("x-chatwoot-signature")).to eq(expected)
      expect(n::Signature.verify_chatwoot(secret: "s3cret", timestamp: ts, body: request.body,
                                          signature: request.header("x-chatwoot-signature"))).to be(true)
    end

    it "sends a String payload as it is and leaves an unsigned delivery unsigned (but identified)" do
      result = n.dispatch(url: receiver.url, payload: "raw \u00e9 body", delivery_id: "fixed-id-1")
      expect(result).to be_success
      request = receiver.received.last
      expect(request.body.force_encoding("UTF-8")).to eq("raw \u00e9 body")
      expect(request.header("x-chatwoot-signature")).to be_nil
      expect(request.header("x-chatwoot-timestamp")).to be_nil
      expect(request.header("x-chatwoot-delivery")).to eq("fixed-id-1")
      expect(result.delivery_id).to eq("fixed-id-1")
    end

    it "signs the bare body with :hex_body (the seed's WebhookJob)" do
      n.dispatch(url: receiver.url, payload: { "a" => 1 }, secret: "k", scheme: :hex_body)
      request = receiver.received.last
      expect(request.header("x-chatwoot-signature")).to eq(OpenSSL::HMAC.hexdigest("SHA256", "k", request.body))
    end

    it "signs Standard Webhooks with a whsec_ secret" do
      key = Random.new(1).bytes(24)
      result = n.dispatch(url: receiver.url, payload: { "a" => 1 }, secret: "whsec_#{Base64.strict_encode64(key)}", scheme: :standard)
      request = receiver.received.last
      id = request.header("webhook-id")
      ts = request.header("webhook-timestamp")
      expect(id).to eq(result.delivery_id)
      mac = Base64.strict_encode64(OpenSSL::HMAC.digest("SHA256", key, "#{id}.#{ts}.#{request.body}"))
      expect(request.header("webhook-signature")).to eq("v1,#{mac}")
    end

    it "merges custom headers but keeps its own signature headers" do
      n.dispatch(url: receiver.url, payload: {}, secret: "k", headers: { "X-Trace" => "t-1", "X-Chatwoot-Signature" => "forged" })
      request = receiver.received.last
      expect(request.header("x-trace")).to eq("t-1")
      expect(request.header("x-chatwoot-signature")).to start_with("sha256=")
    end
  end

  describe "fan-out" do
    it "delivers to every endpoint concurrently and answers in endpoint order" do
      # The two slow endpoints each answer only once the other has arrived: delivered one after the
      # other, the first would wait out its 5 s and answer 504.
      lock = Mutex.new
      arrived = ConditionVariable.new
      paths = []
      receiver.respond do |request, _|
        lock.synchronize { paths << request.path; arrived.broadcast }
        case request.path
        when "/slow", "/slow2"
          other = request.path == "/slow" ? "/slow2" : "/slow"
          deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 5
          lock.synchronize do
            arrived.wait(lock, 0.1) until paths.include?(other) || Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
          end
          paths.include?(other) ? [200, {}, "slow"] : [504, {}, "alone"]
        when "/broken" then [500, {}, "boom"]
        when "/gone" then [410, {}, "bye"]
        else [204, {}, ""]
        end
      end
      endpoints = %w[/slow /broken /gone /fine].map { |path| { url: receiver.url(path), secret: "s-#{path}" } }
      results = n.dispatch(endpoints: endpoints + [{ url: receiver.url("/slow2") }], payload: payload, event: "message_created")

      expect(results.map(&:url)).to eq(endpoints.map { |e| e[:url] } + [receiver.url("/slow2")])
      expect(results.map(&:status)).to eq([200, 500, 410, 204, 200])
      expect(results.map(&:success?)).to eq([true, false, false, true, true])
      expect(results[1]).to be_retryable
      expect(results[2]).not_to be_retryable
      expect(results[2].error).to include("410")
      expect(results[1].response_excerpt).to eq("boom")
      expect(results.map(&:delivery_id).uniq.size).to eq(5)
      # One body, serialized once, identical at every endpoint; each signed with its own secret.
      bodies = receiver.received.map(&:body).uniq
      expect(bodies.size).to eq(1)
    end

    it "keeps at most max_concurrency deliveries in flight in the process, across fan-outs on two threads" do
      n.configure do |c|
        c.allowed_private_cidrs = ["127.0.0.1/32"]
        c.max_concurrency = 4
      end
      # The receiver holds each request a moment; its arrival and finish times show how many were in
      # flight at once (a request is recorded finished before it is answered, so a freed slot is
      # never counted twice).
      receiver.respond { sleep 0.05; [200, {}, "ok"] }
      endpoints = Array.new(24) { |i| { url: receiver.url("/hook/#{i}"), secret: "s" } }
      results = Array.new(2) { Thread.new { n.dispatch(endpoints: endpoints, payload: payload, event: "e") } }.map(&:value)

      results.each do |list|
        expect(list.map(&:url)).to eq(endpoints.map { |e| e[:url] })
        expect(list).to all(be_success)
      end
      expect(receiver.received.size).to eq(48)
      expect(receiver.peak_in_flight).to eq(4)
    end

    it "sends the shared headers to every endpoint, under each endpoint's own" do
      endpoints = [{ url: receiver.url("/plain") }, { "url" => receiver.url("/own"), "headers" => { "X-Team" => "billing" } }]
      results = n.dispatch(endpoints: endpoints, payload: {}, headers: { "X-Team" => "support", "X-Source" => "chatwoot" })
      expect(results).to all(be_success)
      seen = receiver.received.to_h { |r| [r.path, [r.header("x-team"), r.header("x-source")]] }
      expect(seen).to eq("/plain" => %w[support chatwoot], "/own" => %w[billing chatwoot])
    end

    it "turns a bad endpoint into that endpoint's failed result and delivers the rest" do
      endpoints = [
        { url: receiver.url("/one") }, { url: "ftp://127.0.0.1/x" }, { url: 42 }, { "url" => receiver.url("/two") },
        { url: receiver.url("/three"), headers: { "X-Bad" => "a\r\nInjected: yes" } }, "not a hash",
        { url: receiver.url("/four"), secret: 123 }, { url: receiver.url("/five"), colour: "red" },
        { url: receiver.url("/six"), 7 => "seven" },
      ]
      results = n.dispatch(endpoints: endpoints, payload: { "x" => 1 })
      expect(results.map(&:success?)).to eq([true, false, false, true, false, false, false, false, false])
      expect(results[1..].reject(&:success?)).to all(be_invalid)
      expect(results[1].error).to include("http or https")
      expect(results[2].error).to include("url must be a String")
      expect(results[4].error).to include("X-Bad").and include("newline")
      expect(results[4].error).not_to include("Injected")
      expect(results[5].error).to include("Hash")
      expect(results[6].error).to include("secret must be a String")
      expect(results[7].error).to include("colour")
      expect(results[8].error).to include("unknown endpoint key(s): 7")
      expect(receiver.received.map(&:path).sort).to eq(%w[/one /two])
    end
  end

  describe "bad input to a single dispatch" do
    it "raises ArgumentError or TypeError with a clear message" do
      expect { n.dispatch(url: "ftp://x/", payload: {}) }.to raise_error(ArgumentError, /http or https/)
      expect { n.dispatch(url: "http://exa mple.com/", payload: {}) }.to raise_error(ArgumentError, /valid URL/)
      expect { n.dispatch(url: receiver.url, payload: {}, headers: { "X" => "a\nb" }) }.to raise_error(ArgumentError, /newline/)
      expect { n.dispatch(url: receiver.url, payload: {}, scheme: :md5) }.to raise_error(ArgumentError, /scheme must be one of/)
      expect { n.dispatch(url: receiver.url, payload: {}, secret: 5) }.to raise_error(TypeError, /secret must be a String/)
      expect { n.dispatch(url: receiver.url, payload: 5) }.to raise_error(TypeError, /payload must be/)
      expect { n.dispatch(url: receiver.url, payload: {}, timeout: -1) }.to raise_error(ArgumentError, /timeout/)
      expect { n.dispatch(url: receiver.url, payload: {}, colour: 1) }.to raise_error(ArgumentError, /colour/)
      expect { n.dispatch(payload: {}) }.to raise_error(ArgumentError, /url: .* or endpoints:/)
      expect { n.dispatch(url: receiver.url, endpoints: [], payload: {}) }.to raise_error(ArgumentError, /not both/)
      expect { n.dispatch(endpoints: [], payload: {}) }.to raise_error(ArgumentError, /empty/)
      expect { n.dispatch(url: receiver.url, payload: { "bad" => "\xFF".b.force_encoding("UTF-8") }) }
        .to raise_error(Integrations::Native::SerializationError)
      expect(receiver.received).to be_empty
    end
  end

  describe "the address guard" do
    before { n.reset_configuration! }

    it "refuses loopback by default, without connecting, as a final failure" do
      result = n.dispatch(url: receiver.url, payload: {})
      expect(result).not_to be_success
      expect(result).not_to be_retryable
      expect(result.attempts).to eq(0)
      expect(result.error).to include("address guard").and include("loopback")
      expect(receiver.received).to be_empty
    end

    it "refuses names that resolve to loopback, and odd spellings of loopback" do
      ["http://localhost:#{receiver.port}/", "http://2130706433:#{receiver.port}/", "http://0x7f.1:#{receiver.port}/",
       "http://[::ffff:127.0.0.1]:#{receiver.port}/", "http://169.254.169.254/latest/meta-data"].each do |url|
        result = n.dispatch(url: url, payload: {})
        expect(result.error).to include("address guard"), "#{url}: #{result.error}"
        expect(result).not_to be_retryable
      end
      expect(receiver.received).to be_empty
    end

    it "opens loopback with allow_private_addresses, allowed_private_hosts or allowed_private_cidrs" do
      n.configure { |c| c.allow_private_addresses = true }
      expect(n.dispatch(url: receiver.url, payload: {})).to be_success
      n.reset_configuration!
      n.configure { |c| c.allowed_private_hosts = ["localhost"] }
      expect(n.dispatch(url: "http://localhost:#{receiver.port}/", payload: {})).to be_success
      expect(n.dispatch(url: receiver.url, payload: {}).error).to include("address guard")
      n.reset_configuration!
      n.configure { |c| c.allowed_private_cidrs = ["127.0.0.0/8"] }
      expect(n.dispatch(url: receiver.url, payload: {})).to be_success
      expect(receiver.received.size).to eq(3)
    end

    it "keeps cloud metadata closed even with allow_private_addresses" do
      error = in_isolated_network(<<~RUBY)
        Integrations::Native.configure { |c| c.allow_private_addresses = true }
        Integrations::Native.dispatch(url: "http://169.254.169.254/latest/meta-data", payload: {}).error
      RUBY
      expect(error).to include("cloud metadata")
    end

    it "rejects invalid guard settings with ConfigurationError" do
      expect { n.configure { |c| c.allowed_private_cidrs = ["10.0.0.0/99"] } }.to raise_error(n::ConfigurationError, /CIDR/)
      expect { n.configure { |c| c.timeout = 0 } }.to raise_error(n::ConfigurationError, /timeout/)
      expect { n.configure { |c| c.max_concurrency = "64" } }.to raise_error(n::ConfigurationError, /max_concurrency/)
      expect(n.config.timeout).to eq(5) # a failed configure changes nothing
    end
  end

  describe "classification, retries and limits" do
    it "retries a connection failure once in process, then reports it as retryable" do
      result = n.dispatch(url: closed_port_url, payload: {})
      expect(result).not_to be_success
      expect(result).to be_retryable
      expect(result.attempts).to eq(2)
      expect(result.status).to be_nil
      expect(result.error).to include("connection failed")
    end

    it "honours a short Retry-After in process" do
      receiver.respond { |_, index| index.zero? ? [503, { "Retry-After" => "0" }, "busy"] : [200, {}, "ok"] }
      result = n.dispatch(url: receiver.url, payload: {}, secret: "k")
      expect([result.success?, result.attempts]).to eq([true, 2])
      ids = receiver.received.map { |r| r.header("x-chatwoot-delivery") }
      expect(ids.uniq).to eq([result.delivery_id]) # same delivery id on the retry
    end

    it "leaves a long Retry-After to the job queue" do
      receiver.respond { [429, { "Retry-After" => "120" }, "slow down"] }
      result = n.dispatch(url: receiver.url, payload: {})
      expect([result.success?, result.retryable?, result.attempts, result.status]).to eq([false, true, 1, 429])
      expect(result.retry_after).to eq(120.0)
    end

    it "does not follow redirects by default" do
      receiver.respond { [302, { "Location" => "http://127.0.0.1:9/" }, ""] }
      result = n.dispatch(url: receiver.url, payload: {})
      expect([result.success?, result.retryable?, result.status]).to eq([false, false, 302])
      expect(result.error).to include("redirect")
    end

    it "follows redirects only when max_redirects is set, and guards every hop" do
      receiver.respond do |request, _|
        case request.path
        when "/moved" then [307, { "Location" => receiver.url("/final") }, ""]
        when "/to-localhost" then [302, { "Location" => "http://localhost:#{receiver.port}/final" }, ""]
        when "/loop" then [302, { "Location" => receiver.url("/loop") }, ""]
        else [200, {}, "arrived"]
        end
      end
      n.configure { |c| c.max_redirects = 3 }
      followed = n.dispatch(url: receiver.url("/moved"), payload: {}, secret: "k")
      expect([followed.success?, followed.status, followed.response_excerpt]).to eq([true, 200, "arrived"])

      # A hop to the cloud metadata address, shown where nothing but loopback exists.
      metadata = in_isolated_network(<<~RUBY)
        receiver = TestReceiver.new { [302, { "Location" => "http://169.254.169.254/latest/meta-data" }, ""] }
        Integrations::Native.configure { |c| c.allowed_private_cidrs = ["127.0.0.1/32"]; c.max_redirects = 3 }
        result = Integrations::Native.dispatch(url: receiver.url("/to-metadata"), payload: {})
        receiver.stop
        [result.success?, result.retryable?, result.error]
      RUBY
      expect(metadata[0, 2]).to eq([false, false])
      expect(metadata[2]).to include("address guard").and include("cloud metadata")

      # localhost resolves to 127.0.0.1, which the CIDR allows; a name is checked by the resolver.
      expect(n.dispatch(url: receiver.url("/to-localhost"), payload: {})).to be_success

      looping = n.dispatch(url: receiver.url("/loop"), payload: {})
      expect([looping.success?, looping.retryable?]).to eq([false, false])
      expect(looping.error).to include("redirect")
      expect(receiver.received.count { |r| r.path == "/loop" }).to eq(4)
    end

    it "repeats the signed POST on 307, asks with a bodiless GET on 303, and keeps credentials to one origin" do
      receiver.respond do |request, _|
        case request.path
        when "/temporary" then [307, { "Location" => "/final" }, ""]
        when "/see-other" then [303, { "Location" => "/final" }, ""]
        when "/elsewhere" then [307, { "Location" => "http://localhost:#{receiver.port}/final" }, ""]
        else [200, {}, "arrived"]
        end
      end
      n.configure { |c| c.max_redirects = 3 }
      auth = { "Authorization" => "Bearer receiver-token" }
      expect(n.dispatch(url: receiver.url("/temporary"), payload: { "id" => 1 }, secret: "k", headers: auth)).to be_success
      first, repeated = receiver.received
      expect([repeated.method, repeated.path, repeated.body]).to eq(["POST", "/final", first.body])
      expect(repeated.header("x-chatwoot-signature")).to eq(first.header("x-chatwoot-signature"))
      expect(repeated.header("authorization")).to eq("Bearer receiver-token")

      expect(n.dispatch(url: receiver.url("/see-other"), payload: { "id" => 2 })).to be_success
      asked = receiver.received.last
      expect([asked.method, asked.path, asked.body, asked.header("content-type")]).to eq(["GET", "/final", "", nil])

      # 127.0.0.1 and localhost are different origins: the token stays behind.
      expect(n.dispatch(url: receiver.url("/elsewhere"), payload: {}, headers: auth)).to be_success
      expect(receiver.received.last.header("authorization")).to be_nil
    end

    it "sends credentials in the URL as Basic auth, not in the request line" do
      url = receiver.url("/hook?x=1").sub("http://", "http://hook%40user:pa%20ss@")
      expect(n.dispatch(url: url, payload: {})).to be_success
      request = receiver.received.last
      expect(request.header("authorization")).to eq("Basic #{["hook@user:pa ss"].pack("m0")}")
      expect(request.path).to eq("/hook")
    end

    it "caps the response excerpt at 64 KiB" do
      receiver.respond { [200, {}, "x" * (1024 * 1024)] }
      result = n.dispatch(url: receiver.url, payload: {})
      expect(result).to be_success
      expect(result.response_excerpt.bytesize).to eq(64 * 1024)
    end

    it "times out a hung receiver as a retryable failure" do
      silent = FaultServer.new(:silent)
      started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      result = n.dispatch(url: silent.url, payload: {}, timeout: 0.5)
      elapsed = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
      expect([result.success?, result.retryable?, result.attempts]).to eq([false, true, 1])
      expect(result.error).to include("timed out")
      expect(elapsed).to be < 3
    ensure
      silent&.stop
    end
  end

  describe "one endpoint on the calling thread" do
    # A single dispatch runs on its thread's own runtime, which is idle between calls: a kept-alive
    # connection the receiver dropped meanwhile (here the receiver process is replaced) must be
    # noticed before the next request, not take that request down with it.
    it "delivers on a new connection when the receiver dropped the kept-alive one meanwhile" do
      expect(n.dispatch(url: receiver.url("/first"), payload: {})).to be_success
      receiver.respond { [202, {}, "again"] }
      result = n.dispatch(url: receiver.url("/second"), payload: {})
      expect([result.success?, result.status, result.attempts, result.error]).to eq([true, 202, 1, nil])
      expect(receiver.received.map(&:path)).to eq(%w[/first /second])
    end

    it "serves every thread, each on its own connection, and the lanes still serve fan-outs" do
      urls = Array.new(4) { |i| receiver.url("/t#{i}") } # (the receiver is started here, not by a thread)
      threads = urls.map { |url| Thread.new { Array.new(5) { n.dispatch(url: url, payload: {}).status } } }
      expect(threads.map(&:value)).to eq([[200] * 5] * 4)
      fanout = n.dispatch(endpoints: Array.new(3) { |i| { url: receiver.url("/f#{i}") } }, payload: {})
      expect(fanout.map(&:status)).to eq([200] * 3)
      expect(receiver.received.size).to eq(23)
    end
  end

  describe "the GVL and interrupts" do
    let(:silent) { FaultServer.new(:silent) }
    after { silent.stop }

    it "lets other Ruby threads run while it waits" do
      ticks = 0
      ticker = Thread.new { loop { ticks += 1; sleep 0.01 } }
      n.dispatch(url: silent.url, payload: {}, timeout: 0.5)
      ticker.kill
      expect(ticks).to be > 10
    end

    it "is stopped by Timeout.timeout" do
      started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      expect { Timeout.timeout(0.3) { n.dispatch(url: silent.url, payload: {}, timeout: 30) } }.to raise_error(Timeout::Error)
      expect(Process.clock_gettime(Process::CLOCK_MONOTONIC) - started).to be < 1.5
    end

    it "is stopped by Thread#kill and Thread#raise, and the engine keeps working" do
      thread = Thread.new { n.dispatch(url: silent.url, payload: {}, timeout: 30) }
      expect(wait_for(timeout: 10) { silent.connections >= 1 }).to be(true) # the request is on the wire
      started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      thread.kill
      expect(thread.join(1)).to eq(thread)
      expect(Process.clock_gettime(Process::CLOCK_MONOTONIC) - started).to be < 1

      before = silent.connections
      raiser = Thread.new { n.dispatch(url: silent.url, payload: {}, timeout: 30) }
      raiser.report_on_exception = false
      expect(wait_for(timeout: 10) { silent.connections > before }).to be(true)
      raiser.raise(RuntimeError, "stop now")
      expect { raiser.join(1) }.to raise_error(RuntimeError, "stop now")

      expect(n.dispatch(url: receiver.url, payload: {})).to be_success
    end
  end

  describe "secrets" do
    it "never shows the secret or URL credentials in results or inspect" do
      receiver.respond { [500, {}, "nope"] }
      url = receiver.url("/hook?token=query-token-123").sub("http://", "http://user:pa55word@")
      result = n.dispatch(url: url, payload: {}, secret: "top-secret-value")
      text = [result.inspect, result.to_s, result.error].join(" ")
      expect(text).not_to include("top-secret-value")
      expect(text).not_to include("query-token-123")
      expect(text).not_to include("pa55word")
    end
  end
end
