# frozen_string_literal: true

module Integrations
  module Native
    # Signing and constant-time verification of webhook signatures.
    #
    # Every `verify_*` answers true/false and never raises for junk signature input (empty, missing
    # prefix, bad hex/base64, wrong length, non-UTF-8); its bang form raises {SignatureError} whose
    # `#reason` is `:mismatch`, `:expired`, `:malformed` or `:missing`, and whose `#part` and message
    # name what was missing or malformed (`:signature`, `:timestamp`, …). A nil signature or timestamp
    # (the header was absent) is `:missing`. Arguments of the wrong type raise TypeError naming the
    # argument. Verifiers with a timestamp take `now:` (Time or Integer; default `Time.now`) and
    # `tolerance:` (seconds).
    #
    # The keyword verifiers name the shared key `secret:` throughout. Slack's `signing_secret:` and
    # Twilio's `auth_token:` (the names those providers use) are accepted as aliases of `secret:`;
    # give one of the two, not both.
    #
    # @example Verify Slack's signature headers
    #   Integrations::Native::Signature.verify_slack!(
    #     secret: ENV.fetch("SLACK_SIGNING_SECRET"), body: request.raw_post,
    #     timestamp: request.headers["X-Slack-Request-Timestamp"],
    #     signature: request.headers["X-Slack-Signature"]
    #   )
    module Signature
      # Seconds a signed timestamp may be away from now before the signature counts as `:expired`.
      DEFAULT_TOLERANCE = 300

      # Every failure code a verifier answers => [reason, part or nil, message], from the core.
      FAILURES = _native_failures.each_value { |entry| entry.each(&:freeze).freeze }.freeze

      # Stands for a keyword the caller did not pass, so that an explicit nil is still checked
      # (and refused with TypeError) rather than taken as absent.
      NOT_GIVEN = Object.new.freeze
      private_constant :NOT_GIVEN

      class << self
        # Lower-case hex HMAC-SHA256 of body; equal to `OpenSSL::HMAC.hexdigest("SHA256", secret, body)`.
        # @param secret [String] the key
        # @param body [String] the bytes to sign
        # @return [String] 64 lower-case hex digits
        # @raise [TypeError] when an argument is not a String
        def hmac_sha256_hex(secret, body)
          _native_hmac_sha256_hex(Arguments.string!("secret", secret), Arguments.string!("body", body))
        end

        # Whether hex is the lower-case hex HMAC-SHA256 of body under secret (compared in constant time).
        # @param secret [String] the key
        # @param body [String] the signed bytes
        # @param hex [String, nil] the signature to check; nil (absent) is false
        # @return [Boolean]
        # @raise [TypeError] when an argument is of the wrong type
        def verify(secret, body, hex)
          secret = Arguments.string!("secret", secret)
          body = Arguments.string!("body", body)
          hex = Arguments.optional_string!("signature", hex)
          return false if hex.nil?

          _native_verify(secret, body, hex)
        end

        # Chatwoot's `X-Chatwoot-Signature` value: `"sha256="` and the hex HMAC-SHA256 of
        # `"<timestamp>.<body>"`.
        # @param secret [String] the webhook's secret
        # @param timestamp [Integer, String] Unix seconds, as sent in `X-Chatwoot-Timestamp`
        # @param body [String] the request body
        # @return [String] the header value
        # @raise [TypeError, ArgumentError] when an argument is of the wrong type or out of range
        def sign_chatwoot(secret:, timestamp:, body:)
          _native_sign_chatwoot(Arguments.string!("secret", secret),
                                Arguments.timestamp_text!("timestamp", timestamp),
                                Arguments.string!("body", body))
        end

        # Standard Webhooks' `webhook-signature` value: `"v1,"` and the base64 HMAC-SHA256 of
        # `"<id>.<timestamp>.<body>"`.
        #
        # The secret is read as the official libraries read it: surrounding white space dropped,
        # the base64 after an optional `whsec_` decoded, padded or not (a `whsec_` secret that is not
        # base64 raises ArgumentError; a prefix-less one that is not base64 is used as raw bytes).
        # @param secret [String] the endpoint's secret
        # @param id [String] the message id (`webhook-id`)
        # @param timestamp [Integer, String] Unix seconds (`webhook-timestamp`)
        # @param body [String] the request body
        # @return [String] the header value
        # @raise [TypeError, ArgumentError] when an argument is of the wrong type or unusable
        def sign_standard(secret:, id:, timestamp:, body:)
          _native_sign_standard(Arguments.string!("secret", secret), Arguments.string!("id", id),
                                Arguments.timestamp_text!("timestamp", timestamp), Arguments.string!("body", body))
        end

        # Chatwoot's `X-Chatwoot-Signature` and `X-Chatwoot-Timestamp`, as a receiver of its webhooks gets them.
        # @param secret [String] the webhook's secret
        # @param timestamp [String, Integer, nil] the signed Unix seconds header; nil (absent) is `:missing`
        # @param body [String] the raw request body
        # @param signature [String, nil] the signature header; nil (absent) is `:missing`
        # @param tolerance [Integer] seconds the timestamp may be away from now
        # @param now [Time, Integer, nil] the time to check against; nil is `Time.now`
        # @return [Boolean] whether the signature is valid and fresh
        # @raise [TypeError, ArgumentError] when an argument is of the wrong type or out of range
        def verify_chatwoot(secret:, timestamp:, body:, signature:, tolerance: DEFAULT_TOLERANCE, now: nil)
          chatwoot_failure(secret, timestamp, body, signature, tolerance, now).nil?
        end

        # {verify_chatwoot}, raising instead of answering false.
        # @return [true]
        # @raise [SignatureError] with the reason when the signature does not verify
        def verify_chatwoot!(secret:, timestamp:, body:, signature:, tolerance: DEFAULT_TOLERANCE, now: nil)
          verified!(chatwoot_failure(secret, timestamp, body, signature, tolerance, now))
        end

        # Slack's `X-Slack-Signature` (`"v0="` and the hex HMAC of `"v0:<timestamp>:<body>"`) and
        # `X-Slack-Request-Timestamp`.
        # @param secret [String] the app's signing secret
        # @param signing_secret [String] alias of `secret:` (Slack's name for it)
        # @param timestamp [String, Integer, nil] the signed Unix seconds header; nil (absent) is `:missing`
        # @param body [String] the raw request body
        # @param signature [String, nil] the signature header; nil (absent) is `:missing`
        # @param tolerance [Integer] seconds the timestamp may be away from now
        # @param now [Time, Integer, nil] the time to check against; nil is `Time.now`
        # @return [Boolean] whether the signature is valid and fresh
        # @raise [ArgumentError] when neither or both of `secret:` and `signing_secret:` are given
        # @raise [TypeError] when an argument is of the wrong type
        def verify_slack(timestamp:, body:, signature:, secret: NOT_GIVEN, signing_secret: NOT_GIVEN,
                         tolerance: DEFAULT_TOLERANCE, now: nil)
          name, key = secret_keyword(secret, :signing_secret, signing_secret)
          slack_failure(name, key, timestamp, body, signature, tolerance, now).nil?
        end

        # {verify_slack}, raising instead of answering false.
        # @return [true]
        # @raise [SignatureError] with the reason when the signature does not verify
        def verify_slack!(timestamp:, body:, signature:, secret: NOT_GIVEN, signing_secret: NOT_GIVEN,
                          tolerance: DEFAULT_TOLERANCE, now: nil)
          name, key = secret_keyword(secret, :signing_secret, signing_secret)
          verified!(slack_failure(name, key, timestamp, body, signature, tolerance, now))
        end

        # Standard Webhooks: `webhook-id`, `webhook-timestamp` and `webhook-signature`
        # (`"v1,<b64> v1,<b64>"` while a secret is rotated: any one may match).
        # @param secret [String] the endpoint's secret (read as {sign_standard} reads it)
        # @param id [String, nil] the `webhook-id` header; nil (absent) is `:missing`
        # @param timestamp [String, Integer, nil] the signed Unix seconds header; nil (absent) is `:missing`
        # @param body [String] the raw request body
        # @param signature [String, nil] the signature header; nil (absent) is `:missing`
        # @param tolerance [Integer] seconds the timestamp may be away from now
        # @param now [Time, Integer, nil] the time to check against; nil is `Time.now`
        # @return [Boolean] whether a signature is valid and the timestamp fresh
        # @raise [TypeError, ArgumentError] when an argument is of the wrong type or unusable
        def verify_standard(secret:, id:, timestamp:, body:, signature:, tolerance: DEFAULT_TOLERANCE, now: nil)
          standard_failure(secret, id, timestamp, body, signature, tolerance, now).nil?
        end

        # {verify_standard}, raising instead of answering false.
        # @return [true]
        # @raise [SignatureError] with the reason when the signature does not verify
        def verify_standard!(secret:, id:, timestamp:, body:, signature:, tolerance: DEFAULT_TOLERANCE, now: nil)
          verified!(standard_failure(secret, id, timestamp, body, signature, tolerance, now))
        end

        # `X-Hub-Signature-256` (`"sha256=<hex>"`: Meta, GitHub) or the legacy `X-Hub-Signature`
        # (`"sha1=<hex>"`), HMAC of the raw body.
        # @param secret [String] the app secret
        # @param body [String] the raw request body
        # @param header [String, nil] the header's value; nil (absent) is `:missing`
        # @return [Boolean]
        # @raise [TypeError] when an argument is of the wrong type
        def verify_hub(secret, body, header)
          hub_failure(secret, body, header).nil?
        end

        # {verify_hub}, raising instead of answering false.
        # @return [true]
        # @raise [SignatureError] with the reason when the signature does not verify
        def verify_hub!(secret, body, header)
          verified!(hub_failure(secret, body, header))
        end

        # Base64 HMAC-SHA256 of the raw body: Shopify's `X-Shopify-Hmac-Sha256`, LINE's `X-Line-Signature`.
        # @param secret [String] the shared secret
        # @param body [String] the raw request body
        # @param signature [String, nil] the header's value; nil (absent) is `:missing`
        # @return [Boolean]
        # @raise [TypeError] when an argument is of the wrong type
        def verify_base64(secret, body, signature)
          base64_failure(secret, body, signature).nil?
        end

        # {verify_base64}, raising instead of answering false.
        # @return [true]
        # @raise [SignatureError] with the reason when the signature does not verify
        def verify_base64!(secret, body, signature)
          verified!(base64_failure(secret, body, signature))
        end

        # Twilio's `X-Twilio-Signature`: HMAC of the URL and the sorted POST parameters (or of the
        # URL alone for a JSON body, whose SHA-256 the URL's `bodySHA256` must then carry).
        # @param secret [String] the account's auth token, or the SharedKey secret for SharedKey webhooks
        # @param auth_token [String] alias of `secret:` (Twilio's name for it)
        # @param url [String] the full URL Twilio called
        # @param signature [String, nil] the header's value; nil (absent) is `:missing`
        # @param params [Hash, String] the POST parameters (an Array value for a repeated name), or
        #   the raw JSON body
        # @param signature_settings [String, nil] the `X-Twilio-Webhooks-Signature-Settings` header:
        #   its `algorithm=HMAC_SHA256` selects HMAC-SHA256 over HMAC-SHA1
        # @return [Boolean]
        # @raise [ArgumentError] when neither or both of `secret:` and `auth_token:` are given
        # @raise [TypeError] when an argument is of the wrong type
        def verify_twilio(url:, signature:, secret: NOT_GIVEN, auth_token: NOT_GIVEN, params: {}, signature_settings: nil)
          name, key = secret_keyword(secret, :auth_token, auth_token)
          twilio_failure(name, key, url, params, signature, signature_settings).nil?
        end

        # {verify_twilio}, raising instead of answering false.
        # @return [true]
        # @raise [SignatureError] with the reason when the signature does not verify
        def verify_twilio!(url:, signature:, secret: NOT_GIVEN, auth_token: NOT_GIVEN, params: {}, signature_settings: nil)
          name, key = secret_keyword(secret, :auth_token, auth_token)
          verified!(twilio_failure(name, key, url, params, signature, signature_settings))
        end

        # Linear's `Linear-Signature` (hex HMAC of the raw body), and the body's `webhookTimestamp`
        # (milliseconds) within tolerance.
        # @param secret [String] the webhook's signing secret
        # @param body [String] the raw request body (JSON)
        # @param signature [String, nil] the header's value; nil (absent) is `:missing`
        # @param tolerance [Integer] seconds the body's timestamp may be away from now
        # @param now [Time, Integer, nil] the time to check against; nil is `Time.now`
        # @return [Boolean]
        # @raise [TypeError, ArgumentError] when an argument is of the wrong type or out of range
        def verify_linear(secret:, body:, signature:, tolerance: 60, now: nil)
          linear_failure(secret, body, signature, tolerance, now).nil?
        end

        # {verify_linear}, raising instead of answering false.
        # @return [true]
        # @raise [SignatureError] with the reason when the signature does not verify
        def verify_linear!(secret:, body:, signature:, tolerance: 60, now: nil)
          verified!(linear_failure(secret, body, signature, tolerance, now))
        end

        # Stripe's `Stripe-Signature` (`"t=…,v1=…[,v1=…]"`, hex HMAC of `"<t>.<body>"`); any `v1` may match.
        # @param secret [String] the endpoint's signing secret (`whsec_…`, used as it is)
        # @param body [String] the raw request body
        # @param header [String, nil] the header's value; nil (absent) is `:missing`
        # @param tolerance [Integer] seconds `t` may be away from now
        # @param now [Time, Integer, nil] the time to check against; nil is `Time.now`
        # @return [Boolean]
        # @raise [TypeError, ArgumentError] when an argument is of the wrong type or out of range
        def verify_stripe(secret:, body:, header:, tolerance: DEFAULT_TOLERANCE, now: nil)
          stripe_failure(secret, body, header, tolerance, now).nil?
        end

        # {verify_stripe}, raising instead of answering false.
        # @return [true]
        # @raise [SignatureError] with the reason when the signature does not verify
        def verify_stripe!(secret:, body:, header:, tolerance: DEFAULT_TOLERANCE, now: nil)
          verified!(stripe_failure(secret, body, header, tolerance, now))
        end

        private

        # The key and the keyword it came in: `secret:` or its alias (the provider's own name), one
        # of the two. Ruby's own message for a missing required keyword, when neither is given.
        def secret_keyword(secret, alias_name, alias_value)
          if NOT_GIVEN.equal?(secret)
            raise ArgumentError, "missing keyword: :secret" if NOT_GIVEN.equal?(alias_value)

            [alias_name.to_s, alias_value]
          elsif NOT_GIVEN.equal?(alias_value)
            ["secret", secret]
          else
            raise ArgumentError, "secret: and #{alias_name}: are the same argument; pass one of them"
          end
        end

        # The bang forms: true, or SignatureError for the failure code (reason and part).
        def verified!(reason)
          raise SignatureError, reason if reason

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

        def slack_failure(secret_name, secret, timestamp, body, signature, tolerance, now)
          code = _native_check_slack(secret, timestamp, body, signature, tolerance, now_or_clock(now))
          return code unless false.equal?(code)

          Arguments.string!(secret_name, secret) unless String === secret
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

        def twilio_failure(secret_name, secret, url, params, signature, settings)
          token = Arguments.string!(secret_name, secret)
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
