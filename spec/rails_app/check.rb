# frozen_string_literal: true

# Boots the Chatwoot-shaped app in one mode, in its own process, and reports what it saw as one JSON line
# on stdout (the last line; generators and Rails may print before it). Run by spec/rails_app_spec.rb:
#
#   ruby spec/rails_app/check.rb development   # dev: models, middleware, SendService, trigger, jobs, reload!
#   ruby spec/rails_app/check.rb production    # eager loading: the same names, and what the Sidekiq process did
#   ruby spec/rails_app/check.rb raise_at_boot # a route with on_missing_secret: :raise and no secret
#   ruby spec/rails_app/check.rb late          # the gem required after the app booted
#
# Environment: RAILS_APP_DB, RAILS_APP_LOG, RAILS_APP_TMP, INBOUND_SECRET, RECEIVER_URL (the spec's loopback
# receiver), SLACK_API_URL (its fake Slack), EVENTS_FILE, REDIS_URL.
require "json"

MODE = ARGV.fetch(0)
ENV["RAILS_ENV"] = MODE == "production" ? "production" : "development"
ENV["RAISE_ROUTE"] = "1" if MODE == "raise_at_boot"
OUT = {} # rubocop:disable Style/MutableConstant -- the checks below fill it in

def report!
  $stdout.puts("CHECK #{JSON.generate(OUT)}")
  $stdout.flush
end

if MODE == "late"
  # The gem required after the app booted (a console `require`), Integrations not yet loaded: the gem's
  # `module Integrations` loads the app's, Native goes into it, and the Railtie keeps it there on reload!.
  ENV["RAILS_APP_LATE_GEM"] = "1"
  require_relative "config/environment"
  OUT["pending_before_require"] = !Object.autoload?(:Integrations).nil?
  require "chatwoot_integrations_rs"
  native = Integrations::Native
  OUT["created_by_gem"] = !Integrations::Native::Namespace.created.nil?
  OUT["before_reload"] = [Integrations::Hook.table_name, Integrations::Native.equal?(native)]
  Rails.application.reloader.reload!
  OUT["after_reload"] = [Integrations::Hook.table_name, Integrations::Native.equal?(native),
                         Integrations::Native::Signature.hmac_sha256_hex("k", "b").size]
  report!
  exit
end

if MODE == "raise_at_boot"
  begin
    require_relative "config/environment"
    OUT["booted"] = true
  rescue StandardError => e
    OUT["error"] = "#{e.class}: #{e.message}"
  end
  report!
  exit
end

require_relative "config/environment"

N = Integrations::Native
RECEIVER = ENV.fetch("RECEIVER_URL")

# What `Integrations` and `Integrations::Native` are now: the app's module with its prefix, and the gem's
# module under it.
def namespace_facts
  { "hook_table" => Integrations::Hook.table_name,
    "prefix" => Integrations.table_name_prefix,
    "integrations_source" => Object.const_source_location("Integrations")&.first&.delete_prefix("#{Rails.root}/"),
    "native_is_gems" => Integrations::Native.equal?(GEM_NATIVE),
    "native_name" => Integrations::Native.name,
    "native_works" => Integrations::Native::Signature.hmac_sha256_hex("k", "b") == OpenSSL::HMAC.hexdigest("SHA256", "k", "b"),
    "delivery_job_queue" => Integrations::Native::DeliveryJob.new.queue_name }
end

def log_lines(pattern)
  File.exist?(ENV["RAILS_APP_LOG"].to_s) ? File.readlines(ENV["RAILS_APP_LOG"]).grep(pattern).size : 0
end

def post(path, body, headers = {})
  response = Rack::MockRequest.new(Rails.application).post(path, { input: body, "CONTENT_TYPE" => "application/json" }.merge(headers))
  { "status" => response.status, "body" => response.body }
end

if MODE == "production"
  Zeitwerk::Loader.eager_load_all
  OUT["eager_load"] = Rails.application.config.eager_load
  OUT["namespace"] = namespace_facts
  OUT["integrations_autoload_pending"] = !Object.autoload?(:Integrations).nil?
  OUT["middleware"] = Rails.application.middleware.map(&:klass).include?(Integrations::Native::Rack::VerifySignature)
  # What the Sidekiq process's failure callbacks did to the records.
  OUT["messages"] = Message.order(:id).map { |m| { "id" => m.id, "status" => m.status, "external_error" => m.external_error } }
  OUT["conversations"] = Conversation.order(:id).map { |c| { "id" => c.id, "status" => c.status } }
  report!
  exit
end

# ---- development ----------------------------------------------------------------------------------------
ActiveRecord::Schema.verbose = false
load File.expand_path("db/schema.rb", __dir__)

OUT["eager_load"] = Rails.application.config.eager_load
OUT["before_reload"] = namespace_facts
OUT["middleware"] = Rails.application.middleware.map(&:klass).include?(Integrations::Native::Rack::VerifySignature)

