# frozen_string_literal: true

require "base64"
require "logger"
require "pp" # rubocop:disable Lint/RedundantRequireStatement -- PP.pp needs it; only Kernel#pp loads it by itself
require "stringio"

# Hostile input: every URL spelling the sending parser accepts is delivered, so each must be
# redacted the same way (one parser, in Rust) wherever it is shown: the result's url, error,
# inspect, pp, and the WebhookJob's log line. Query values and fragments carry tokens too. Text the
# parser refuses is redacted conservatively. Real deliveries to a loopback receiver prove that the
# parser accepted each spelling and read the password as a password (it arrives as Basic auth).
RSpec.describe "URL redaction" do
  let(:n) { Integrations::Native }

  before(:all) do
    @receiver = TestReceiver.new
    @receiver.respond { [500, {}, "down"] } # a failure, so the job logs its line
    @redis = TestRedis.new
    require "sidekiq/api"
    Sidekiq.configure_client { |c| c.redis = { url: @redis.url } }
  end

  after(:all) do
    @receiver&.stop
    @redis&.stop
  end

  let(:log) { StringIO.new }

  before do
    Sidekiq.redis(&:flushdb)
    n.configure do |c|
      c.allowed_private_cidrs = ["127.0.0.1/32"]
      c.logger = Logger.new(log)
      c.max_attempts = 1
    end
  end

  after { n.reset_configuration! }

  # Distinct per run, and in pieces no URL part below contains.
  password = "pW#{rand(1 << 40).to_s(36)}Zq"
  user = "uS#{rand(1 << 40).to_s(36)}Xk"

  # name => [spelling (HOST: 127.0.0.1:port), the secrets it holds, the user:password Basic auth sends]
  spellings = {
    "plain" => ["http://u:#{password}@HOST/hook", [password], "u:#{password}"],
    "a leading space" => [" http://u:#{password}@HOST/hook", [password], "u:#{password}"],
    "a leading tab" => ["\thttp://u:#{password}@HOST/hook", [password], "u:#{password}"],
    "a leading newline" => ["\nhttp://u:#{password}@HOST/hook", [password], "u:#{password}"],
    "a leading NUL" => ["\u0000http://u:#{password}@HOST/hook", [password], "u:#{password}"],
    "a trailing ideographic space" => ["http://u:#{password}@HOST/hook\u3000", [password], "u:#{password}"],
    "a tab inside the scheme" => ["ht\ttp://u:#{password}@HOST/hook", [password], "u:#{password}"],
    "a tab inside the password" => ["http://u:#{password[0, 4]}\t#{password[4..]}@HOST/hook", [password], "u:#{password}"],
    "no slashes (http:u:pw@h)" => ["http:u:#{password}@HOST/hook", [password], "u:#{password}"],
    "one slash (http:/u:pw@h)" => ["http:/u:#{password}@HOST/hook", [password], "u:#{password}"],
    "backslashes (http:\\\\u:pw@h)" => ["http:\\\\u:#{password}@HOST/hook", [password], "u:#{password}"],
    "a backslash and a slash" => ["http:\\/u:#{password}@HOST/hook", [password], "u:#{password}"],
    "three slashes (http:///)" => ["http:///u:#{password}@HOST/hook", [password], "u:#{password}"],
    "an upper-case scheme" => ["HTTP://u:#{password}@HOST/hook", [password], "u:#{password}"],
    "an @ inside the password" => ["http://u:#{password}@#{password.reverse}@HOST/hook", [password, password.reverse],
                                   "u:#{password}@#{password.reverse}"],
    "the secret as the username" => ["http://#{user}@HOST/hook", [user], "#{user}:"],
    "a username and a password" => ["http://#{user}:#{password}@HOST/hook", [user, password], "#{user}:#{password}"],
    "a percent-encoded password" => ["http://u:#{password}%21@HOST/hook", [password], "u:#{password}!"],
    "tokens in the query and fragment" => ["http://u:#{password}@HOST/hook?token=#{user}&page=#{password.reverse}#access_token=#{user.reverse}",
                                           [password, user, password.reverse, user.reverse], "u:#{password}"],
  }

  def shown_for(result)
    [result.inspect, result.to_s, result.url, result.error.to_s, result.redacted_url, format("%p", result), "#{result}",
     PP.pp(result, +"")]
  end

  spellings.each do |name, (spelling, secrets, credentials)|
    it "#{name}: delivered, and no secret in the result, its inspect or pp, nor in the job's log line" do
      url = spelling.sub("HOST", "127.0.0.1:#{@receiver.port}")
      before = @receiver.received.size
      result = n.dispatch(url: url, payload: { "a" => 1 })

      expect(result.status).to eq(500) # the parser accepted it: the request was made
      request = @receiver.received[before]
      expect(Base64.decode64(request.header("authorization").delete_prefix("Basic "))).to eq(credentials)
      expect(result.url).to start_with("http://127.0.0.1:#{@receiver.port}/hook")
      expect(n.redact_url(url)).to eq(result.url)

      job = Integrations::Native::WebhookJob.new.perform([{ "url" => url }], { "a" => 1 }, "message_created")
      expect(job.first.status).to eq(500)
      expect(log.string).to include("failed after 1 attempt(s)")

      text = (shown_for(result) + shown_for(job.first) + [n.redact_url(url), log.string]).join("\n")
      secrets.each { |secret| expect(text).not_to include(secret) }
    end
  end

  it "keeps query parameter names and redacts every value and the fragment" do
    url = "http://127.0.0.1:#{@receiver.port}/hook?token=#{user}&api_key=#{password}&page=2&flag&empty=#frag#{user}"
    result = n.dispatch(url: url, payload: {})
    expect(result.url).to eq("http://127.0.0.1:#{@receiver.port}/hook?token=[REDACTED]&api_key=[REDACTED]&page=[REDACTED]" \
                             "&[REDACTED]&empty=#[REDACTED]")
    expect(@receiver.received.last.path).to eq("/hook") # what was sent is untouched
  end

  # Refused before sending, so the result is invalid? and shows the URL as text or as the parser
  # read it (for a scheme that is parsed but not http).
  refused = {
    "a space in the host" => "http://u:#{password}@exa mple.com/hook",
    "a port out of range" => "http://u:#{password}@127.0.0.1:99999/hook?token=#{user}",
    "a password with / ? # in it" => "http://u:#{password}/?##{user}@127.0.0.1:1/hook",
    "not http (ftp)" => "ftp://u:#{password}@127.0.0.1/hook?token=#{user}",
    "no authority (mailto)" => "mailto:u:#{password}@127.0.0.1",
    "a newline to break a log line" => "http://u:#{password}@\nINJECTED LOG LINE exa mple/",
  }

  refused.each do |name, url|
    it "#{name}: refused, and no secret in the result, its error, inspect or the job's log line" do
      results = n.dispatch(endpoints: [{ url: url, secret: "s" }, { url: @receiver.url("/ok") }], payload: {})
      expect(results[0]).to be_invalid
      job = Integrations::Native::WebhookJob.new.perform([{ "url" => url }], {}, "message_created")
      expect(job.first).to be_invalid

      text = (shown_for(results[0]) + shown_for(job.first) + [n.redact_url(url), log.string]).join("\n")
      expect(text).not_to include(password)
      expect(text).not_to include(user)
      expect(log.string.lines.grep(/INJECTED/).map { |line| line.start_with?("INJECTED") }).not_to include(true)
      expect { n.dispatch(url: url, payload: {}) }.to raise_error(ArgumentError) { |e| expect(e.message).not_to include(password) }
    end
  end

  it "is one implementation, in Rust: Native.redact_url is the native function" do
    expect(n.method(:redact_url).source_location.first).to end_with("dispatch.rb")
    expect(n.respond_to?(:_native_redact_url)).to be(true)
    expect(n.redact_url("http://u:#{password}@h/?k=v")).to eq("http://h/?k=[REDACTED]")
    expect(n.redact_url(nil)).to eq("")
    expect(n.redact_url("\xFF\xFEhttp://u:#{password}@h/".b)).not_to include(password)
  end
end
