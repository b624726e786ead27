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
end
