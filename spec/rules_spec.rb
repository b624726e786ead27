# frozen_string_literal: true

# Issue 16, point 1 and 4 (dispatch, configuration, payload): each rule is written once, in Rust, and
# Ruby only names arguments and checks their types. A constant defined by the extension has the
# extension's shared object as its source location, and an exception raised by a native method has
# that method as the first frame of its backtrace, so both say where a rule lives.
RSpec.describe "One rule, one place" do
  let(:n) { Integrations::Native }
  let(:extension) { end_with(".#{RbConfig::CONFIG["DLEXT"]}") }

  after { n.reset_configuration! }

  def raised_by(&block)
    block.call
    raise "nothing was raised"
  rescue Integrations::Native::Error, ArgumentError, TypeError => e
    e
  end

  describe "configuration limits" do
    let(:native_defaults) { n._native_setting_defaults }

    it "takes every numeric default from the Rust core" do
      expect(native_defaults.keys).to eq(%i[timeout max_concurrency inline_retries retry_after_cap max_redirects
                                            max_response_bytes max_attempts])
      config = n::Configuration.new
      native_defaults.each { |name, value| expect(config.public_send(name)).to eql(value), name.to_s }
    end

    it "caps webhook_timeout as the native timeout range does" do
      max = n._native_setting_ranges.fetch(:timeout).end
      expect(max).to eq(600)
      expect { n.configure { |c| c.webhook_timeout = max } }.not_to raise_error
      expect { n.configure { |c| c.webhook_timeout = max + 0.5 } }
        .to raise_error(n::ConfigurationError, "webhook_timeout must be nil, seconds (up to 600) or a callable, got 600.5")
    end

    it "states each range natively, as the limits configure enforces" do
      expect(n._native_setting_ranges).to eq(timeout: 0.001..600, max_concurrency: 1..10_000, inline_retries: 0..5,
                                             retry_after_cap: 0..3600, max_redirects: 0..20,
                                             max_response_bytes: 0..(64 * 1024 * 1024), max_attempts: 1..100)
    end

    it "keeps no limit in a Ruby constant" do
      expect(n::Configuration.constants).to match_array(%i[DEFAULT_RETRY_DELAY DURABLE_DEFAULTS])
      # The durable defaults are the core's, read once (no range among them).
      expect(n::Configuration::DURABLE_DEFAULTS).to eq(n._native_durable_defaults)
    end

    # One past each end of every range, as the Rust core states it (src/dispatch/config.rs LIMITS).
    {
      timeout: [0, 600.5], retry_after_cap: [-1, 3600.5], max_concurrency: [0, 10_001], inline_retries: [-1, 6],
      max_redirects: [-1, 21], max_response_bytes: [-1, (64 * 1024 * 1024) + 1], max_attempts: [0, 101]
    }.each do |name, values|
      it "refuses #{name} out of range natively, as ConfigurationError with no ArgumentError behind it" do
        values.each do |value|
          e = raised_by { n.configure { |c| c.public_send(:"#{name}=", value) } }
          expect(e).to be_a(n::ConfigurationError)
          expect(e.message).to start_with("#{name} must be")
          expect(e.cause).to be_nil
          expect(e.backtrace_locations.first.label).to eq("_native_configure")
        end
        expect(n.config.public_send(name)).to eql(native_defaults.fetch(name)) # a failed configure changes nothing
      end
    end

    it "checks allowed_private_* entries natively too (length and syntax)" do
      [["allowed_private_hosts", ["h" * 1025]], ["allowed_private_cidrs", ["10.0.0.0/99"]], ["allowed_private_hosts", ["a b"]]].each do |name, value|
        e = raised_by { n.configure { |c| c.public_send(:"#{name}=", value) } }
        expect(e).to be_a(n::ConfigurationError)
        expect(e.message).to include(name)
        expect(e.backtrace_locations.first.label).to eq("_native_configure")
      end
    end

    it "leaves type errors to Ruby, as ConfigurationError naming the setting" do
      e = raised_by { n.configure { |c| c.max_concurrency = 1.5 } }
      expect([e.class, e.message]).to eq([n::ConfigurationError, "max_concurrency must be an Integer, got Float"])
      expect(e.backtrace_locations.first.label).not_to eq("_native_configure")
    end
  end

  describe "scheme names" do
    it "are the Rust core's, and checked there" do
      expect(n::SCHEMES).to eq(%i[chatwoot hex_body standard]).and be_frozen
      expect(n.const_source_location(:SCHEMES).first).to extension
      e = raised_by { n.dispatch(url: "http://127.0.0.1:9/", payload: {}, scheme: :md5) }
      expect([e.class, e.message]).to eq([ArgumentError, "scheme must be one of :chatwoot, :hex_body, :standard, got :md5"])
      expect(e.backtrace_locations.first.label).to eq("_native_dispatch")
      e = raised_by { n.dispatch(url: "http://127.0.0.1:9/", payload: {}, scheme: "s3cret-looking text") }
      expect(e.message).to end_with("got String")
    end

    it "accepts a String or a Symbol for each" do
      n::SCHEMES.each do |scheme|
        [scheme, scheme.to_s].each do |given|
          result = n.dispatch(url: "http://127.0.0.1:9/", payload: {}, scheme: given)
          expect(result.error).to match(/private|loopback|refused/i) # reached the guard: the scheme was taken
        end
      end
    end
  end

  it "checks dispatch's timeout: range natively, against the timeout setting's maximum" do
    [0, -1, 600.5, Float::NAN, 2**70].each do |timeout|
      e = raised_by { n.dispatch(url: "http://127.0.0.1:9/", payload: {}, timeout: timeout) }
      expect(e).to be_a(ArgumentError)
      expect(e.message).to start_with("timeout must be a number above 0 and at most 600 (seconds)")
      expect(e.backtrace_locations.first.label).to eq("_native_dispatch")
    end
    expect(raised_by { n.dispatch(url: "http://127.0.0.1:9/", payload: {}, timeout: "5") }).to be_a(TypeError)
  end

  it "takes Payload::DEFAULT_MAX_NESTING from the Rust core" do
    expect(n::Payload.const_source_location(:DEFAULT_MAX_NESTING).first).to extension
    expect(n::Payload.method(:dump).parameters).to include(%i[key max_nesting])
  end

  describe "delivery results" do
    it "cross as DeliveryResults built natively, with the instance variables #initialize sets" do
      receiver = TestReceiver.new
      n.configure { |c| c.allowed_private_cidrs = ["127.0.0.1/32"] }
      results = n.dispatch(endpoints: [{ url: receiver.url("/a?token=t0ken"), delivery_id: "d-1" }, { url: "ftp://x/" }, 42,
                                       RuntimeError.new("lookup failed")], payload: {})
      built = n::DeliveryResult.new(url: "http://h/", status: 200, attempts: 1, duration: 0.1, error: nil, retryable: false,
                                    response_excerpt: "ok", delivery_id: "d", retry_after: nil)
      # In endpoint order, invalid ones included, from one native call (no merging in Ruby).
      expect(results.map(&:class).uniq).to eq([n::DeliveryResult])
      expect(results.map(&:invalid?)).to eq([false, true, true, true])
      expect(results.map(&:frozen?).uniq).to eq([true])
      results.each { |result| expect(result.instance_variables).to eq(built.instance_variables) }
      first = results.first
      expect([first.status, first.attempts, first.delivery_id, first.retryable?, first.retry_after, first.response_excerpt])
        .to eq([200, 1, "d-1", false, nil, "ok"])
      expect(first.url).to end_with("/a?token=[REDACTED]")
      expect(results[2].error).to eq("each endpoint must be a Hash, got Integer")
      expect(results[3].error).to eq("lookup failed")
      expect(n::DeliveryResult).not_to respond_to(:from_native)
    ensure
      receiver&.stop
    end

    it "raises for a single dispatch's defect natively, with the class the defect calls for" do
      [[:"http://x/", TypeError], ["ftp://x/", ArgumentError]].each do |url, klass|
        e = raised_by { n.dispatch(url: url, payload: {}) }
        expect(e.class).to eq(klass)
        expect(e.message).to include("url")
        expect(e.backtrace_locations.first.label).to eq("_native_dispatch")
      end
    end
  end
end
