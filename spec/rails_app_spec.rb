# frozen_string_literal: true

require "json"
require "open3"
require "openssl"
require "rbconfig"
require "stringio"
require "logger"

# The gem inside a real Rails 6.1 app shaped like Chatwoot (spec/rails_app): Zeitwerk with Chatwoot's
# app/models/integrations.rb, ActiveRecord on SQLite, ActiveJob on a real Sidekiq process with a real Redis,
# the middleware in the Rails stack. Each Rails mode boots in its own process (spec/rails_app/check.rb),
# so this process never loads Rails.
RSpec.describe "The gem in a Chatwoot-shaped Rails app" do
  app_dir = File.expand_path("rails_app", __dir__)

  def run_check(mode)
    out, err, status = Open3.capture3(@env.merge("RAILS_APP_LOG" => File.join(@dir, "#{mode}.log")), RbConfig.ruby,
                                      File.join(@app_dir, "check.rb"), mode)
    line = out.lines.reverse.find { |l| l.start_with?("CHECK ") }
    raise "check.rb #{mode} failed (#{status}):\n#{err.lines.last(30).join}\n#{out.lines.last(10).join}" unless line

    JSON.parse(line.delete_prefix("CHECK "))
  end

  def requests_to(path)
    @receiver.received.select { |r| r.path == path }
  end

  def events_seen
    File.exist?(@events_file) ? File.readlines(@events_file).map { |l| JSON.parse(l) } : []
  end

  def verified?(request, secret)
    Integrations::Native::Signature.verify_chatwoot(secret: secret, timestamp: request.header("x-chatwoot-timestamp"),
                                                    body: request.body, signature: request.header("x-chatwoot-signature"))
  end

  # Sidekiq's deliveries, all of them: the healthy endpoints once, /flaky twice (one 503), /dead three
  # times (max_attempts 3), after which the failure callbacks ran (FAILURES_FILE is written last).
  expected_sidekiq = { "/job" => 1, "/flaky" => 2, "/account" => 1, "/inline" => 1, "/dead" => 3, "/sidekiq-native" => 1 }

  before(:all) do
    @app_dir = app_dir
    @dir = Dir.mktmpdir("rails-app")
    @events_file = File.join(@dir, "events.jsonl")
    @failures_file = File.join(@dir, "failures.txt")
    @redis = TestRedis.new
    @receiver = TestReceiver.new do |request, _index|
      case request.path
      when "/api/chat.postMessage" # a fake Slack: the good token posts, the revoked one is invalid_auth
        answer = request.header("authorization") == "Bearer xoxb-good" ? { "ok" => true, "ts" => "1764406874.000200" } : { "ok" => false, "error" => "invalid_auth" }
        [200, { "Content-Type" => "application/json" }, JSON.generate(answer)]
      when "/down", "/dead" then [500, {}, "down"]
      when "/flaky" then (@flaky = (@flaky || 0) + 1) == 1 ? [503, {}, "busy"] : [200, {}, "ok"]
      else [200, {}, "ok"]
      end
    end
    @env = { "RAILS_APP_DB" => File.join(@dir, "app.sqlite3"), "RAILS_APP_TMP" => @dir, "INBOUND_SECRET" => "inbound-secret",
             "RECEIVER_URL" => @receiver.url(""), "SLACK_API_URL" => @receiver.url("/api"), "EVENTS_FILE" => @events_file,
             "FAILURES_FILE" => @failures_file, "REDIS_URL" => @redis.url, "SLACK_SIGNING_SECRET" => nil, "UNSET_SECRET" => nil }
    # A Sidekiq process running the app in production mode (eager loading), on Chatwoot's "medium" queue
    # only: a job enqueued anywhere else would never run. It boots while the development check runs.
    @sidekiq_log = File.join(@dir, "sidekiq.log")
    @sidekiq = Process.spawn(@env.merge("RAILS_APP_LOG" => File.join(@dir, "sidekiq-rails.log")),
                             "sidekiq", "-r", app_dir, "-e", "production", "-q", "medium", "-c", "5", "-t", "3",
                             out: @sidekiq_log, err: @sidekiq_log)
    @dev = run_check("development")
    @settled = wait_for(timeout: 60) do
      expected_sidekiq.all? { |path, count| requests_to(path).size >= count } && File.exist?(@failures_file)
    end
    @prod = run_check("production")
  end

  after(:all) do
    if @sidekiq
      Process.kill("TERM", @sidekiq)
      Process.wait(@sidekiq)
    end
    @receiver&.stop
    @redis&.stop
    FileUtils.rm_rf(@dir) if @dir
  end

  describe "namespace" do
    it "leaves Integrations to the app: Chatwoot's table_name_prefix applies in development, after reload! and eager loaded" do
      [@dev["before_reload"], @dev["after_reload"], @prod["namespace"]].each do |facts|
        expect(facts).to include("hook_table" => "integrations_hooks", "prefix" => "integrations_",
                                 "integrations_source" => "app/models/integrations.rb")
      end
      expect(@dev["eager_load"]).to be(false)
      expect(@prod["eager_load"]).to be(true)
      expect(@prod["integrations_autoload_pending"]).to be(false)
    end

    it "keeps Integrations::Native, the gem's own module, resolvable and working in every mode and across reloads" do
      expect(@dev["reloaded"]).to be(true)
      [@dev["before_reload"], @dev["after_reload"], @prod["namespace"]].each do |facts|
        expect(facts).to include("native_is_gems" => true, "native_name" => "Integrations::Native", "native_works" => true)
      end
      expect(@dev["after_reload"]).to include("trigger" => true, "hook_class_reloaded" => true)
      expect(requests_to("/after-reload").size).to eq(1)
    end

    it "keeps Native in the app's Integrations across reload! when the gem is required after the app booted" do
      result = run_check("late")
      expect(result).to eq("pending_before_require" => true, "created_by_gem" => false,
                           "before_reload" => ["integrations_hooks", true], "after_reload" => ["integrations_hooks", true, 64])
    end

    it "changes nothing outside Rails: require gives Integrations::Native, without the Railtie" do
      script = <<~RUBY
        before = Object.constants
        require "chatwoot_integrations_rs"
        puts JSON.generate(new: (Object.constants - before).grep(/Integrations/), inside: Integrations.constants.sort,
                           railtie: !defined?(Integrations::Native::Railtie).nil?,
                           owned: Integrations::Native::Namespace.created.equal?(Integrations))
      RUBY
      out, err, status = Open3.capture3(RbConfig.ruby, "-I", File.expand_path("../lib", __dir__), "-rjson", "-e", script)
      expect(status).to be_success, err
      expect(JSON.parse(out)).to eq("new" => ["Integrations"], "inside" => ["Native"], "railtie" => false, "owned" => true)
    end
  end

  describe "middleware in the Rails stack" do
    it "is named in config/application.rb, verifies a signed webhook and refuses an unsigned one" do
      expect(@dev["middleware"]).to be(true)
      expect(@prod["middleware"]).to be(true)
      expect(@dev["rack"]["chatwoot_signed"]).to eq("status" => 200, "body" => '{"verified":"chatwoot","bytes":34}')
      expect(@dev["rack"]["chatwoot_unsigned"]["status"]).to eq(401)
    end

    it "boots with SLACK_SIGNING_SECRET unset: the route is skipped with one warning, as Chatwoot does" do
      expect(@dev["rack"]["slack_unset"]).to eq("status" => 200, "body" => '{"verified":null,"bytes":34}')
      expect(@dev["rack_warnings"]["boot"]).to eq(1)
    end

    it "rejects every request to a route with on_missing_secret: :reject and no secret" do
      expect(@dev["rack"]["closed"]["status"]).to eq(401)
      expect(JSON.parse(@dev["rack"]["closed"]["body"])).to eq("error" => "invalid_signature", "reason" => "missing")
    end

    it "passes a request on when a secret lambda answers nil, warning once however many requests" do
      expect(@dev["rack"]["per_request"]).to eq([{ "status" => 200, "body" => '{"verified":null,"bytes":34}' }] * 2)
      expect(@dev["rack_warnings"]["request"]).to eq(1)
    end

    it "refuses to boot with on_missing_secret: :raise and no secret" do
      result = run_check("raise_at_boot")
      expect(result["booted"]).to be_nil
      expect(result["error"]).to eq('ArgumentError: route "/webhooks/strict" has no secret (nil or blank) and on_missing_secret: :raise')
    end
  end

  describe "ActiveJob delivery on the real Sidekiq adapter" do
    it "settles: every job ran on the medium queue" do
      expect(@settled).to be(true), -> { File.read(@sidekiq_log).lines.last(40).join }
      expect(@dev["jobs"].values).to all(eq("queue" => "medium", "enqueued" => true))
      expect(@dev["queues"]).to eq("default" => "medium", "configured" => "low")
      expect(@dev["delivery_job_refusals"]).to eq(
        ["ArgumentError: secret: and delivery_id: go with a url; endpoints (an Array) carry their own",
         "TypeError: Integrations::Native::DeliveryJob takes a url (String) or endpoints (Array) first, got Webhook"]
      )
    end

    it "delivers Chatwoot's payload with TimeWithZone values byte for byte as webhook_data.merge(event:).to_json, signed" do
      expect(@dev["payload_has_time_with_zone"]).to be(true)
      expected = @dev["expected_body"]
      expect(expected).to include('"created_at":"2025-11-29T09:01:16.124Z"').and include("\\u003corder\\u003e \\u0026")
      request = requests_to("/job").first
      expect(request.body).to eq(expected)
      expect(verified?(request, "job-secret")).to be(true)
      expect(request.header("x-chatwoot-delivery")).to eq("dlv-job-1")
      expect(request.header("accept")).to eq("application/json")
      expect(request.header("content-type")).to start_with("application/json")
    end

    it "retries a failing endpoint alone with the same delivery id, and delivers every endpoint of a fan-out once" do
      flaky = requests_to("/flaky")
      expect(flaky.map { |r| r.header("x-chatwoot-delivery") }.uniq.size).to eq(1)
      expect(flaky.map { |r| [r.body == @dev["expected_body"], verified?(r, "flaky-secret")] }).to eq([[true, true]] * 2)
      expect(verified?(requests_to("/account").first, "account-secret")).to be(true) # an id, resolved through Webhook.find
      expect(verified?(requests_to("/inline").first, "inline-secret")).to be(true)
      expect(requests_to("/account").first.header("x-chatwoot-delivery")).not_to eq(requests_to("/inline").first.header("x-chatwoot-delivery"))
    end

    it "gives up after max_attempts and runs the app's api_inbox_webhook callback: the message is failed" do
      dead = requests_to("/dead")
      expect(dead.size).to eq(3)
      expect(File.read(@failures_file).split).to eq([dead.first.header("x-chatwoot-delivery")])
      bot_message = @prod["messages"].find { |m| m["id"] == @dev["ids"]["bot_message"] }
      expect(bot_message["status"]).to eq("failed")
      expect(bot_message["external_error"]).to include("500")
    end

    it "writes no secret to any log, ActiveJob's argument logging included" do
      # (Rails 6.1's own SQL log shows bind values, the seeded secrets among them: not ours to filter.)
      logs = Dir[File.join(@dir, "*.log")].flat_map { |path| File.readlines(path) }.grep_v(/(INSERT INTO|UPDATE|SELECT) /).join
      expect(logs).to include("Performing WebhookJob") # the Sidekiq process logged its jobs
      %w[job-secret flaky-secret inline-secret dead-secret account-secret trigger-secret inbound-secret].each do |secret|
        expect(logs).not_to include(secret)
      end
    end

    it "reports every delivery of the Sidekiq process as deliver.integrations_native, url redacted" do
      ours = events_seen.select { |e| e["name"] == "deliver.integrations_native" && e["pid"] == @sidekiq }
      job = ours.find { |e| e["delivery_id"] == "dlv-job-1" }
      expect(job).to include("url" => @receiver.url("/job"), "status" => 200, "attempts" => 1, "event" => "message_created",
                             "success" => true)
      expect(job["duration"]).to be_a(Float).and be > 0
      expect(ours.count { |e| e["url"].end_with?("/dead") }).to eq(3)
    end
  end

  describe "the Sidekiq-native WebhookJob" do
    it "refuses arguments JSON would change, naming them, and honours c.queue on the first enqueue" do
      symbol_keys, time_with_zone = @dev["webhook_job"]["refusals"]
      expect(symbol_keys).to include("payload has the Symbol key :account")
      expect(time_with_zone).to include('payload["conversation"]["agent_last_seen_at"] is an ActiveSupport::TimeWithZone')
      expect(time_with_zone).to include("Integrations::Native::DeliveryJob")
      expect(@dev["webhook_job"]["queue"]).to eq("medium")
      native = requests_to("/sidekiq-native") # enqueued with perform_async, run by the medium-only Sidekiq
      expect(native.size).to eq(1)
      expect(native.first.body).to eq(@dev["expected_body"])
      expect(requests_to("/never")).to be_empty
    end
  end

  describe "SendService with real Integrations::Hook records" do
    it "posts to Slack, and the app applies the Outcomes: the thread identifier, then the disabled hook" do
      expect(@dev["send_service"]).to eq("waiting" => "noop", "kind" => "identifier", "identifier" => "1764406874.000200",
                                         "disable" => %w[disable_hook invalid_auth], "revoked_status" => "disabled",
                                         "after_disable" => ["noop", "the hook is not active"])
      posts = requests_to("/api/chat.postMessage")
      expect(posts.size).to eq(2) # the disabled hook sends nothing
      first = JSON.parse(posts.first.body)
      expect(first.values_at("channel", "unfurl_links", "thread_ts")).to eq(["C0123", false, nil])
      # No inbox model and no FRONTEND_URL here; "<order>" is a tag to Rails' sanitizer too, so it goes.
      expect(first["text"]).to eq("\n*Inbox:*  ()\n</app/accounts/1/conversations/42|Click here> to view the conversation.\n\nWhere is my  &amp; refund?")
    end

    it "emits provider.integrations_native per call with the app and the outcome kind" do
      provider = @dev["notifications"].select { |e| e["name"] == "provider.integrations_native" }
      expect(provider.map { |e| e.values_at("app", "kind", "reason") })
        .to eq([["slack", "noop", "replies are posted only once the conversation has a Slack thread"], ["slack", "identifier", nil],
                %w[slack disable_hook invalid_auth], ["slack", "noop", "the hook is not active"]])
    end
  end

  describe "Chatwoot.trigger" do
    it "sends Chatwoot's headers: signed with a secret, unsigned without" do
      signed = requests_to("/trigger").first
      expect(signed.body).to eq(@dev["expected_body"])
      expect(verified?(signed, "trigger-secret")).to be(true)
      expect(signed.header("x-chatwoot-delivery")).to eq("dlv-trigger-1")
      expect(signed.header("accept")).to eq("application/json")
      unsigned = requests_to("/trigger-unsigned").first
      expect(unsigned.header("x-chatwoot-signature")).to be_nil
      expect(unsigned.header("x-chatwoot-timestamp")).to be_nil
      expect(@dev["trigger"]).to include("ok" => [true, 200, "dlv-trigger-1"], "unsigned" => true)
    end

    it "runs the app's failure callbacks per webhook type, as Webhooks::Trigger does" do
      expect(@dev["after_account_failure"]).to eq(%w[sent pending]) # :account_webhook: nothing to do
      expect(@dev["trigger"]).to include("account_fail" => [false, 500], "inbox_fail" => 500, "bot_fail" => 500,
                                         "invalid" => [false, true])
      status, error = @dev["trigger"]["message_after"]
      expect(status).to eq("failed") # :api_inbox_webhook
      expect(error).to include("500")
      expect(@dev["trigger"]["conversation_after"]).to eq("open") # :agent_bot_webhook: handed to a human
    end

    it "emits deliver.integrations_native with the redacted url, status, attempts, duration, delivery id and event" do
      trigger = @dev["notifications"].find { |e| e["name"] == "deliver.integrations_native" && e["delivery_id"] == "dlv-trigger-1" }
      expect(trigger).to include("url" => @receiver.url("/trigger"), "status" => 200, "attempts" => 1, "event" => "message_created",
                                 "success" => true, "retryable" => false, "error" => nil)
      expect(trigger["duration"]).to be_a(Float)
      expect(@dev["notifications"].to_s).not_to include("trigger-secret")
    end
  end

  it "generates the initializer with `rails g integrations_native:install`" do
    expect(@dev["generator"]).to eq("written" => true, "valid_ruby" => true, "configures" => true)
  end
