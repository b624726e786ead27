# frozen_string_literal: true

# Chatwoot's WebhookJob after the change the README describes: its listeners' perform_later calls stay.
class WebhookJob < Integrations::Native::DeliveryJob
end
