# frozen_string_literal: true

module Integrations
  module Native
    # Base class of every exception the gem raises on purpose. Wrong argument types and values
    # raise Ruby's own TypeError / ArgumentError instead, as Ruby methods do.
    class Error < StandardError; end

    # A signature did not verify. #reason is one of REASONS; #part names what was missing or
    # malformed (:signature, :timestamp, :id, :header, :url, :body, :params), nil otherwise.
    class SignatureError < Error
      REASONS = {
        mismatch: "signature does not match the content",
        expired: "timestamp is outside the tolerance window",
        malformed: "signature or timestamp is not in the expected format",
        missing: "signature or timestamp is missing",
      }.freeze

      attr_reader :reason, :part

      # +reason+ is a reason (:malformed) or a verifier's failure code (:malformed_timestamp),
      # which sets #reason and #part and a message naming the part. The codes, and what they
      # mean, are defined by the native core (Signature::FAILURES).
      def initialize(reason = :mismatch, message = nil)
        known = Signature::FAILURES[reason] if defined?(Signature::FAILURES)
        @reason, @part, text = known || [reason, nil, REASONS.fetch(reason, reason.to_s)]
        super(message || "signature verification failed: #{text}")
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
