# frozen_string_literal: true

# What a Chatwoot deployment adds (README, "Using it in Chatwoot"), with the test's own addresses.
Integrations::Native.configure do |c|
  c.allowed_private_cidrs = ["127.0.0.1/32"] # the test's receivers are on loopback
  c.slack_api_url = ENV.fetch("SLACK_API_URL", c.slack_api_url)
  c.retry_delay = ->(_attempt) { 1 }
  c.max_attempts = 3
  c.queue = "medium" # a queue config/sidekiq.yml lists
  c.endpoint_resolver = ->(id) { webhook = Webhook.find(id); { url: webhook.url, secret: webhook.secret } }
  # Chatwoot's Webhooks::Trigger failure handling for message_created / message_updated.
  c.on_webhook_failure = {
    api_inbox_webhook: lambda { |payload, result|
      Message.find_by(id: payload[:id])&.update!(status: :failed, external_error: result.error)
    },
    agent_bot_webhook: lambda { |payload, _result|
      conversation = Message.find_by(id: payload[:id])&.conversation
      conversation.update!(status: :open) if conversation&.pending?
    },
  }
end
