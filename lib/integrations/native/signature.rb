# frozen_string_literal: true

module Integrations
  module Native
    # Signing and constant-time verification of webhook signatures.
    #
    # Every verify_* answers true/false and never raises for junk signature input (empty, missing
    # prefix, bad hex/base64, wrong length, non-UTF-8); its bang form raises SignatureError whose
    # #reason is :mismatch, :expired, :malformed or :missing and whose #part and message name what
    # was missing or malformed (:signature, :timestamp, …). A nil signature or timestamp (the header
    # was absent) is :missing. Arguments of the wrong type raise TypeError naming the argument.
    # Verifiers with a timestamp take `now:` (Time or Integer; default Time.now) and `tolerance:`.
    module Signature
      DEFAULT_TOLERANCE = 300

      # Every failure code a verifier answers => [reason, part or nil, message], from the core.
      FAILURES = _native_failures.each_value { |entry| entry.each(&:freeze).freeze }.freeze

      class << self
        # Lower-case hex HMAC-SHA256 of body; equal to OpenSSL::HMAC.hexdigest("SHA256", secret, body).
        def hmac_sha256_hex(secret, body)
          _native_hmac_sha256_hex(Arguments.string!("secret", secret), Arguments.string!("body", body))
        end

        # True when hex is the lower-case hex HMAC-SHA256 of body under secret (constant time).
        def verify(secret, body, hex)
          secret = Arguments.string!("secret", secret)
          body = Arguments.string!("body", body)
          hex = Arguments.optional_string!("signature", hex)
          return false if hex.nil?

          _native_verify(secret, body, hex)
        end

        # Chatwoot's X-Chatwoot-Signature value: "sha256=" + hex HMAC-SHA256 of "#{timestamp}.#{body}".
        def sign_chatwoot(secret:, timestamp:, body:)
          _native_sign_chatwoot(Arguments.string!("secret", secret),
                                Arguments.timestamp_text!("timestamp", timestamp),
                                Arguments.string!("body", body))
        end

        # Standard Webhooks' webhook-signature value: "v1,<base64 HMAC-SHA256 of "id.ts.body">".
        # The secret is read as the official libraries read it: surrounding white space dropped,
        # the base64 after an optional whsec_ decoded, padded or not (a whsec_ secret that is not
        # base64 raises ArgumentError; a prefix-less one that is not base64 is used as raw bytes).
        def sign_standard(secret:, id:, timestamp:, body:)
          _native_sign_standard(Arguments.string!("secret", secret), Arguments.string!("id", id),
                                Arguments.timestamp_text!("timestamp", timestamp), Arguments.string!("body", body))
        end

        # X-Chatwoot-Signature / X-Chatwoot-Timestamp, as a receiver of Chatwoot's webhooks gets them.
        def verify_chatwoot(secret:, timestamp:, body:, signature:, tolerance: DEFAULT_TOLERANCE, now: nil)
          chatwoot_failure(secret, timestamp, body, signature, tolerance, now).nil?
        end

        def verify_chatwoot!(secret:, timestamp:, body:, signature:, tolerance: DEFAULT_TOLERANCE, now: nil)
          verified!(chatwoot_failure(secret, timestamp, body, signature, tolerance, now))
        end

        # Slack: X-Slack-Signature ("v0=" hex HMAC of "v0:ts:body") and X-Slack-Request-Timestamp.
        def verify_slack(signing_secret:, timestamp:, body:, signature:, tolerance: DEFAULT_TOLERANCE, now: nil)
          slack_failure(signing_secret, timestamp, body, signature, tolerance, now).nil?
        end

        def verify_slack!(signing_secret:, timestamp:, body:, signature:, tolerance: DEFAULT_TOLERANCE, now: nil)
          verified!(slack_failure(signing_secret, timestamp, body, signature, tolerance, now))
        end

        # Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature ("v1,<b64> v1,<b64>" for rotation).
        def verify_standard(secret:, id:, timestamp:, body:, signature:, tolerance: DEFAULT_TOLERANCE, now: nil)
          standard_failure(secret, id, timestamp, body, signature, tolerance, now).nil?
        end

        def verify_standard!(secret:, id:, timestamp:, body:, signature:, tolerance: DEFAULT_TOLERANCE, now: nil)
          verified!(standard_failure(secret, id, timestamp, body, signature, tolerance, now))
        end

        # X-Hub-Signature-256 "sha256=<hex>" (Meta, GitHub) or legacy X-Hub-Signature "sha1=<hex>".
        def verify_hub(secret, body, header)
          hub_failure(secret, body, header).nil?
        end

        def verify_hub!(secret, body, header)
          verified!(hub_failure(secret, body, header))
        end

        # Base64 HMAC-SHA256 of the raw body: Shopify X-Shopify-Hmac-Sha256, LINE X-Line-Signature.
        def verify_base64(secret, body, signature)
          base64_failure(secret, body, signature).nil?
        end

        def verify_base64!(secret, body, signature)
          verified!(base64_failure(secret, body, signature))
        end

        # Twilio X-Twilio-Signature. params: the POST parameters (Hash; an Array value for a repeated
        # name), or the raw JSON body (String), in which case the URL's bodySHA256 must be the body's
        # SHA-256. url: the full URL Twilio called. signature_settings: the
        # X-Twilio-Webhooks-Signature-Settings header, whose algorithm=HMAC_SHA256 (SharedKey
        # webhooks; auth_token is then the SharedKey secret) selects HMAC-SHA256 over HMAC-SHA1.
        def verify_twilio(auth_token:, url:, signature:, params: {}, signature_settings: nil)
          twilio_failure(auth_token, url, params, signature, signature_settings).nil?
        end

        def verify_twilio!(auth_token:, url:, signature:, params: {}, signature_settings: nil)
          verified!(twilio_failure(auth_token, url, params, signature, signature_settings))
        end

        # Linear: Linear-Signature (hex HMAC of the raw body); the body's webhookTimestamp (ms) within tolerance.
        def verify_linear(secret:, body:, signature:, tolerance: 60, now: nil)
          linear_failure(secret, body, signature, tolerance, now).nil?
        end

        def verify_linear!(secret:, body:, signature:, tolerance: 60, now: nil)
          verified!(linear_failure(secret, body, signature, tolerance, now))
        end

        # Stripe: Stripe-Signature "t=…,v1=…[,v1=…]" (hex HMAC of "t.body"); any v1 may match.
        def verify_stripe(secret:, body:, header:, tolerance: DEFAULT_TOLERANCE, now: nil)
          stripe_failure(secret, body, header, tolerance, now).nil?
        end

        def verify_stripe!(secret:, body:, header:, tolerance: DEFAULT_TOLERANCE, now: nil)
          verified!(stripe_failure(secret, body, header, tolerance, now))
        end

        private

        # The bang forms: true, or SignatureError for the failure code (reason and part).
        def verified!(reason)
          raise SignatureError.new(reason) if reason

          true
        end

        # Each *_failure checks every argument's type (a nil header included: wrong types raise
        # whatever else is missing) and answers nil (verified) or the failure code Symbol
        # (:missing_timestamp, :mismatch, …; the keys of FAILURES).
        #
        # A verifier runs on every webhook a host receives, and each Ruby method call here cost
        # about as much as hashing a hundred bytes (the checks were half of verify_chatwoot's time
        # over a 3.5 KB body). So each verifier but Twilio's first hands its arguments to the
        # native side as they are: when each is already what the checks below would pass
        # unchanged (Strings; Integers in range) it answers nil or the code, else false, and the
        # checks run (converting, answering :missing_*, or raising naming the argument) before the
        # second call. In the checks a String passes with an inline `String ===`; Arguments is
        # called only for anything else.
        def chatwoot_failure(secret, timestamp, body, signature, tolerance, now)
          code = _native_check_chatwoot(secret, timestamp, body, signature, tolerance, now_or_clock(now))
          return code unless false.equal?(code)

          Arguments.string!("secret", secret) unless String === secret
          Arguments.string!("body", body) unless String === body
          tolerance = Arguments.tolerance!(tolerance)
          now = Arguments.now_seconds!(now)
          timestamp = optional_timestamp(timestamp) unless String === timestamp
          Arguments.optional_string!("signature", signature) unless String === signature
          return :missing_signature if signature.nil?
          return :missing_timestamp if timestamp.nil?

          _native_check_chatwoot(secret, timestamp, body, signature, tolerance, now)
        end

        def slack_failure(secret, timestamp, body, signature, tolerance, now)
          code = _native_check_slack(secret, timestamp, body, signature, tolerance, now_or_clock(now))
          return code unless false.equal?(code)

          Arguments.string!("signing_secret", secret) unless String === secret
          Arguments.string!("body", body) unless String === body
          tolerance = Arguments.tolerance!(tolerance)
          now = Arguments.now_seconds!(now)
          timestamp = optional_timestamp(timestamp) unless String === timestamp
          Arguments.optional_string!("signature", signature) unless String === signature
          return :missing_signature if signature.nil?
          return :missing_timestamp if timestamp.nil?

          _native_check_slack(secret, timestamp, body, signature, tolerance, now)
        end

        def standard_failure(secret, id, timestamp, body, signature, tolerance, now)
          code = _native_check_standard(secret, id, timestamp, body, signature, tolerance, now_or_clock(now))
          return code unless false.equal?(code)

          Arguments.string!("secret", secret) unless String === secret
          Arguments.string!("body", body) unless String === body
          tolerance = Arguments.tolerance!(tolerance)
          now = Arguments.now_seconds!(now)
          Arguments.optional_string!("id", id) unless String === id
          timestamp = optional_timestamp(timestamp) unless String === timestamp
          Arguments.optional_string!("signature", signature) unless String === signature
          return :missing_signature if signature.nil?
          return :missing_id if id.nil?
          return :missing_timestamp if timestamp.nil?

          _native_check_standard(secret, id, timestamp, body, signature, tolerance, now)
        end

        def hub_failure(secret, body, header)
          code = _native_check_hub(secret, body, header)
          return code unless false.equal?(code)

          Arguments.string!("secret", secret) unless String === secret
          Arguments.string!("body", body) unless String === body
          Arguments.optional_string!("header", header) unless String === header
          return :missing_signature if header.nil?

          _native_check_hub(secret, body, header)
        end

        def base64_failure(secret, body, signature)
          code = _native_check_base64(secret, body, signature)
          return code unless false.equal?(code)

          Arguments.string!("secret", secret) unless String === secret
          Arguments.string!("body", body) unless String === body
          Arguments.optional_string!("signature", signature) unless String === signature
          return :missing_signature if signature.nil?

          _native_check_base64(secret, body, signature)
        end

        def twilio_failure(auth_token, url, params, signature, settings)
          token = Arguments.string!("auth_token", auth_token)
          url = Arguments.string!("url", url)
          signature = Arguments.optional_string!("signature", signature)
          settings = Arguments.optional_string!("signature_settings", settings) || ""
          pairs = twilio_pairs(params)
          return :missing_signature if signature.nil?
          return :malformed_params if pairs == :malformed

          if String === params
            _native_check_twilio(token, url, [], params, signature, settings)
          else
            _native_check_twilio(token, url, pairs, nil, signature, settings)
          end
        end

        # Form parameters as [[name, [value, …]], …]; nil for a JSON body (a String). A nested
        # Hash or Array is :malformed, not an error: Rack builds them from names like `a[b]`, which
        # the sender chooses, and Twilio never signs one. Objects no parser produces raise.
        def twilio_pairs(params)
          case params
          when String then nil
          when Hash
            params.map do |name, value|
              values = Array === value ? value : [value]
              texts = values.map { |v| twilio_text("params values", v) }
              return :malformed if texts.include?(:malformed)

              [twilio_text("params names", name), texts]
            end
          else
            raise TypeError, "params must be a Hash (form parameters) or a String (JSON body), " \
                             "got #{Arguments.class_name(params)}"
          end
        end

        def twilio_text(what, value)
          case value
          when String then value
          when Symbol, Integer, Float, Rational, true, false, nil then value.to_s
          when Hash, Array then :malformed
          else raise TypeError, "#{what} must be Strings, got #{Arguments.class_name(value)}"
          end
        end

        # `now:` for a first, unchecked call: nil is the current time by Ruby's clock (so the host
        # app's time-travel helpers apply); anything else goes as given, for the checks to judge.
        def now_or_clock(now)
          NilClass === now ? Time.now.to_i : now
        end

        def optional_timestamp(timestamp)
          NilClass === timestamp ? nil : Arguments.timestamp_text!("timestamp", timestamp)
        end

        def linear_failure(secret, body, signature, tolerance, now)
          code = _native_check_linear(secret, body, signature, tolerance, now_or_clock(now))
          return code unless false.equal?(code)

          Arguments.string!("secret", secret) unless String === secret
          Arguments.string!("body", body) unless String === body
          tolerance = Arguments.tolerance!(tolerance)
          now = Arguments.now_seconds!(now)
          Arguments.optional_string!("signature", signature) unless String === signature
          return :missing_signature if signature.nil?

          _native_check_linear(secret, body, signature, tolerance, now)
        end

        def stripe_failure(secret, body, header, tolerance, now)
          code = _native_check_stripe(secret, body, header, tolerance, now_or_clock(now))
          return code unless false.equal?(code)

          Arguments.string!("secret", secret) unless String === secret
          Arguments.string!("body", body) unless String === body
          tolerance = Arguments.tolerance!(tolerance)
          now = Arguments.now_seconds!(now)
          Arguments.optional_string!("header", header) unless String === header
          return :missing_header if header.nil?

          _native_check_stripe(secret, body, header, tolerance, now)
        end
      end
    end
  end
end

# The request-level face of these verifiers (Rack.verify!, the controller helper) loads with them:
# it needs no gem, and a controller that names it must not depend on the middleware having loaded.
require_relative "rack/verification"
