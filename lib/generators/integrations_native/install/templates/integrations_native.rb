# frozen_string_literal: true

# chatwoot_integrations_rs: Integrations::Native settings. Every setting is optional; see the gem's README,
# "Using it in Chatwoot". A setting that cannot work raises Integrations::Native::ConfigurationError at boot.
Integrations::Native.configure do |c|
  # Delivery: Chatwoot's WEBHOOK_TIMEOUT (read at each delivery) and its private-network allow-lists.
  c.webhook_timeout = -> { GlobalConfigService.load("WEBHOOK_TIMEOUT", nil) }
  c.allowed_private_hosts = ENV.fetch("WEBHOOK_ALLOWED_PRIVATE_HOSTS", "").split(",").map(&:strip).reject(&:empty?)
  c.allowed_private_cidrs = ENV.fetch("WEBHOOK_ALLOWED_PRIVATE_CIDRS", "").split(",").map(&:strip).reject(&:empty?)

  # Durable delivery (Integrations::Native::DeliveryJob): a queue config/sidekiq.yml lists, retries per endpoint.
  # The default retry schedule spans about a day (README "Durable delivery"); c.retry_schedule changes it.
  c.queue = "medium"
  c.endpoint_resolver = ->(id) { webhook = Webhook.find(id); { url: webhook.url, secret: webhook.secret } }

  # What Chatwoot's Webhooks::Trigger does when a message_created / message_updated delivery fails.
  c.on_webhook_failure = {
    api_inbox_webhook: lambda { |payload, result|
      message = Message.find_by(id: payload[:id])
      Messages::StatusUpdateService.new(message, "failed", result.error).perform if message
    },
    agent_bot_webhook: lambda { |payload, result|
      message = Message.find_by(id: payload[:id])
      conversation = message&.conversation
      next unless conversation&.pending?

      Messages::StatusUpdateService.new(message, "failed", result.error).perform
      conversation.open!
    },
  }
end
