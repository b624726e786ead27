# frozen_string_literal: true

module Integrations
  module Native
    # What happened to one delivery to one endpoint. Returned by Integrations::Native.dispatch.
    class DeliveryResult
      attr_reader :url, :status, :attempts, :duration, :error, :response_excerpt, :delivery_id, :retry_after

      def initialize(url:, status:, attempts:, duration:, error:, retryable:, response_excerpt:, delivery_id:,
                     retry_after: nil, invalid: false)
        assign(url, status, attempts, duration, error, retryable, response_excerpt, delivery_id, retry_after, invalid)
      end

      # Built from the native tuple (see ext/chatwoot_integrations_rs/src/dispatch.rs). Positional, not
      # through the keyword constructor: a fan-out builds a thousand of these while the delivery
      # engine waits for the next call, and keywords cost 2.5x as much.
      def self.from_native(tuple)
        allocate.__send__(:assign, *tuple)
      end

      # A result for an endpoint whose input the Ruby face refused before anything was sent.
      def self.invalid(url, message, delivery_id: nil)
        new(url: url.is_a?(String) ? url : url.inspect, status: nil, attempts: 0, duration: 0.0, error: message,
            retryable: false, response_excerpt: "", delivery_id: delivery_id, invalid: true)
      end

      private def assign(url, status, attempts, duration, error, retryable, response_excerpt, delivery_id, retry_after,
                         invalid)
        @url = url
        @status = status
        @attempts = attempts
        @duration = duration
        @error = error
        @retryable = retryable
        @response_excerpt = response_excerpt
        @delivery_id = delivery_id
        @retry_after = retry_after
        @invalid = invalid
        freeze
      end

      # 2xx from the receiver.
      def success?
        error.nil?
      end

      # Worth another attempt later (408, 425, 429, 5xx, connection failures, timeouts).
      def retryable?
        @retryable
      end

      # The endpoint's input was unusable (bad URL or header); nothing was sent.
      def invalid?
        @invalid
      end

      # The URL without user info or query string, which may carry tokens.
      def redacted_url
        Native.redact_url(url)
      end

      def inspect
        state = success? ? "success" : "failure"
        "#<#{self.class.name} #{state} url=#{redacted_url.inspect} status=#{status.inspect} attempts=#{attempts} " \
          "duration=#{format("%.3f", duration)}s retryable=#{retryable?} delivery_id=#{delivery_id.inspect}" \
          "#{error ? " error=#{error.inspect}" : ""}>"
      end
      alias to_s inspect
    end

    # A URL with user info and query removed, for logs and inspect.
    def self.redact_url(url)
      text = url.to_s
      text = text.sub(%r{\A([a-z][a-z0-9+.-]*://)[^/@?#]*@}i, "\\1")
      text.sub(/\?.*\z/m, "?[REDACTED]")
    end
  end
end