# The middleware in the Rails stack: Slack's route (no SLACK_SIGNING_SECRET) was skipped at boot with one
# warning; a signed Chatwoot webhook is verified; a route with on_missing_secret: :reject answers 401; a
# secret lambda answering nil passes the request on, with one warning however many requests.
body = JSON.generate("event" => "message_created", "id" => 1)
ts = Time.now.to_i
signed = { "HTTP_X_CHATWOOT_TIMESTAMP" => ts.to_s,
           "HTTP_X_CHATWOOT_SIGNATURE" => N::Signature.sign_chatwoot(secret: ENV.fetch("INBOUND_SECRET"), timestamp: ts, body: body) }
OUT["rack"] = {
  "slack_unset" => post("/api/v1/integrations/webhooks", body),
  "chatwoot_signed" => post("/webhooks/chatwoot", body, signed),
  "chatwoot_unsigned" => post("/webhooks/chatwoot", body),
  "closed" => post("/webhooks/closed", body),
  "per_request" => [post("/webhooks/per_request", body), post("/webhooks/per_request", body)],
}
OUT["rack_warnings"] = {
  "boot" => log_lines(%r{"/api/v1/integrations/webhooks" pass through unverified, because it has no secret}),
  "request" => log_lines(%r{"/webhooks/per_request" pass through unverified, because its secret lambda answered nil}),
}

# Records shaped like Chatwoot's, with sub-second TimeWithZone values.
at = Time.zone.at(1_764_406_874, 123_456, :usec)
account = Account.create!(name: "Acme Support")
agent = User.create!(name: "Sam")
conversation = account.conversations.create!(display_id: 42, status: :pending, agent_last_seen_at: at + 0.5,
                                             created_at: at, updated_at: at + 1.25)
incoming = conversation.messages.create!(account: account, content: "Where is my <order> & refund?",
                                         message_type: :incoming, content_attributes: { "in_reply_to" => nil },
                                         created_at: at + 2.001, updated_at: at + 2.001)
bot_message = conversation.messages.create!(account: account, content: "For the bot", message_type: :incoming)
reply = conversation.messages.create!(account: account, content: "We refunded it.", message_type: :outgoing, sender: agent)
webhook = account.webhooks.create!(url: "#{RECEIVER}/account", secret: "account-secret")
hook = account.hooks.create!(app_id: "slack", status: :enabled, settings: { "channel_name" => "#support" },
                             access_token: "xoxb-good", reference_id: "C0123")
revoked = Account.create!(name: "Other").hooks.create!(app_id: "slack", settings: {}, access_token: "xoxb-revoked",
                                                       reference_id: "C0999")
OUT["ids"] = { "incoming" => incoming.id, "bot_message" => bot_message.id, "conversation" => conversation.id,
               "webhook" => webhook.id }

payload = incoming.webhook_data.merge(event: "message_created")
OUT["expected_body"] = payload.to_json
OUT["payload_has_time_with_zone"] = payload[:created_at].is_a?(ActiveSupport::TimeWithZone)

# Notifications, as an app subscribes to them.
seen = []
subscriber = ActiveSupport::Notifications.subscribe(/\.integrations_native\z/) do |event|
  seen << { "name" => event.name }.merge(event.payload.except(:exception_object).transform_keys(&:to_s))
end

# SendService with real records, and the Outcomes applied to them. As Chatwoot's SendOnSlackService, the
# customer's message starts the Slack thread (an agent's reply waits for one).
waiting = N::SendService.new(hook: hook, message: reply).perform
outcome = N::SendService.new(hook: hook, message: incoming).perform
conversation.update!(identifier: outcome.identifier) if outcome.identifier?
disable = N::SendService.new(hook: revoked, message: incoming).perform
revoked.disable if disable.disable_hook?
after_disable = N::SendService.new(hook: revoked.reload, message: incoming).perform
OUT["send_service"] = { "waiting" => waiting.kind, "kind" => outcome.kind, "identifier" => conversation.reload.identifier,
                        "disable" => [disable.kind, disable.reason], "revoked_status" => revoked.reload.status,
                        "after_disable" => [after_disable.kind, after_disable.reason] }

