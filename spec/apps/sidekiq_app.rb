# frozen_string_literal: true

# Booted by the Sidekiq processes the WebhookJob spec starts (`sidekiq -r this_file`).
$LOAD_PATH.unshift(File.expand_path("../../lib", __dir__))
require "chatwoot_integrations_rs"
require "json"

# Poll the scheduled set often, so retries in the spec come round within a second or two.
Sidekiq.options[:poll_interval_average] = 0.5
Redis.silence_deprecations = true # Sidekiq 6.4 calls sadd in the form redis 4.8 warns about

# Each job run, when it has finished (re-enqueues included), appends a line to JOBS_DONE_FILE: the
# spec waits for a number of finished runs instead of sleeping.
class RecordFinishedJobs
  def call(_worker, job, _queue)
    yield
  ensure
    File.write(ENV.fetch("JOBS_DONE_FILE"), "#{job["jid"]}\n", mode: "a")
  end
end
Sidekiq.configure_server { |config| config.server_middleware { |chain| chain.add(RecordFinishedJobs) } }

Integrations::Native.configure do |c|
  c.allowed_private_cidrs = ["127.0.0.1/32"]
  c.retry_delay = ->(_attempt) { 1 }
  c.max_attempts = Integer(ENV.fetch("MAX_ATTEMPTS"))
  c.endpoint_resolver = ->(id) { JSON.parse(File.read(ENV.fetch("ENDPOINTS_FILE"))).fetch(id.to_s) }
  c.on_delivery_failure = ->(result) { File.write(ENV.fetch("FAILURES_FILE"), "#{result.delivery_id}\n", mode: "a") }
  # The durable-delivery specs (spec/durable_delivery_spec.rb): a schedule (in the seconds of a
  # real deployment; INTEGRATIONS_NATIVE_TIME_SCALE compresses it) and the health callbacks, which
  # append one JSON line each to HEALTH_FILE and answer DISABLE_ANSWER.
  c.retry_schedule = JSON.parse(ENV["RETRY_SCHEDULE"]) if ENV["RETRY_SCHEDULE"]
  c.endpoint_failing_after = Integer(ENV["FAILING_AFTER"]) if ENV["FAILING_AFTER"]
  c.endpoint_disable_after = Float(ENV["DISABLE_AFTER"]) if ENV["DISABLE_AFTER"]
  if ENV["HEALTH_FILE"]
    record = lambda do |kind, streak|
      line = { kind: kind, endpoint: streak.endpoint, failures: streak.failures, gone: streak.gone,
               since: streak.failing_since.to_f, at: Time.now.to_f }
      File.write(ENV.fetch("HEALTH_FILE"), "#{JSON.generate(line)}\n", mode: "a")
    end
    c.on_endpoint_failing = ->(streak) { record.("failing", streak) }
    c.on_endpoint_disabled = lambda do |streak|
      record.("disabled", streak)
      ENV["DISABLE_ANSWER"] == "true"
    end
  end
end
