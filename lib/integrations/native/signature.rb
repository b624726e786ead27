# frozen_string_literal: true

module Integrations
  module Native
    # Signing and constant-time verification of webhook signatures.
    #
    # The plain verify methods answer true/false and never raise for junk signature input;
    # the bang forms raise SignatureError with a #reason (:mismatch, :expired, :malformed, :missing).
    # Wrong argument types raise TypeError naming the argument.
    module Signature
      DEFAULT_TOLERANCE = 300

      class << self
        # Lower-case hex HMAC-SHA256 of body; equal to OpenSSL::HMAC.hexdigest("SHA256", secret, body).
        def hmac_sha256_hex(secret, body)
          _native_hmac_sha256_hex(Arguments.string!("secret", secret), Arguments.string!("body", body))
        end

        # True when hex is the lower-case hex HMAC-SHA256 of body under secret (constant time).
        def verify(secret, body, hex)
          return false if hex.nil?

          _native_verify(Arguments.string!("secret", secret), Arguments.string!("body", body),
                         Arguments.string!("signature", hex))
        end

        # Chatwoot's X-Chatwoot-Signature value: "sha256=" + hex HMAC-SHA256 of "#{timestamp}.#{body}".
        def sign_chatwoot(secret:, timestamp:, body:)
          _native_sign_chatwoot(Arguments.string!("secret", secret),
                                Arguments.timestamp_text!("timestamp", timestamp),
                                Arguments.string!("body", body))
        end

        # Verifies X-Chatwoot-Signature / X-Chatwoot-Timestamp as a receiver gets them. A nil
        # signature or timestamp (header absent) is false, reason :missing.
        def verify_chatwoot(secret:, timestamp:, body:, signature:, tolerance: DEFAULT_TOLERANCE, now: nil)
          chatwoot_failure(secret, timestamp, body, signature, tolerance, now).nil?
        end

        # Like verify_chatwoot, but raises SignatureError with the reason; returns true otherwise.
        def verify_chatwoot!(secret:, timestamp:, body:, signature:, tolerance: DEFAULT_TOLERANCE, now: nil)
          reason = chatwoot_failure(secret, timestamp, body, signature, tolerance, now)
          raise SignatureError.new(reason) if reason

          true
        end

        private

        def chatwoot_failure(secret, timestamp, body, signature, tolerance, now)
          secret = Arguments.string!("secret", secret)
          body = Arguments.string!("body", body)
          tolerance = Arguments.tolerance!(tolerance)
          now = Arguments.now_seconds!(now)
          return :missing if signature.nil? || timestamp.nil?

          _native_check_chatwoot(secret, Arguments.timestamp_text!("timestamp", timestamp), body,
                                 Arguments.string!("signature", signature), tolerance, now)
        end
      end
    end
  end
end
