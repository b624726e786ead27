# frozen_string_literal: true

module Integrations
  module Native
    SCHEMES = %i[chatwoot hex_body standard].freeze

    class << self
      # Delivers one payload to one endpoint (url:) or to many (endpoints:), concurrently.
      #
      # payload: a Hash/Array (serialized once; with event:, Chatwoot's body: the Hash with "event"
      # merged at the top level) or a String (sent as it is). Every endpoint signs the exact bytes sent.
      #
      # Returns a DeliveryResult for url:, an Array of them (in endpoint order) for endpoints:.
      # Bad input raises ArgumentError/TypeError for url:; in a fan-out it becomes that endpoint's
      # failed result (invalid?) and the others are delivered all the same.
      def dispatch(payload:, url: nil, endpoints: nil, secret: nil, event: nil, headers: {}, timeout: nil,
                   scheme: :chatwoot, delivery_id: nil)
        raise ArgumentError, "give either url: or endpoints:, not both" if url && endpoints
        raise ArgumentError, "give url: (one endpoint) or endpoints: (many)" if url.nil? && endpoints.nil?

        body = webhook_body(payload, event)
        scheme = check_scheme(scheme)
        timeout = check_timeout(timeout)
        if url
          endpoint = normalize_endpoint({ url: url, secret: secret, headers: headers, delivery_id: delivery_id })
          result = Instrumentation.deliveries(DeliveryResult.from_native(_native_dispatch([endpoint], body, scheme, timeout).first), event)
          raise ArgumentError, result.error if result.invalid?

          result
        else
          Instrumentation.deliveries(dispatch_many(endpoints, body, scheme, timeout, headers), event)
        end
      end

      private

      def dispatch_many(endpoints, body, scheme, timeout, shared_headers)
        raise TypeError, "endpoints must be an Array, got #{endpoints.class}" unless endpoints.is_a?(Array)
        raise ArgumentError, "endpoints is empty" if endpoints.empty?

        shared_pairs = header_pairs(shared_headers)
        tuples = []
        refused = nil # index => the invalid result, only when some endpoint is unusable
        endpoints.each_with_index do |endpoint, index|
          tuples << normalize_endpoint(endpoint, shared_headers, shared_pairs)
        rescue ArgumentError, TypeError => e
          url = endpoint.is_a?(Hash) ? (endpoint[:url] || endpoint["url"]) : endpoint
          (refused ||= {})[index] = DeliveryResult.invalid(url, e.message)
        end
        sent = tuples.empty? ? [] : _native_dispatch(tuples, body, scheme, timeout)
        return sent.map { |tuple| DeliveryResult.from_native(tuple) } unless refused

        next_sent = -1
        Array.new(endpoints.size) { |index| refused[index] || DeliveryResult.from_native(sent[next_sent += 1]) }
      end

      # The bytes to send, serialized once: with event:, Chatwoot's body (data with "event" merged).
      # Rails-compatible JSON (what Chatwoot's to_json produces) when ActiveSupport is loaded.
      def webhook_body(payload, event)
        rails = config.rails_json?
        case payload
        when String then payload
        when Hash then event ? Payload.webhook(event, payload, rails: rails) : Payload.dump(payload, rails: rails)
        when Array then Payload.dump(payload, rails: rails)
        else raise TypeError, "payload must be a Hash, Array or String, got #{payload.class}"
        end
      end

      ENDPOINT_KEYS = { url: :url, "url" => :url, secret: :secret, "secret" => :secret, headers: :headers,
                        "headers" => :headers, delivery_id: :delivery_id, "delivery_id" => :delivery_id }.freeze
      private_constant :ENDPOINT_KEYS

      # [url, secret, [[name, value], …], delivery_id] as the native side takes it. Keys may be Symbols
      # or Strings. One pass over the Hash, and the shared headers' pairs made once per dispatch: in a
      # fan-out this runs per endpoint while the delivery engine waits.
      def normalize_endpoint(endpoint, shared_headers = {}, shared_pairs = nil)
        raise TypeError, "each endpoint must be a Hash, got #{endpoint.class}" unless endpoint.is_a?(Hash)

        url = secret = own_headers = delivery_id = unknown = nil
        endpoint.each do |key, value|
          case ENDPOINT_KEYS[key]
          when :url then url = value
          when :secret then secret = value
          when :headers then own_headers = value
          when :delivery_id then delivery_id = value
          else (unknown ||= []) << key
          end
        end
        raise ArgumentError, "unknown endpoint key(s): #{unknown.map(&:to_s).join(", ")}" if unknown

        Arguments.string!("url", url)
        raise ArgumentError, "url is not valid UTF-8" unless url.valid_encoding?

        secret = nil if secret == ""
        Arguments.string!("secret", secret) unless secret.nil?
        Arguments.string!("delivery_id", delivery_id) unless delivery_id.nil?
        [url, secret, endpoint_headers(own_headers, shared_headers, shared_pairs), delivery_id]
      end

      # The endpoint's own headers over the shared ones; the shared pairs alone when it has none.
      def endpoint_headers(own, shared, shared_pairs)
        return shared_pairs || header_pairs(shared) if own.nil? || own == {}
        raise TypeError, "headers must be a Hash, got #{own.class}" unless own.is_a?(Hash)

        header_pairs(shared.merge(own))
      end

      def header_pairs(headers)
        raise TypeError, "headers must be a Hash, got #{headers.class}" unless headers.is_a?(Hash)

        headers.map do |name, value|
          raise TypeError, "header names must be Strings or Symbols, got #{name.class}" unless name.is_a?(String) || name.is_a?(Symbol)
          raise TypeError, "header #{name} must have a String value, got #{value.class}" unless value.is_a?(String)

          [name.to_s, value]
        end
      end

      def check_scheme(scheme)
        name = scheme.to_s.to_sym if scheme.is_a?(String) || scheme.is_a?(Symbol)
        return name.to_s if SCHEMES.include?(name)

        raise ArgumentError, "scheme must be one of #{SCHEMES.map(&:inspect).join(", ")}, got #{scheme.inspect}"
      end

      def check_timeout(timeout)
        return nil if timeout.nil?
        return timeout.to_f if timeout.is_a?(Numeric) && timeout.positive? && timeout <= 600

        raise ArgumentError, "timeout must be a number of seconds above 0 and at most 600, got #{timeout.inspect}"
      end
    end
  end
end
