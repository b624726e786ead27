# frozen_string_literal: true

require "json"
require "openssl"

# The durable half, against a real redis-server and real Sidekiq processes.
RSpec.describe "Integrations::Native::WebhookJob" do
  let(:n) { Integrations::Native }

  before(:all) do
    @redis = TestRedis.new
    require "sidekiq/api"
    Sidekiq.configure_client { |c| c.redis = { url: @redis.url } }
    @job = Integrations::Native::WebhookJob
  end

  after(:all) { @redis&.stop }

  before do
    Sidekiq.redis(&:flushdb)
    @dir = Dir.mktmpdir("webhook-job")
    @receiver = TestReceiver.new
    @sidekiqs = []
    n.configure { |c| c.allowed_private_cidrs = ["127.0.0.1/32"] }
  end

  after do
    @sidekiqs.each(&:terminate)
    @receiver.stop
    FileUtils.rm_rf(@dir)
    n.reset_configuration!
  end

  let(:endpoints_file) { File.join(@dir, "endpoints.json") }
  let(:failures_file) { File.join(@dir, "failures.txt") }
  let(:jobs_done_file) { File.join(@dir, "jobs_done.txt") }
  let(:payload) { { "id" => 4821, "content" => "Hello" } }

  def start_sidekiq(max_attempts: 5)
    env = { "REDIS_URL" => @redis.url, "ENDPOINTS_FILE" => endpoints_file, "FAILURES_FILE" => failures_file, "JOBS_DONE_FILE" => jobs_done_file,
            "MAX_ATTEMPTS" => max_attempts.to_s }
    TestSidekiq.new(env).tap { |s| @sidekiqs << s }
  end

  def requests_to(path)
    @receiver.received.select { |r| r.path == path }
  end

  # True once `runs` job runs have finished and nothing is queued or scheduled: from then on no
  # further delivery can happen, so counting requests is final.
  def settled_after?(runs)
    finished = File.exist?(jobs_done_file) ? File.readlines(jobs_done_file).size : 0
    finished >= runs && Sidekiq::ScheduledSet.new.size.zero? && Sidekiq::Queue.new("webhooks").size.zero?
  end

  def resolvable(endpoints)
    File.write(endpoints_file, JSON.generate(endpoints))
  end

  it "is a Sidekiq job on the webhooks queue with Sidekiq's own retry off" do
    expect(@job.ancestors).to include(Sidekiq::Worker)
    expect(@job.get_sidekiq_options).to include("queue" => "webhooks", "retry" => false)
  end

  it "re-enqueues only the failing endpoint, with its delivery id and the next attempt number" do
    @receiver.respond { |request, _| request.path == "/down" ? [503, {}, "down"] : [200, {}, "ok"] }
    n.configure { |c| c.endpoint_resolver = ->(id) { { url: @receiver.url("/down"), secret: "secret-#{id}" } } }
    results = @job.new.perform([7, { "url" => @receiver.url("/up"), "secret" => "s" }], payload, "message_created")

    expect(results.map(&:success?)).to eq([false, true])
    scheduled = Sidekiq::ScheduledSet.new.to_a
    expect(scheduled.size).to eq(1)
    args = scheduled.first.args
    expect(args[0]).to eq([7]) # the id, never the secret
    expect(args[1]).to eq(payload)
    expect(args[3]).to eq("attempt" => 2, "delivery_ids" => [results[0].delivery_id])
    expect(scheduled.first.at).to be_within(1.2).of(Time.now + 5) # the default schedule's first step, 5 s +-20%
    expect(Sidekiq.dump_json(args)).not_to include("secret-7")
  end

  it "keeps an unresolvable endpoint from costing the others their delivery" do
    log = StringIO.new
    n.configure do |c|
      c.endpoint_resolver = ->(id) { id == 1 ? raise(KeyError, "no webhook 1") : { url: @receiver.url("/ok"), secret: "s3cr3t-2" } }
      c.logger = Logger.new(log)
    end
    results = @job.new.perform([1, 2], payload, "message_created")
    expect(results.map(&:success?)).to eq([false, true])
    expect(results[0].error).to include("no webhook 1")
    expect(log.string).to include("failed after 1 attempt(s)").and include("no webhook 1")
    expect(log.string).not_to include("s3cr3t")
    expect(requests_to("/ok").size).to eq(1)
  end

  it "delivers through Sidekiq: retries the flaky endpoint until it succeeds, the healthy one exactly once" do
    resolvable("1" => { "url" => @receiver.url("/flaky"), "secret" => "flaky-secret" })
    @receiver.respond do |request, _|
      # received holds the answered requests: the first two /flaky deliveries fail.
      if request.path == "/flaky" && requests_to("/flaky").size < 2 then [500, {}, "fail"]
      else [200, {}, "ok"]
      end
    end
    start_sidekiq
    @job.perform_async([1, { "url" => @receiver.url("/healthy"), "secret" => "h" }], payload, "message_created")

    # The first run and two retries; a wrong extra retry would be scheduled before the third run ends.
    expect(wait_for(timeout: 40) { settled_after?(3) }).to be(true), -> { @sidekiqs.last.log }
    flaky = requests_to("/flaky")
    expect(flaky.size).to eq(3)
    expect(flaky.map { |r| r.header("x-chatwoot-delivery") }.uniq.size).to eq(1)
    flaky.each do |r|
      expect(n::Signature.verify_chatwoot(secret: "flaky-secret", timestamp: r.header("x-chatwoot-timestamp"),
                                          body: r.body, signature: r.header("x-chatwoot-signature"))).to be(true)
    end
    expect(requests_to("/healthy").size).to eq(1)
    expect(JSON.parse(flaky.last.body)).to eq(payload.merge("event" => "message_created"))
    expect(File.exist?(failures_file)).to be(false)
  end

  it "gives up after max_attempts and calls on_delivery_failure once" do
    resolvable({})
    @receiver.respond { [500, {}, "always down"] }
    start_sidekiq(max_attempts: 3)
    @job.perform_async([{ "url" => @receiver.url("/dead") }], payload, "message_created")

    expect(wait_for(timeout: 40) { settled_after?(3) }).to be(true), -> { @sidekiqs.last.log }
    expect(requests_to("/dead").size).to eq(3)
    ids = File.read(failures_file).split
    expect(ids).to eq([requests_to("/dead").first.header("x-chatwoot-delivery")])
    expect(@sidekiqs.last.log).to include("failed after 3 attempt(s)")
  end

  it "loses no delivery when Sidekiq is stopped mid-delivery: the job runs again after a restart" do
    resolvable({})
    @receiver.respond do |_request, index|
      if index.zero?
        200.times { break if @receiver.signalled?(:release); sleep 0.05 } # hang the first delivery
        [200, {}, "late"]
      else
        [200, {}, "ok"]
      end
    end
    first = start_sidekiq
    @job.perform_async([{ "url" => @receiver.url("/slow"), "secret" => "k" }], payload, "message_created")
    expect(wait_for(timeout: 20) { @receiver.arrived >= 1 }).to be(true), -> { first.log }

    # TERM: Sidekiq waits its 3 s timeout, pushes the job back to Redis and interrupts the thread,
    # which is blocked in a native dispatch; an uninterruptible one would hold the process.
    seconds = first.terminate
    expect(seconds).to be < 10
    @receiver.signal(:release)

    second = start_sidekiq
    expect(wait_for(timeout: 30) { requests_to("/slow").size >= 2 }).to be(true), -> { second.log.lines.grep_v(/brpop|positional|sadd/).last(30).join }
    ids = requests_to("/slow").map { |r| r.header("x-chatwoot-delivery") }
    expect(ids.uniq.size).to eq(1) # the re-run job reuses its delivery id, so the receiver can de-duplicate
  end
end
