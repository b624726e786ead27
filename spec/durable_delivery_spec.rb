# frozen_string_literal: true

require "json"
require "active_support"
require "active_support/notifications"

# The retry schedule, endpoint health and attempt history of the durable jobs, against a
# real redis-server and real Sidekiq processes. The schedule is written in a deployment's seconds
# and compressed by INTEGRATIONS_NATIVE_TIME_SCALE (test-only), never by sleeping for hours.
RSpec.describe "durable delivery: schedule, endpoint health, attempt history" do
  let(:n) { Integrations::Native }
  let(:job) { Integrations::Native::WebhookJob }
  let(:payload) { { "id" => 4821, "content" => "Hello" } }
  let(:health_file) { File.join(@dir, "health.jsonl") }
  let(:failures_file) { File.join(@dir, "failures.txt") }
  let(:jobs_done_file) { File.join(@dir, "jobs_done.txt") }
  let(:endpoints_file) { File.join(@dir, "endpoints.json") }

  before(:all) do
    @redis = TestRedis.new
    require "sidekiq/api"
    Sidekiq.configure_client { |c| c.redis = { url: @redis.url } }
  end

  after(:all) { @redis&.stop }

  before do
    Sidekiq.redis(&:flushdb)
    @dir = Dir.mktmpdir("durable")
    @receiver = TestReceiver.new
    @sidekiqs = []
    n.configure { |c| c.allowed_private_cidrs = ["127.0.0.1/32"] }
  end

  after do
    @sidekiqs.each(&:terminate)
    @receiver.stop
    FileUtils.rm_rf(@dir)
    ENV.delete("INTEGRATIONS_NATIVE_TIME_SCALE")
    n.reset_configuration!
  end

  def start_sidekiq(schedule:, scale:, failing_after: 4, disable_after: 5 * 86_400, disable_answer: false)
    File.write(endpoints_file, "{}") unless File.exist?(endpoints_file)
    env = { "REDIS_URL" => @redis.url, "ENDPOINTS_FILE" => endpoints_file, "FAILURES_FILE" => failures_file,
            "JOBS_DONE_FILE" => jobs_done_file, "MAX_ATTEMPTS" => "2", "RETRY_SCHEDULE" => JSON.generate(schedule),
            "INTEGRATIONS_NATIVE_TIME_SCALE" => scale.to_s, "FAILING_AFTER" => failing_after.to_s,
            "DISABLE_AFTER" => disable_after.to_s, "HEALTH_FILE" => health_file, "DISABLE_ANSWER" => disable_answer.to_s }
    TestSidekiq.new(env).tap { |s| @sidekiqs << s }
  end

  def finished_runs
    File.exist?(jobs_done_file) ? File.readlines(jobs_done_file).size : 0
  end

  def settled_after?(runs)
    finished_runs >= runs && Sidekiq::ScheduledSet.new.size.zero? && Sidekiq::Queue.new("webhooks").size.zero?
  end

  def health_lines
    File.exist?(health_file) ? File.readlines(health_file).map { |line| JSON.parse(line) } : []
  end

  def requests_to(path)
    @receiver.received.select { |r| r.path == path }
  end

  def streak(reference)
    Sidekiq.redis { |conn| conn.hgetall(n::EndpointHealth.key(reference)) }
  end

  describe "the retry schedule" do
    it "defaults to about a day in 8 attempts, computed by the core; retry_delay/max_attempts keep the old rule" do
      c = n.config
      expect(c.effective_retry_schedule).to eq([5, 300, 1800, 7200, 18_000, 36_000, 36_000].map(&:to_f))
      n.configure { |cfg| cfg.retry_delay = ->(_) { 1 } }
      expect(n.config.effective_retry_schedule).to be_nil # the app's own rule
      n.configure { |cfg| cfg.retry_schedule = [1, 2] }
      expect(n.config.effective_retry_schedule).to eq([1, 2]) # an Array wins over retry_delay
    end

    it "refuses a schedule that cannot work, naming it (the limits are the core's)" do
      [[[], /1 to 100 steps/], [[5, 0], /step 2 must be above 0/], [[8 * 86_400], /at most 604800/],
       [Array.new(101, 1), /1 to 100 steps/], [["5"], /retry_schedule must be nil or an Array of seconds/],
       [5, /retry_schedule must be nil or an Array/]].each do |schedule, message|
        expect { n.configure { |c| c.retry_schedule = schedule } }.to raise_error(n::ConfigurationError, message)
      end
      expect { n.configure { |c| c.retry_after_max = 0 } }.to raise_error(n::ConfigurationError, /retry_after_max/)
      expect { n.configure { |c| c.endpoint_failing_after = 0 } }.to raise_error(n::ConfigurationError, /endpoint_failing_after/)
      expect { n.configure { |c| c.endpoint_disable_after = -1 } }.to raise_error(n::ConfigurationError, /endpoint_disable_after/)
      expect { n.configure { |c| c.on_endpoint_disabled = 5 } }.to raise_error(n::ConfigurationError, /on_endpoint_disabled/)
    end

    it "schedules the first retry of the default schedule 5 s +-20% out, and records it on the result" do
      @receiver.respond { [503, {}, "down"] }
      results = job.new.perform([{ "url" => @receiver.url("/down") }], payload, "message_created")
      scheduled = Sidekiq::ScheduledSet.new.to_a
      expect(scheduled.size).to eq(1)
      delay = scheduled.first.score - scheduled.first["created_at"]
      expect(delay).to be_between(4.0 - 0.05, 6.0 + 0.05)
      expect(results.first.attempt).to eq(1)
      expect(results.first.next_attempt_at.to_f).to be_within(0.05).of(scheduled.first.score)
    end

    it "clamps Retry-After between the step and retry_after_max" do
      n.configure do |c|
        c.retry_schedule = [10]
        c.retry_after_max = 60
      end
      @receiver.respond { |req, _| [429, { "Retry-After" => req.path.delete_prefix("/") }, "slow down"] }
      delays = %w[1 30 7200].map do |asked|
        Sidekiq.redis(&:flushdb)
        job.new.perform([{ "url" => @receiver.url("/#{asked}") }], payload, "e")
        entry = Sidekiq::ScheduledSet.new.first
        entry.score - entry["created_at"]
      end
      expect(delays[0]).to be_between(8.0 - 0.05, 12.0 + 0.05) # shorter than the step: the step
      expect(delays[1]).to be_within(0.1).of(30)                # between: as asked
      expect(delays[2]).to be_within(0.1).of(60)                # beyond the cap: the cap
    end

    it "delivers through Sidekiq: fails 3 times, then recovers; each retry scheduled within its step +-20%" do
      @receiver.respond do |request, _|
        request.path == "/flaky" && requests_to("/flaky").size < 3 ? [503, {}, "down"] : [200, {}, "ok"]
      end
      # 100 s, 200 s, 300 s, 400 s in a deployment; 1 s, 2 s, 3 s, 4 s here.
      start_sidekiq(schedule: [100, 200, 300, 400], scale: 0.01)
      job.perform_async([{ "url" => @receiver.url("/flaky"), "secret" => "k" }], payload, "message_created")

      seen = {}
      settled = wait_for(timeout: 40, interval: 0.05) do
        Sidekiq::ScheduledSet.new.each { |entry| seen[entry.jid] ||= [entry.args[3]["attempt"], entry.score - entry["created_at"]] }
        settled_after?(4)
      end
      expect(settled).to be(true), -> { @sidekiqs.last.log }
      expect(seen.values.sort).to match([[2, be_between(0.8 - 0.05, 1.2 + 0.05)], [3, be_between(1.6 - 0.05, 2.4 + 0.05)],
                                         [4, be_between(2.4 - 0.05, 3.6 + 0.05)]])
      flaky = requests_to("/flaky")
      expect(flaky.size).to eq(4)
      expect(flaky.map { |r| r.header("x-chatwoot-delivery") }.uniq.size).to eq(1)
      expect(File.exist?(failures_file)).to be(false)
      expect(health_lines).to be_empty # 3 failures: below the failing threshold (4), and the success reset them
      expect(streak({ "url" => @receiver.url("/flaky") })).to be_empty
    end
  end

  describe "endpoint health" do
    def watch_health(failing_after: 4, disable_answer: true)
      calls = []
      n.configure do |c|
        c.endpoint_failing_after = failing_after
        c.on_endpoint_failing = ->(s) { calls << [:failing, s.endpoint, s.failures, s.gone?] }
        c.on_endpoint_disabled = lambda do |s|
          calls << [:disabled, s.endpoint, s.failures, s.gone?]
          disable_answer
        end
      end
      calls
    end

    it "asks the app to disable an endpoint at once when it answers 410 Gone" do
      calls = watch_health
      @receiver.respond { [410, {}, "gone"] }
      n.configure { |c| c.endpoint_resolver = ->(_id) { { url: @receiver.url("/gone") } } }
      results = job.new.perform([12], payload, "message_created")
      expect(results.first.status).to eq(410)
      expect(calls).to eq([[:disabled, 12, 1, true]])
      expect(results.first.next_attempt_at).to be_nil
      expect(Sidekiq::ScheduledSet.new.size).to eq(0)
      expect(streak(12)).to include("failures" => "1", "disabled" => "1")
    end

    it "a success resets the streak: failing is reported once per streak" do
      calls = watch_health(failing_after: 2)
      url = @receiver.url("/down")
      n.configure { |c| c.endpoint_resolver = ->(_id) { { url: url } } }
      @receiver.respond { |req, _| req.path == "/down" ? [500, {}, "down"] : [200, {}, "ok"] }

      2.times { job.new.perform([7], payload, "e") }
      first_since = streak(7)["since"]
      expect(streak(7)).to include("failures" => "2", "failing" => "1")
      job.new.perform([7], payload, "e")
      expect(calls).to eq([[:failing, 7, 2, false]]) # once, at the threshold, not again at 3

      url = @receiver.url("/up")
      job.new.perform([7], payload, "e")
      expect(streak(7)).to be_empty

      url = @receiver.url("/down")
      2.times { job.new.perform([7], payload, "e") }
      expect(streak(7)["since"]).not_to eq(first_since)
      expect(calls).to eq([[:failing, 7, 2, false], [:failing, 7, 2, false]]) # a new streak, a new notice
      expect(Sidekiq.redis { |conn| conn.pttl(n::EndpointHealth.key(7)) }).to be > 86_400_000 # twice the 5-day window
    end

    it "a streak longer than the window: the disabled callback, then no further retries" do
      @receiver.respond { [503, {}, "down"] }
      # 1 s steps (100 s unscaled) for up to 20 retries; a 2.5 s window (250 s unscaled).
      start_sidekiq(schedule: Array.new(20, 100), scale: 0.01, failing_after: 2, disable_after: 250, disable_answer: true)
      job.perform_async([{ "url" => @receiver.url("/dead") }], payload, "message_created")

      expect(wait_for(timeout: 40) { health_lines.any? { |l| l["kind"] == "disabled" } && settled_after?(1) }).to be(true),
                                                                                                                  -> { @sidekiqs.last.log }
      sleep 1.5 # a wrongly scheduled retry would come due within a step
      kinds = health_lines.map { |l| l["kind"] }
      expect(kinds).to eq(%w[failing disabled])
      disabled = health_lines.last
      # (2 when Sidekiq's scheduled poller, which first polls 5-15 s after boot, makes the second
      # attempt late enough to be past the window already.)
      expect(disabled["failures"]).to be_between(2, 6)
      expect(disabled["at"] - disabled["since"]).to be >= 2.5
      expect(disabled["gone"]).to be(false)
      # No delivery after the one that found the window passed, and the job gave up once.
      expect(requests_to("/dead").size).to eq(disabled["failures"])
      expect(File.readlines(failures_file).size).to eq(1)
      expect(Sidekiq::ScheduledSet.new.size).to eq(0)
      expect(@sidekiqs.last.log).to include("(endpoint disabled)")
    end

    it "keeps retrying when the disabled callback answers false (the app did not disable it)" do
      calls = watch_health(disable_answer: false)
      n.configure { |c| c.endpoint_disable_after = 0.001 }
      @receiver.respond { [503, {}, "down"] }
      job.new.perform([{ "url" => @receiver.url("/x") }], payload, "e")
      sleep 0.01
      results = job.new.perform([{ "url" => @receiver.url("/x") }], payload, "e")
      expect(calls.map(&:first)).to eq([:disabled]) # asked once per streak
      expect(results.first.next_attempt_at).not_to be_nil
      expect(Sidekiq::ScheduledSet.new.size).to eq(2)
    end

    it "counts every failure once when many Sidekiq threads fail the same endpoint at once (atomic updates)" do
      File.write(endpoints_file, JSON.generate("3" => { "url" => @receiver.url("/busy") }))
      @receiver.respond { [400, {}, "bad"] } # final: each job fails once and gives up
      start_sidekiq(schedule: [100], scale: 0.01, failing_after: 10)
      Sidekiq::Client.push_bulk("class" => job, "args" => Array.new(30) { [[3], payload, "e"] })

      expect(wait_for(timeout: 60) { settled_after?(30) }).to be(true), -> { @sidekiqs.last.log }
      expect(requests_to("/busy").size).to eq(30)
      expect(streak(3)["failures"]).to eq("30")
      failing = health_lines.select { |l| l["kind"] == "failing" }
      expect(failing.size).to eq(1)
      expect(failing.first["failures"]).to eq(10)
    end

    it "a Redis that cannot be reached costs the bookkeeping, never the retry: logged, nothing disabled" do
      log = StringIO.new
      n.configure do |c|
        c.on_endpoint_failing = ->(_) { true }
        c.logger = Logger.new(log)
      end
      unreachable = ->(&_block) { raise Errno::ECONNREFUSED, "redis" }
      failed = n::DeliveryResult.new(url: "http://127.0.0.1:9/x", status: 500, attempts: 1, duration: 0.1, error: "HTTP 500",
                                     retryable: true, response_excerpt: "", delivery_id: "d-1")
      expect(n::EndpointHealth.new(n.config, unreachable).record([failed], [5])).to eq([false])
      expect(log.string).to include("endpoint health not recorded: Errno::ECONNREFUSED")
    end

    it "leaves Redis alone when no health callback is set" do
      @receiver.respond { [500, {}, "down"] }
      job.new.perform([{ "url" => @receiver.url("/q") }], payload, "e")
      expect(Sidekiq.redis { |conn| conn.keys("#{n::EndpointHealth::PREFIX}*") }).to be_empty
    end

    it "a callback that raises is logged and costs the retry nothing" do
      log = StringIO.new
      n.configure do |c|
        c.endpoint_failing_after = 1
        c.on_endpoint_failing = ->(_) { raise "boom" }
        c.logger = Logger.new(log)
      end
      @receiver.respond { [500, {}, "down"] }
      results = job.new.perform([{ "url" => @receiver.url("/r") }], payload, "e")
      expect(log.string).to include("on_endpoint_failing raised RuntimeError: boom")
      expect(results.first.next_attempt_at).not_to be_nil
    end
  end

  describe "DeliveryJob (ActiveJob) shares it" do
    before do
      require "active_job"
      @adapter = ActiveJob::Base.queue_adapter
      @logger = ActiveJob::Base.logger
      ActiveJob::Base.queue_adapter = :test
      ActiveJob::Base.logger = Logger.new(File::NULL)
    end

    after do
      ActiveJob::Base.queue_adapter = @adapter
      ActiveJob::Base.logger = @logger
    end

    it "retries the url form on the schedule, with the secret list, and reports a 410 at once" do
      calls = []
      n.configure do |c|
        c.retry_schedule = [60, 600]
        c.on_endpoint_disabled = lambda do |s|
          calls << [s.endpoint, s.gone?]
          true
        end
      end
      @receiver.respond { |req, _| req.path == "/gone" ? [410, {}, "gone"] : [503, {}, "down"] }
      delivery_job = Integrations::Native::DeliveryJob
      delivery_job.perform_now(@receiver.url("/down"), { "event" => "message_created", "id" => 1 }, :account_webhook,
                               secret: %w[newest older])
      retry_job = delivery_job.queue_adapter.enqueued_jobs.last
      expect(retry_job[:at] - Time.now.to_f).to be_between(60 * 0.8 - 1, 60 * 1.2)
      expect(retry_job[:args][3]).to include("secret" => %w[newest older], "attempt" => 2)

      delivery_job.perform_now(@receiver.url("/gone"), { "event" => "message_created", "id" => 2 }, :account_webhook)
      expect(calls).to eq([[n.redact_url(@receiver.url("/gone")), true]])
      expect(delivery_job.queue_adapter.enqueued_jobs.size).to eq(1) # no retry for the 410
    end
  end

  describe "attempt history" do
    it "each result and deliver.integrations_native event carries the attempt and the next attempt's time" do
      events = []
      subscriber = ActiveSupport::Notifications.subscribe("deliver.integrations_native") { |*args| events << args.last }
      @receiver.respond { |req, _| req.path == "/down" ? [503, {}, "down"] : [200, {}, "ok"] }
      results = job.new.perform([{ "url" => @receiver.url("/down") }, { "url" => @receiver.url("/up") }], payload, "e",
                                { "attempt" => 3 })
      expect(events.size).to eq(2) # once each, not once from dispatch and again from the job
      expect(events.map { |e| e[:attempt] }).to eq([3, 3])
      expect(events[0][:next_attempt_at]).to be_within(0.1).of(results[0].next_attempt_at)
      expect(results[0].next_attempt_at - Time.now).to be_between(1800 * 0.8 - 1, 1800 * 1.2) # step 3: 30 min
      expect(events[1][:next_attempt_at]).to be_nil

      # The last attempt of the default schedule: no next one, and the failure callback runs.
      failed = []
      n.configure { |c| c.on_delivery_failure = ->(r) { failed << r } }
      events.clear
      last = job.new.perform([{ "url" => @receiver.url("/down") }], payload, "e", { "attempt" => 8 }).first
      expect([last.attempt, last.next_attempt_at]).to eq([8, nil])
      expect(failed.map(&:attempt)).to eq([8])
      expect(events.map { |e| [e[:attempt], e[:next_attempt_at]] }).to eq([[8, nil]])

      # A plain dispatch is attempt 1 with no next attempt.
      events.clear
      plain = n.dispatch(url: @receiver.url("/up"), payload: payload)
      expect([plain.attempt, plain.next_attempt_at]).to eq([1, nil])
      expect(events.map { |e| e[:attempt] }).to eq([1])
    ensure
      ActiveSupport::Notifications.unsubscribe(subscriber) if subscriber
    end

    it "derives a job's delivery ids in the core, as earlier versions did, so re-runs keep them" do
      @receiver.respond { [200, {}, "ok"] }
      worker = job.new
      worker.jid = "4f3c2a1b0e9d8c7b6a594837"
      results = worker.perform([{ "url" => @receiver.url("/a") }, { "url" => @receiver.url("/b") }], payload, "e")
      # The derivation the Ruby side used to have (SHA-256 of "jid:index" laid out as a v5 UUID).
      old = lambda do |index|
        hex = Digest::SHA256.hexdigest("#{worker.jid}:#{index}")
        "#{hex[0, 8]}-#{hex[8, 4]}-5#{hex[13, 3]}-#{((hex[16].hex & 0x3) | 0x8).to_s(16)}#{hex[17, 3]}-#{hex[20, 12]}"
      end
      expect(results.map(&:delivery_id)).to eq([old.(0), old.(1)])
      expect(@receiver.received.map { |r| r.header("x-chatwoot-delivery") }.sort).to eq([old.(0), old.(1)].sort)
    end
  end
end