# Chatwoot's trigger: success; an API inbox failure marks the message failed; an agent bot failure hands the
# pending conversation to a human; an account webhook failure changes nothing.
ok = N::Chatwoot.trigger("#{RECEIVER}/trigger", payload, :account_webhook, secret: "trigger-secret", delivery_id: "dlv-trigger-1")
unsigned = N::Chatwoot.trigger("#{RECEIVER}/trigger-unsigned", payload, :account_webhook)
account_fail = N::Chatwoot.trigger("#{RECEIVER}/down", payload, :account_webhook)
OUT["after_account_failure"] = [incoming.reload.status, conversation.reload.status]
inbox_fail = N::Chatwoot.trigger("#{RECEIVER}/down", payload, :api_inbox_webhook, secret: "s")
bot_payload = bot_message.webhook_data.merge(event: "message_created")
bot_fail = N::Chatwoot.trigger("#{RECEIVER}/down", bot_payload, :agent_bot_webhook)
invalid = N::Chatwoot.trigger("ftp://nowhere.invalid/x", bot_payload.merge(event: "message_updated"), :account_webhook)
OUT["trigger"] = {
  "ok" => [ok.success?, ok.status, ok.delivery_id], "unsigned" => unsigned.success?,
  "account_fail" => [account_fail.success?, account_fail.status], "inbox_fail" => inbox_fail.status,
  "bot_fail" => bot_fail.status, "invalid" => [invalid.success?, invalid.invalid?],
  "message_after" => [incoming.reload.status, incoming.external_error],
  "conversation_after" => conversation.reload.status,
}

ActiveSupport::Notifications.unsubscribe(subscriber)
OUT["notifications"] = seen

# The Sidekiq-native WebhookJob refuses what JSON would change, naming it; c.queue applies to its first enqueue.
refusals = [incoming.webhook_data, incoming.webhook_data.deep_stringify_keys].map do |data|
  N::WebhookJob.perform_async([{ "url" => "#{RECEIVER}/never" }], data, "message_created")
  nil
rescue ArgumentError => e
  e.message
end
OUT["webhook_job"] = { "refusals" => refusals, "queue" => N::WebhookJob.get_sidekiq_options["queue"] }
N::WebhookJob.perform_async([{ "url" => "#{RECEIVER}/sidekiq-native", "secret" => "native-secret" }],
                            JSON.parse(payload.to_json), "message_created")

# ActiveJob deliveries, run by the spec's Sidekiq process (production mode, queue medium only).
jobs = {
  # Chatwoot's own WebhookJob, a subclass (app/jobs/webhook_job.rb), called as Chatwoot's listeners call it.
  "url_form" => WebhookJob.perform_later("#{RECEIVER}/job", payload, :account_webhook, secret: "job-secret",
                                                                                       delivery_id: "dlv-job-1"),
  "flaky" => WebhookJob.perform_later("#{RECEIVER}/flaky", payload, :api_inbox_webhook, secret: "flaky-secret"),
  "many" => N::DeliveryJob.perform_later([webhook.id, { "url" => "#{RECEIVER}/inline", "secret" => "inline-secret" }],
                                         payload, :account_webhook),
  "dead" => N::DeliveryJob.perform_later("#{RECEIVER}/dead", bot_payload, :api_inbox_webhook, secret: "dead-secret"),
}
OUT["delivery_job_refusals"] = [-> { N::DeliveryJob.perform_later([webhook.id], payload, :account_webhook, secret: "x") },
                                -> { N::DeliveryJob.perform_later(webhook, payload) }].map do |enqueue|
  enqueue.call
  nil
rescue ArgumentError, TypeError => e
  "#{e.class}: #{e.message}"
end
OUT["jobs"] = jobs.transform_values { |job| { "queue" => job.queue_name, "enqueued" => !job.provider_job_id.nil? } }

# The queue comes from config at each enqueue; "medium" when none is set.
N.configure { |c| c.queue = nil }
default_queue = N::DeliveryJob.new.queue_name
N.configure { |c| c.queue = "low" }
OUT["queues"] = { "default" => default_queue, "configured" => N::DeliveryJob.new.queue_name }
N.configure { |c| c.queue = "medium" }

# reload!, as the console's does: the app's Integrations is loaded again, and Native is put back in it.
before = Integrations.object_id
Rails.application.reloader.reload!
OUT["reloaded"] = Integrations.object_id != before
OUT["after_reload"] = namespace_facts
after = N::Chatwoot.trigger("#{RECEIVER}/after-reload", Integrations::Hook.first.attributes.slice("id", "app_id").merge("event" => "hook_seen"),
                            :account_webhook, secret: "after-secret")
OUT["after_reload"]["trigger"] = after.success?
OUT["after_reload"]["hook_class_reloaded"] = !Integrations::Hook.first.is_a?(hook.class)

# The install generator writes the initializer template.
require "rails/generators"
Rails.application.load_generators
destination = File.join(ENV.fetch("RAILS_APP_TMP"), "generated")
Rails::Generators.invoke("integrations_native:install", ["--quiet"], destination_root: destination)
generated = File.join(destination, "config/initializers/integrations_native.rb")
OUT["generator"] = { "written" => File.exist?(generated),
                     "valid_ruby" => File.exist?(generated) && !RubyVM::InstructionSequence.compile(File.read(generated)).nil?,
                     "configures" => File.exist?(generated) && File.read(generated).include?("c.on_webhook_failure") }
report!
