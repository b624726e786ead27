# frozen_string_literal: true

module Integrations
  module Native
    # What happened to one delivery to one endpoint. Returned by Integrations::Native.dispatch.
    #
    # #url is the endpoint's URL as it may be shown (Native.redact_url, in Rust): never its user
    # info, query values or fragment, so a result can be logged or inspected as it is.
    #
    # dispatch's results are built natively (ext/chatwoot_integrations_rs/src/delivery_result.rs),
    # which sets the same instance variables as #initialize, by name, and freezes the result.
    class DeliveryResult
      attr_reader :url, :status, :attempts, :duration, :error, :response_excerpt, :delivery_id, :retry_after, :next_attempt_at

      # (Results come from dispatch; this is for callers that build their own, say in tests. The
      # url is redacted here as dispatch's are.)
      def initialize(url:, status:, attempts:, duration:, error:, retryable:, response_excerpt:, delivery_id:,
                     retry_after: nil, invalid: false)
        @url = Native.redact_url(url)
        @status = status
        @attempts = attempts
        @duration = duration
        @error = error
        @retryable = retryable
        @response_excerpt = response_excerpt
        @delivery_id = delivery_id
        @retry_after = retry_after
        @invalid = invalid ? true : false
        freeze
      end

      # The durable job's attempt this result is from (1 for a plain dispatch), and the Time its
      # next attempt is scheduled for (nil: none; success, final failure, or the schedule spent).
      def attempt
        @attempt || 1
      end

      # A copy carrying the durable job's attempt fields (results are frozen).
      def with_attempt(attempt, next_attempt_at)
        copy = dup
        copy.instance_variable_set(:@attempt, attempt)
        copy.instance_variable_set(:@next_attempt_at, next_attempt_at)
        copy.freeze
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

      # The same as #url, which is redacted already (kept for callers written before it was).
      def redacted_url
        url
      end

      def inspect
        state = success? ? "success" : "failure"
        "#<#{self.class.name} #{state} url=#{url.inspect} status=#{status.inspect} attempts=#{attempts} " \
          "duration=#{format("%.3f", duration)}s retryable=#{retryable?} delivery_id=#{delivery_id.inspect}" \
          "#{error ? " error=#{error.inspect}" : ""}>"
      end
      alias to_s inspect
    end
  end
end
