# frozen_string_literal: true

module Integrations
  module Native
    # Base class of every exception the gem raises on purpose. Wrong argument types and values
    # raise Ruby's own TypeError / ArgumentError instead, as Ruby methods do.
    class Error < StandardError; end

    # A signature did not verify. #reason is one of REASONS.
    class SignatureError < Error
      REASONS = {
        mismatch: "signature does not match the content",
        expired: "timestamp is outside the tolerance window",
        malformed: "signature or timestamp is not in the expected format",
        missing: "signature or timestamp is missing",
      }.freeze

      attr_reader :reason

      def initialize(reason = :mismatch, message = nil)
        @reason = reason
        super(message || "signature verification failed: #{REASONS.fetch(reason, reason.to_s)}")
      end
    end

    # A payload could not be turned into JSON (invalid UTF-8, NaN, too deep, a cycle, …).
    class SerializationError < Error; end

    # A delivery or provider request failed in a way the caller must handle.
    class DeliveryError < Error; end

    # The gem or an integration hook is configured in a way that cannot work.
    class ConfigurationError < Error; end

    # A bug inside the native extension (a Rust panic), raised instead of aborting the process.
    class InternalError < Error; end
  end
end
