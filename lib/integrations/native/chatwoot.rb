# frozen_string_literal: true

module Integrations
  module Native
    # Chatwoot's Webhooks::Trigger.execute as one call, for Chatwoot's WebhookJob to delegate to.
    #
    # payload is what Chatwoot passes today (`webhook_data.merge(event: name)`); the body is its to_json,
    # byte for byte. Headers as Chatwoot sends them: Content-Type and Accept application/json and, with a
    # secret, X-Chatwoot-Timestamp and X-Chatwoot-Signature ("sha256=" HMAC of "ts.body"); the timeout is
    # c.webhook_timeout (Chatwoot's WEBHOOK_TIMEOUT), else c.timeout. When the delivery fails (any non-2xx,
    # a timeout, a refused or invalid URL: Chatwoot rescues them all) it logs a warning and, for
    # message_created / message_updated, calls the app's c.on_webhook_failure[webhook_type] with
    # (payload, result): Chatwoot marks the message failed for :api_inbox_webhook and hands the
    # conversation to a human for :agent_bot_webhook. Returns the DeliveryResult; never raises for a
    # failed delivery. DeliveryJob does the same durably, calling back only after its last attempt.
    #
    # One difference: the gem sends X-Chatwoot-Delivery on unsigned deliveries too (a delivery id is
    # always made, so receivers can de-duplicate).
    #
    # @example In Chatwoot's WebhookJob#perform
    #   Integrations::Native::Chatwoot.trigger(url, payload, webhook_type, secret: secret, delivery_id: id)
    module Chatwoot
      # Webhooks::Trigger::SUPPORTED_ERROR_HANDLE_EVENTS: the only events whose failure Chatwoot handles.
      FAILURE_EVENTS = %w[message_created message_updated].freeze
      # Sent with every delivery besides the gem's own (Content-Type, signature, delivery id), as Chatwoot does.
      HEADERS = { "Accept" => "application/json" }.freeze

      class << self
        # Delivers one webhook as Chatwoot's trigger does, and runs the app's failure callback when it fails.
        # @param url [String] the webhook's URL
        # @param payload [Hash] Chatwoot's payload, with its `event:`
        # @param webhook_type [Symbol, String] `:account_webhook`, `:api_inbox_webhook` or
        #   `:agent_bot_webhook`: which `c.on_webhook_failure` callback a failure calls
        # @param secret [String, nil] the webhook's secret; nil or blank sends unsigned
        # @param delivery_id [String, nil] the X-Chatwoot-Delivery id (a new one when nil)
        # @return [DeliveryResult] also for a failed or invalid delivery
        def trigger(url, payload, webhook_type = :account_webhook, secret: nil, delivery_id: nil)
          result = deliver(url, payload, secret, delivery_id)
          unless result.success?
            Native.logger.warn("[chatwoot_integrations_rs] webhook to #{result.redacted_url} failed: #{result.error}")
            failed(webhook_type, payload, result)
          end
          result
        end

        # After a delivery failed for good: the app's callback for this webhook type, if the event is one
        # Chatwoot handles. (The app looks the message up by payload[:id], as Chatwoot does.)
        # @param webhook_type [Symbol, String] as for {trigger}
        # @param payload [Hash] Chatwoot's payload
        # @param result [DeliveryResult] the failed delivery
        # @return [void]
        def failed(webhook_type, payload, result)
          return unless FAILURE_EVENTS.include?(event_of(payload).to_s)

          callbacks = Native.config.on_webhook_failure
          callback = callbacks && (callbacks[webhook_type.to_s.to_sym] || callbacks[webhook_type.to_s])
          callback&.call(payload, result)
        end

        # The event name in Chatwoot's payload (its listeners merge `event:` in).
        # @param payload [Object] Chatwoot's payload
        # @return [String, Symbol, nil] nil when the payload is no Hash or has no event
        def event_of(payload)
          return nil unless payload.is_a?(Hash)

          payload.key?(:event) ? payload[:event] : payload["event"]
        end

        # Seconds, read per delivery like Chatwoot's GlobalConfig WEBHOOK_TIMEOUT (blank, zero or junk
        # means the configured c.timeout).
        # @return [Numeric, nil] seconds, at most the core's timeout limit (600); nil means c.timeout
        def timeout
          value = Native.config.webhook_timeout
          value = value.call if value.respond_to?(:call)
          seconds = if value.is_a?(Numeric)
                      value
                    else
                      value.to_s.strip.then { |text| text.empty? ? nil : text.to_i }
                    end
          seconds&.positive? ? [seconds, max_timeout].min : nil
        end

        private

        # The longest timeout a delivery may have: the core's range for c.timeout, read once.
        def max_timeout
          @max_timeout ||= Native._native_setting_ranges.fetch(:timeout).end
        end

        # As a one-endpoint fan-out, so an unusable URL, secret or delivery id is that endpoint's
        # invalid result (dispatch decides, natively), as Chatwoot's trigger rescues an invalid URL.
        def deliver(url, payload, secret, delivery_id)
          secret = nil if secret.is_a?(String) && secret.b.strip.empty? # Chatwoot signs only when secret.present?
          Native.dispatch(endpoints: [{ url: url, secret: secret, delivery_id: delivery_id }], payload: payload,
                          event: event_of(payload), headers: HEADERS, timeout: timeout).first
        rescue ArgumentError, TypeError, SerializationError => e
          # The payload or the call itself was unusable: a failed delivery too, not a crash.
          DeliveryResult.new(url: url.is_a?(String) ? url : url.inspect, status: nil, attempts: 0, duration: 0.0,
                             error: e.message, retryable: false, response_excerpt: "",
                             delivery_id: delivery_id.is_a?(String) ? delivery_id : nil, invalid: true)
        end
      end
    end
  end
end