end

# The same glue without Rails, in this process: the middleware's missing-secret policy, the WebhookJob's
# argument check and queue, and Chatwoot.trigger's callbacks and timeout.
RSpec.describe "Chatwoot glue without Rails" do
  let(:n) { Integrations::Native }
  let(:log) { StringIO.new }

  before { n.configure { |c| c.logger = Logger.new(log) } }
  after { n.reset_configuration! }

  describe "VerifySignature on_missing_secret" do
    require "rack"
    require "rack/mock"

    let(:inner) { ->(env) { [200, {}, ["app saw verified=#{env["integrations_native.verified"].inspect}"]] } }

    def middleware(route)
      Integrations::Native::Rack::VerifySignature.new(inner, "/hook" => { scheme: :chatwoot }.merge(route))
    end

    def post(app)
      Rack::MockRequest.new(app).post("/hook", input: '{"id":1}', "CONTENT_TYPE" => "application/json")
    end

    def warnings
      log.string.lines.grep(/pass through unverified/).size
    end

    it "skips a route whose secret is nil or blank at boot, with one warning (the default and :skip)" do
      [nil, "", "  "].product([{}, { on_missing_secret: :skip }, { on_missing_secret: "skip" }]).each do |secret, option|
        log.truncate(0)
        app = middleware({ secret: secret }.merge(option))
        expect([post(app).status, post(app).body]).to eq([200, "app saw verified=nil"])
        expect(warnings).to eq(1)
      end
    end

    it "answers 401 to every request with :reject, and refuses to build with :raise" do
      [nil, ""].each do |secret|
        response = post(middleware(secret: secret, on_missing_secret: :reject))
        expect([response.status, JSON.parse(response.body)["reason"]]).to eq([401, "missing"])
        expect { middleware(secret: secret, on_missing_secret: :raise) }
          .to raise_error(ArgumentError, %r{route "/hook" has no secret \(nil or blank\) and on_missing_secret: :raise})
      end
      expect(warnings).to eq(0)
    end

    it "applies the policy when a secret lambda answers nil or blank on a request; by default it rejects" do
      # A lambda usually looks a tenant's secret up: one that finds none must not let requests in.
      [nil, "", " "].each do |answer|
        response = post(middleware(secret: ->(_request) { answer }))
        expect([response.status, JSON.parse(response.body)["reason"]]).to eq([401, "missing"])
      end
      expect(warnings).to eq(0)
      skip_app = middleware(secret: ->(_request) {}, on_missing_secret: :skip)
      3.times { expect(post(skip_app).status).to eq(200) }
      expect(warnings).to eq(1)
      expect(post(middleware(secret: ->(_request) { " " }, on_missing_secret: :reject)).status).to eq(401)
      expect { post(middleware(secret: ->(_request) {}, on_missing_secret: :raise)) }
        .to raise_error(n::ConfigurationError, %r{the secret for "/hook" is nil or blank})
    end

    it "verifies a route that has its secret whatever the policy, and refuses an unknown policy" do
      %i[skip reject raise].each do |policy|
        expect(post(middleware(secret: "s3cret", on_missing_secret: policy)).status).to eq(401) # unsigned
      end
      expect { middleware(secret: nil, on_missing_secret: :ignore) }.to raise_error(ArgumentError, /on_missing_secret must be one of/)
      expect { middleware(secret: 42) }.to raise_error(TypeError, /secret must be a String or respond to #call/)
    end
  end

  describe "WebhookJob arguments and queue" do
    let(:job) { n::WebhookJob }
    let(:endpoint) { [{ "url" => "http://127.0.0.1:9/hook" }] }

    it "refuses, before anything reaches Redis, what JSON would change, naming where it is" do
      [
        [[[{ url: "x" }], {}, "e"], "endpoints[0] has the Symbol key :url"],
        [[endpoint, { "at" => Time.utc(2026, 1, 1) }, "e"], 'payload["at"] is a Time'],
        [[endpoint, { "kind" => :incoming }, "e"], 'payload["kind"] is a Symbol'],
        [[endpoint, { "n" => [1.5, Float::NAN] }, "e"], 'payload["n"][1] NaN is not a JSON number'],
        [[endpoint, { "x" => Object.new }, "e"], 'payload["x"] is an Object'],
        [[endpoint, {}, :message_created], "event is a Symbol"],
        [[endpoint, {}, "e", { attempt: 2 }], "options has the Symbol key :attempt"],
        [[endpoint, (1..101).reduce(1) { |inner, _| [inner] }, "e"], "is nested deeper than 100 levels"],
      ].each do |args, named|
        expect { job.perform_async(*args) }.to raise_error(ArgumentError, /JSON-native.*#{Regexp.escape(named)}/m)
        expect { job.perform_in(5, *args) }.to raise_error(ArgumentError, /#{Regexp.escape(named)}/)
        expect { job.set(queue: "q").perform_async(*args) }.to raise_error(ArgumentError, /#{Regexp.escape(named)}/)
      end
    end

    it "takes its queue from c.queue on every enqueue, the first included; \"webhooks\" when unset" do
      expect(job.get_sidekiq_options).to include("queue" => "webhooks", "retry" => false)
      n.configure { |c| c.queue = "medium" }
      expect(job.get_sidekiq_options).to include("queue" => "medium", "retry" => false)
      n.configure { |c| c.queue = :low }
      expect(job.get_sidekiq_options["queue"]).to eq("low")
    end
  end

  describe "settings" do
    it "refuses Chatwoot settings that cannot work, naming them" do
      [
        [->(c) { c.on_webhook_failure = ->(*) {} }, /on_webhook_failure must be a Hash of webhook type => callable/],
        [->(c) { c.on_webhook_failure = { api_inbox_webhook: "mark failed" } }, /on_webhook_failure must be a Hash/],
        [->(c) { c.webhook_timeout = 0 }, /webhook_timeout must be nil, seconds/],
        [->(c) { c.webhook_timeout = "5" }, /webhook_timeout must be nil, seconds/],
        [->(c) { c.queue = "" }, /queue must be nil or a queue name/],
      ].each do |setting, message|
        expect { n.configure(&setting) }.to raise_error(n::ConfigurationError, message)
      end
    end
  end

  describe "Chatwoot.trigger" do
    let(:receiver) do
      TestReceiver.new do |request, _|
        if request.path == "/slow"
          sleep 3; [200, {}, "late"]
        else
          [request.path == "/down" ? 502 : 200, {}, "x"]
        end
      end
    end
    let(:calls) { [] }

    before do
      seen = calls
      n.configure do |c|
        c.allowed_private_cidrs = ["127.0.0.1/32"]
        c.on_webhook_failure = { api_inbox_webhook: ->(payload, result) { seen << [:inbox, payload, result.status] },
                                 "agent_bot_webhook" => ->(payload, result) { seen << [:bot, payload, result.status] } }
      end
    end

    after { receiver.stop }

    it "calls back per webhook type for message_created and message_updated only, Symbol or String keys" do
      n::Chatwoot.trigger(receiver.url("/down?token=t0ken"), { id: 1, event: "message_created" }, :api_inbox_webhook, secret: "inbox-s3cret")
      n::Chatwoot.trigger(receiver.url("/down"), { "id" => 2, "event" => "message_updated" }, :agent_bot_webhook)
      n::Chatwoot.trigger(receiver.url("/down"), { id: 3, event: "conversation_created" }, :api_inbox_webhook)
      n::Chatwoot.trigger(receiver.url("/down"), { id: 4, event: "message_created" }, :account_webhook)
      ok = n::Chatwoot.trigger(receiver.url("/up"), { id: 5, event: "message_created" }, :api_inbox_webhook)
      expect(ok).to be_success
      expect(calls).to eq([[:inbox, { id: 1, event: "message_created" }, 502], [:bot, { "id" => 2, "event" => "message_updated" }, 502]])
      expect(log.string.lines.grep(%r{webhook to http://127\.0\.0\.1:\d+/down failed: HTTP 502}).size).to eq(3)
      expect(log.string.lines.grep(%r{webhook to http://127\.0\.0\.1:\d+/down\?token=\[REDACTED\] failed: HTTP 502}).size).to eq(1)
      expect(log.string).not_to include("inbox-s3cret")
      expect(log.string).not_to include("t0ken") # the query is redacted
    end

    it "treats an unusable URL as a failed delivery, as Chatwoot's trigger rescues it, and calls back" do
      result = n::Chatwoot.trigger("not a url", { id: 6, event: "message_created" }, :api_inbox_webhook, delivery_id: "d-6")
      expect([result.success?, result.invalid?, result.delivery_id]).to eq([false, true, "d-6"])
      expect(calls.map(&:first)).to eq([:inbox])
    end

    it "signs only with a secret that is present, and sends Chatwoot's headers" do
      n::Chatwoot.trigger(receiver.url("/blank"), { id: 7, event: "message_created" }, :account_webhook, secret: "  ")
      n::Chatwoot.trigger(receiver.url("/signed"), { id: 7, event: "message_created" }, :account_webhook, secret: "k7")
      blank, signed = receiver.received.sort_by(&:path)
      expect(blank.header("x-chatwoot-signature")).to be_nil
      expect(blank.body).to eq('{"id":7,"event":"message_created"}')
      expect(n::Signature.verify_chatwoot(secret: "k7", timestamp: signed.header("x-chatwoot-timestamp"), body: signed.body,
                                          signature: signed.header("x-chatwoot-signature"))).to be(true)
      expect([signed.header("accept"), signed.header("content-type")]).to eq(["application/json", "application/json"])
    end

    it "reads its timeout per delivery from c.webhook_timeout, like Chatwoot's WEBHOOK_TIMEOUT" do
      { nil => nil, "" => nil, "0" => nil, "-3" => nil, "abc" => nil, "7" => 7, 9 => 9, 1000 => 600 }.each do |raw, seconds|
        n.configure { |c| c.webhook_timeout = -> { raw } }
        expect(n::Chatwoot.timeout).to eq(seconds), "WEBHOOK_TIMEOUT #{raw.inspect}"
      end
      n.configure { |c| c.webhook_timeout = -> { "1" } }
      started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      result = n::Chatwoot.trigger(receiver.url("/slow"), { id: 8, event: "message_created" }, :api_inbox_webhook)
      expect(Process.clock_gettime(Process::CLOCK_MONOTONIC) - started).to be < 2.5
      expect(result).not_to be_success
      expect(calls.map(&:first)).to eq([:inbox])
    end
  end
end
