# frozen_string_literal: true

module Integrations
  module Native
    # (SCHEMES, the scheme names, is defined by the extension from the Rust core, which also checks
    # scheme: against them.)

    class << self
      # Delivers one payload to one endpoint (url:) or to many (endpoints:), concurrently.
      #
      # payload: a Hash/Array (serialized once; with event:, Chatwoot's body: the Hash with "event"
      # merged at the top level) or a String (sent as it is). Every endpoint signs the exact bytes sent.
      #
      # Returns a DeliveryResult for url:, an Array of them (in endpoint order) for endpoints:.
      # Each endpoint is checked natively, once (ext/chatwoot_integrations_rs/src/dispatch/endpoints.rs):
      # bad input raises ArgumentError/TypeError for url:; in a fan-out it becomes that endpoint's
      # failed result (invalid?) and the others are delivered all the same. An Exception in place
      # of an endpoint (a lookup that failed) becomes such a result too, with its message.
      def dispatch(payload:, url: nil, endpoints: nil, secret: nil, event: nil, headers: {}, timeout: nil,
                   scheme: :chatwoot, delivery_id: nil)
        raise ArgumentError, "give either url: or endpoints:, not both" unless NilClass === url || NilClass === endpoints
        raise ArgumentError, "give url: (one endpoint) or endpoints: (many)" if NilClass === url && NilClass === endpoints

        body = webhook_body(payload, event)
        timeout = check_timeout(timeout)
        if NilClass === url
          raise TypeError, "endpoints must be an Array, got #{endpoints.class}" unless endpoints.is_a?(Array)
          raise ArgumentError, "endpoints is empty" if endpoints.empty?

          Instrumentation.deliveries(_native_dispatch(endpoints, headers, body, scheme, timeout, false), event)
        else
          # (single: an invalid endpoint raises natively, with the class its defect calls for.)
          endpoint = { url: url, secret: secret, delivery_id: delivery_id }
          Instrumentation.deliveries(_native_dispatch([endpoint], headers, body, scheme, timeout, true).first, event)
        end
      end

      # The URL as results, logs and inspect show it: no user info, query values and fragment
      # replaced by [REDACTED]. Read by the same parser that sends (in Rust), so every spelling it
      # accepts is taken apart the same way; text it refuses is redacted conservatively.
      def redact_url(url)
        _native_redact_url(url.is_a?(String) ? url : url.to_s)
      end

      private

      # The bytes to send, serialized once: with event:, Chatwoot's body (data with "event" merged).
      # Rails-compatible JSON (what Chatwoot's to_json produces) when ActiveSupport is loaded.
      def webhook_body(payload, event)
        rails = config.rails_json?
        case payload
        when String then payload
        when Hash then event ? Payload.webhook(event, payload, rails: rails) : Payload.dump(payload, rails: rails)
        when Array then Payload.dump(payload, rails: rails)
        else raise TypeError, "payload must be a Hash, Array or String, got #{Arguments.class_name(payload)}"
        end
      end

      # Its type here; its range natively (src/dispatch/config.rs call_timeout).
      def check_timeout(timeout)
        return nil if NilClass === timeout
        return timeout.to_f if Integer === timeout || Float === timeout || Rational === timeout

        raise TypeError, "timeout must be a number (Integer, Float or Rational), got #{Arguments.class_name(timeout)}"
      end
    end
  end
end
