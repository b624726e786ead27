# frozen_string_literal: true

require "json"
require "logger"
require "stringio"

# Hostile input: one bad endpoint must never cost the others their delivery. Each defect sits
# in position 0 of [bad, good, good]; both good endpoints must reach a real receiver, the bad one
# gets its own invalid? result naming what was wrong, and nothing raises. The same defects given to
# a single dispatch (url:) raise ArgumentError or TypeError naming the argument.
RSpec.describe "A defective endpoint in a fan-out" do
  let(:n) { Integrations::Native }

  before(:all) do
    @receiver = TestReceiver.new
    @redis = TestRedis.new
    require "sidekiq/api"
    Sidekiq.configure_client { |c| c.redis = { url: @redis.url } }
  end

  after(:all) do
    @receiver&.stop
    @redis&.stop
  end

  before { n.configure { |c| c.allowed_private_cidrs = ["127.0.0.1/32"] } }
  after { n.reset_configuration! }

  invalid_utf8 = "\xFF\xFE".dup.force_encoding(Encoding::UTF_8)
  binary_high = "caf\xC3\xA9".b # valid UTF-8 bytes, but binary: bytes >= 0x80 are not text
  hash_subclass = Class.new(Hash)
  to_str = Class.new { def to_str = "http://127.0.0.1:1/" }.new

  # name => [endpoint builder (gets a good URL), error pattern, exception a single dispatch raises or nil]
  # A single dispatch takes the same Hash as keywords (url:, secret:, headers:, delivery_id:).
  defects = {
    "nil" => [->(_) {}, /must be a Hash, got NilClass/, nil],
    "an Integer" => [->(_) { 42 }, /must be a Hash, got Integer/, nil],
    "a String" => [->(url) { url }, /must be a Hash, got String/, nil],
    "an Array" => [->(url) { [url] }, /must be a Hash, got Array/, nil],
    "a Symbol" => [->(_) { :endpoint }, /must be a Hash, got Symbol/, nil],
    "a plain Object" => [->(_) { Object.new }, /must be a Hash, got Object/, nil],
    "no url" => [->(_) { { secret: "s" } }, /url must be a String, got NilClass/, nil],
    "url nil" => [->(_) { { url: nil } }, /url must be a String, got NilClass/, nil],
    "url an Integer" => [->(_) { { url: 42 } }, /url must be a String, got Integer/, TypeError],
    "url a Symbol" => [->(url) { { url: url.to_sym } }, /url must be a String, got Symbol/, TypeError],
    "url with to_str only" => [->(_) { { url: to_str } }, /url must be a String/, TypeError],
    "url not valid UTF-8" => [->(url) { { url: url + invalid_utf8 } }, /url .*UTF-8/, ArgumentError],
    "url binary with bytes >= 0x80" => [->(url) { { url: url.b + binary_high } }, /url .*UTF-8/, ArgumentError],
    "url in UTF-16LE with a lone surrogate" => [->(url) { { url: url.encode("UTF-16LE") + "\x00\xD8".dup.force_encoding("UTF-16LE") } }, /url is not valid UTF-16LE/, ArgumentError],
    "url empty" => [->(_) { { url: "" } }, /url/, ArgumentError],
    "url not http(s)" => [->(_) { { url: "ftp://127.0.0.1/x" } }, /http or https/, ArgumentError],
    "url not a URL" => [->(_) { { url: "http://exa mple.com/" } }, /not a valid URL/, ArgumentError],
    "url too long" => [->(url) { { url: url + ("a" * 9000) } }, /longer than/, ArgumentError],
    "url with a newline in the host" => [->(_) { { url: "http://127.0.0.1\r\nHost: evil/" } }, /url/, ArgumentError],
    "secret an Integer" => [->(url) { { url: url, secret: 123 } }, /secret must be a String, got Integer/, TypeError],
    "secret a Symbol" => [->(url) { { url: url, secret: :s } }, /secret must be a String, got Symbol/, TypeError],
    # (An Array of Strings is secret rotation, spec/secret_rotation_spec.rb.)
    "secret an Array with an Integer" => [->(url) { { url: url, secret: ["s", 1] } }, /secret entries must be Strings, got Integer/, TypeError],
    "secret an Array with an empty String" => [->(url) { { url: url, secret: ["s", ""] } }, /secret entries must not be empty/, ArgumentError],
    "headers an Array" => [->(url) { { url: url, headers: [%w[X-A b]] } }, /headers must be a Hash, got Array/, TypeError],
    "headers a String" => [->(url) { { url: url, headers: "X-A: b" } }, /headers must be a Hash, got String/, TypeError],
    "header name an Integer" => [->(url) { { url: url, headers: { 1 => "b" } } }, /header names must be Strings or Symbols/, TypeError],
    "header value nil" => [->(url) { { url: url, headers: { "X-A" => nil } } }, /header X-A must have a String value, got NilClass/, TypeError],
    "header value an Integer" => [->(url) { { url: url, headers: { "X-A" => 1 } } }, /header X-A must have a String value/, TypeError],
    "header value with CR LF" => [->(url) { { url: url, headers: { "X-A" => "b\r\nInjected: 1" } } }, /X-A.*newline/, ArgumentError],
    "header value with LF" => [->(url) { { url: url, headers: { "X-A" => "b\nc" } } }, /X-A.*newline/, ArgumentError],
    "header value with NUL" => [->(url) { { url: url, headers: { "X-A" => "b\0c" } } }, /X-A/, ArgumentError],
    "header name with a space" => [->(url) { { url: url, headers: { "Bad Name" => "v" } } }, /not a valid HTTP header name/, ArgumentError],
    "header name with CR LF" => [->(url) { { url: url, headers: { "X-A\r\nInjected" => "v" } } }, /not a valid HTTP header name/, ArgumentError],
    "header name empty" => [->(url) { { url: url, headers: { "" => "v" } } }, /not a valid HTTP header name/, ArgumentError],
    "header name reserved (Host)" => [->(url) { { url: url, headers: { "Host" => "internal" } } }, /set by the transport/, ArgumentError],
    "header name not valid UTF-8" => [->(url) { { url: url, headers: { "X-\xFF".dup.force_encoding("UTF-8") => "v" } } }, /header name .*UTF-8/, ArgumentError],
    "header name a Symbol not valid UTF-8" => [->(url) { { url: url, headers: { "X-\xFF".b.to_sym => "v" } } }, /header name .*UTF-8/, ArgumentError],
    "header value not valid UTF-8" => [->(url) { { url: url, headers: { "X-A" => invalid_utf8 } } }, /header X-A .*UTF-8/, ArgumentError],
    "header value binary with bytes >= 0x80" => [->(url) { { url: url, headers: { "X-A" => binary_high } } }, /header X-A .*UTF-8/, ArgumentError],
    "delivery_id an Integer" => [->(url) { { url: url, delivery_id: 7 } }, /delivery_id must be a String, got Integer/, TypeError],
    "delivery_id not valid UTF-8" => [->(url) { { url: url, delivery_id: invalid_utf8 } }, /delivery_id .*UTF-8/, ArgumentError],
    "delivery_id binary with bytes >= 0x80" => [->(url) { { url: url, delivery_id: binary_high } }, /delivery_id .*UTF-8/, ArgumentError],
    "delivery_id with a newline" => [->(url) { { url: url, delivery_id: "abc\nX-Injected: 1" } }, /delivery_id must be 1 to 128 printable ASCII/, ArgumentError],
    "delivery_id empty" => [->(url) { { url: url, delivery_id: "" } }, /delivery_id must be 1 to 128/, ArgumentError],
    "delivery_id too long" => [->(url) { { url: url, delivery_id: "a" * 129 } }, /delivery_id must be 1 to 128/, ArgumentError],
    "an unknown key" => [->(url) { { url: url, colour: "red" } }, /unknown endpoint key\(s\): colour/, nil],
    "an Integer key" => [->(url) { { url: url, 7 => "seven" } }, /unknown endpoint key\(s\): 7/, nil],
    "a key not valid UTF-8" => [->(url) { { url: url, "\xFF".b => 1 } }, /unknown endpoint key/, nil],
    "url given twice (Symbol and String key)" => [->(url) { { url: url, "url" => url } }, /url given twice/, nil],
    "a Hash subclass with a bad url" => [->(_) { hash_subclass[url: 42] }, /url must be a String, got Integer/, nil],
    "a frozen Hash with frozen bad strings" => [->(url) { { url: (url + invalid_utf8).freeze, secret: "s" }.freeze }, /url .*UTF-8/, nil],
  }

  def good_endpoints(tag)
    [{ url: @receiver.url("/good-1-#{tag}"), secret: "s1" }, { "url" => @receiver.url("/good-2-#{tag}") }]
  end

  def arrived(tag)
    @receiver.received.map(&:path).select { |p| p.end_with?("-#{tag}") }.sort
  end

  defects.each_with_index do |(name, (build, pattern, _)), index|
    it "#{name}: invalid? with its own error, both good endpoints delivered" do
      tag = "d#{index}"
      bad = build.call(@receiver.url("/bad-#{tag}"))
      results = n.dispatch(endpoints: [bad, *good_endpoints(tag)], payload: { "n" => index }, event: "message_created")

      expect(results.size).to eq(3)
      expect(results[0]).to be_invalid
      expect(results[0]).not_to be_success
      expect(results[0]).not_to be_retryable
      expect(results[0].attempts).to eq(0)
      expect(results[0].error).to match(pattern)
      expect(results[0].url).to be_a(String)
      expect(results[0].url.encoding).to eq(Encoding::UTF_8)
      expect(results[0].url).to be_valid_encoding
      expect(results[0].delivery_id).to be_a(String)
      expect(results[0].inspect).to be_a(String)
      expect(results[1..]).to all(be_success)
      expect(arrived(tag)).to eq(["/good-1-#{tag}", "/good-2-#{tag}"])
    end
  end

  defects.each_with_index do |(name, (build, pattern, single)), index|
    next unless single

    it "#{name}: a single dispatch raises #{single} naming it, and sends nothing" do
      tag = "s#{index}"
      endpoint = build.call(@receiver.url("/bad-#{tag}"))
      keywords = endpoint.transform_keys(&:to_sym)
      expect { n.dispatch(payload: {}, **keywords) }.to raise_error(single, pattern)
      expect(arrived(tag)).to be_empty
    end
  end

  it "reads a Hash subclass natively: overridden methods neither run nor hide the entries" do
    sneaky = Class.new(Hash) do
      def [](*) = raise("must not be called")
      def each(*) = raise("must not be called")
      def to_hash = raise("must not be called")
    end
    endpoint = sneaky.new
    endpoint.store(:url, @receiver.url("/sneaky"))
    results = n.dispatch(endpoints: [endpoint, *good_endpoints("sneaky")], payload: {})
    expect(results).to all(be_success)
    expect(@receiver.received.map(&:path)).to include("/sneaky")
  end

  it "converts text in another encoding to UTF-8 rather than refusing it" do
    results = n.dispatch(endpoints: [{ url: @receiver.url("/caf\u00e9-enc").encode("ISO-8859-1") },
                                     { url: @receiver.url("/utf16-enc").encode("UTF-16LE"),
                                       headers: { "X-Name".encode("UTF-16LE") => "Andr\u00e9".encode("ISO-8859-1") } }],
                         payload: {})
    expect(results).to all(be_success)
    paths = @receiver.received.map { |r| r.path.b } # WEBrick decodes the path
    expect(paths).to include("/caf\u00e9-enc".b, "/utf16-enc".b)
    request = @receiver.received.find { |r| r.path == "/utf16-enc" }
    expect(request.header("x-name").b).to eq("Andr\u00e9".b)
  end

  it "takes a secret as bytes: a binary secret with bytes above 0x7F is no defect, and signs as given" do
    secret = "k\xFF\x00\xC3".b
    results = n.dispatch(endpoints: [{ url: @receiver.url("/binary-secret"), secret: secret }], payload: "{}")
    expect(results).to all(be_success)
    request = @receiver.received.find { |r| r.path == "/binary-secret" }
    expect(n::Signature.verify_chatwoot(secret: secret, timestamp: request.header("x-chatwoot-timestamp"), body: request.body,
                                        signature: request.header("x-chatwoot-signature"))).to be(true)
  end

  it "takes an Exception in place of an endpoint as that endpoint's invalid result" do
    results = n.dispatch(endpoints: [KeyError.new("no webhook 12"), *good_endpoints("exc")], payload: {})
    expect(results[0]).to be_invalid
    expect(results[0].error).to eq("no webhook 12")
    expect(results[1..]).to all(be_success)
    expect(arrived("exc").size).to eq(2)
  end

  # The conversion of every kind of entry under full GC stress and compaction, in the plain RSpec run
  # too (GC_STRESS=1 stresses most calls with minor collections only). The good endpoints point at a
  # closed port, so nothing waits on a receiver meanwhile.
  it "converts every kind of entry correctly with GC.stress on" do
    closed = closed_port_url
    bad = defects.values.map { |build, _, _| build.call(closed) }
    good = Array.new(3) do |i|
      { url: +"#{closed}/#{i}", "secret" => "s#{i}".b, headers: { "X-#{i}": "v#{i}", "X-Shared" => "own" }, delivery_id: "id-#{i}" }
    end
    endpoints = bad.zip(good).flatten.compact + [KeyError.new("gone")]
    results = nil
    compacting = GC.respond_to?(:auto_compact=)
    begin
      GC.auto_compact = true if compacting # objects held only where GC cannot see would move, too
      GCStress.around do
        GC.stress = true # full collections; the switch turns it off again when the call is done
        results = n.dispatch(endpoints: endpoints, payload: "{}", headers: { "X-Shared" => "shared" }, timeout: 5)
      end
    ensure
      GC.auto_compact = false if compacting
    end
    expect(results.size).to eq(endpoints.size)
    by_entry = endpoints.zip(results)
    by_entry.each do |entry, result|
      if good.include?(entry)
        expect(result).not_to be_invalid
        expect(result.error).to include("connection")
        expect(result.delivery_id).to eq(entry[:delivery_id])
      else
        expect(result).to be_invalid
      end
    end
  end

  it "refuses bad shared headers for the whole call, with the argument named" do
    endpoints = good_endpoints("shared")
    expect { n.dispatch(endpoints: endpoints, payload: {}, headers: { "X-A" => invalid_utf8 }) }
      .to raise_error(ArgumentError, /header X-A .*UTF-8/)
    expect { n.dispatch(endpoints: endpoints, payload: {}, headers: { "X-A" => "a\nb" }) }
      .to raise_error(ArgumentError, /X-A.*newline/)
    expect { n.dispatch(endpoints: endpoints, payload: {}, headers: { "X-A" => 1 }) }
      .to raise_error(TypeError, /header X-A must have a String value/)
    expect { n.dispatch(endpoints: endpoints, payload: {}, headers: "X-A: 1") }
      .to raise_error(TypeError, /headers must be a Hash/)
    expect(arrived("shared")).to be_empty
  end

  describe "through WebhookJob#perform" do
    let(:log) { StringIO.new }

    before do
      Sidekiq.redis(&:flushdb)
      n.configure { |c| c.logger = Logger.new(log) }
    end

    # Inline endpoints reach the job as JSON gives them (String keys); the job keeps only url,
    # secret and headers (unknown keys are dropped there rather than refused) and sets each
    # endpoint's delivery id itself.
    job_defects = defects.reject { |name, _| name.match?(/key|twice|delivery_id/) }

    job_defects.each_with_index do |(name, (build, _pattern, _)), index|
      it "#{name}: perform returns the bad one's failure and delivers both good ones" do
        tag = "j#{index}"
        bad = build.call(@receiver.url("/bad-#{tag}"))
        bad = bad.transform_keys(&:to_s) if bad.is_a?(Hash) && bad.keys.all?(Symbol)
        good = good_endpoints(tag).map { |e| e.transform_keys(&:to_s) }
        results = nil
        expect { results = Integrations::Native::WebhookJob.new.perform([bad, *good], { "id" => index }, "message_created") }
          .not_to raise_error
        expect(results.size).to eq(3)
        expect(results[0]).not_to be_success
        expect(results[0]).not_to be_retryable
        expect(results[1..]).to all(be_success)
        expect(arrived(tag)).to eq(["/good-1-#{tag}", "/good-2-#{tag}"])
        expect(log.string).to include("failed after 1 attempt(s)")
        expect(Sidekiq::ScheduledSet.new.size).to eq(0) # an invalid endpoint is never retried
      end
    end
  end
end
