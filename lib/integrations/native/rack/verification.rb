# frozen_string_literal: true

require "json"

module Integrations
  module Native
    # Verifying incoming webhooks at the HTTP layer: the middleware ({Rack::VerifySignature}), and the
    # controller-level forms, which verify after the router has chosen the action and so protect
    # every spelling of its path by construction.
    #
    # Nothing here needs the rack gem loaded: a request is anything with Rack::Request's readers
    # (Rack::Request, ActionDispatch::Request).
    #
    # @example One request
    #   Integrations::Native::Rack.verify!(request, scheme: :slack, secret: ENV["SLACK_SIGNING_SECRET"])
    # @example Every request of a controller's action
    #   class SlackEventsController < ApplicationController
    #     include Integrations::Native::Rack::Verification
    #     verify_signature scheme: :slack, secret: -> { ENV["SLACK_SIGNING_SECRET"] }, only: :create
    #   end
    module Rack
      class << self
        # Verifies one request by a provider's scheme.
        # @param request [Rack::Request, ActionDispatch::Request] the request; its body is read and
        #   rewound for the app
        # @param scheme [Symbol, String] one of {Verifier::SCHEMES}
        # @param secret [String, #call] the key, or a callable given the request (a nil or blank
        #   answer is `:missing`)
        # @param header [String, nil] the header the :base64 scheme reads (default
        #   {Verifier::DEFAULT_BASE64_HEADER})
        # @param url [#call, nil] :twilio only: given the request, answers the URL Twilio called
        #   (default: the request's original URL)
        # @param tolerance [Integer, nil] seconds a signed timestamp may be away from now (default:
        #   the scheme's)
        # @return [true]
        # @raise [SignatureError] with the `#reason` (`:mismatch`, `:expired`, `:malformed`, `:missing`)
        # @raise [ArgumentError, TypeError] for an unknown scheme or an option of the wrong type
        def verify!(request, scheme:, secret:, header: nil, url: nil, tolerance: nil)
          unless Arguments.responds?(request, :get_header)
            raise TypeError, "request must be a Rack::Request or ActionDispatch::Request, got #{Arguments.class_name(request)}"
          end

          verifier = Verifier.new(scheme: scheme, header: header, url: url, tolerance: tolerance)
          verifier.check_secret!("secret", secret)
          error = verifier.error(request, Verifier.secret_for(secret, request), Verifier.raw_body(request))
          raise error if error

          true
        end
      end

      # One scheme's check of a request, its options checked once when it is built. It holds no
      # secret: the caller resolves that per request.
      # @api private
      class Verifier
        # The schemes a route, {Rack.verify!} or {Verification::ClassMethods#verify_signature} may name.
        SCHEMES = %i[chatwoot slack standard hub base64 twilio linear stripe].freeze
        # The header the :base64 scheme reads unless told another (Shopify's; LINE sends X-Line-Signature).
        DEFAULT_BASE64_HEADER = "X-Shopify-Hmac-Sha256"

        # @return [Symbol] the scheme, one of {SCHEMES}
        attr_reader :scheme

        def initialize(scheme:, header: nil, url: nil, tolerance: nil)
          # Compared as text: String#to_sym raises EncodingError for bytes that are not UTF-8.
          name = SCHEMES.find { |known| known == scheme || known.name == scheme }
          raise ArgumentError, "unknown scheme #{Arguments.describe(scheme)}; one of #{SCHEMES.map(&:inspect).join(", ")}" unless name

          @scheme = name
          given = ->(value) { !(NilClass === value) }
          @header = given.(header) ? Arguments.string!("header", header) : DEFAULT_BASE64_HEADER
          raise ArgumentError, "header: applies to the base64 scheme only" if given.(header) && name != :base64

          if given.(url) && !Arguments.responds?(url, :call)
            raise TypeError, "url must respond to #call (given the request), got #{Arguments.class_name(url)}"
          end
          raise ArgumentError, "url: applies to the twilio scheme only" if given.(url) && name != :twilio

          @url = given.(url) ? url : nil
          @window = given.(tolerance) ? { tolerance: Arguments.tolerance!(tolerance) } : {}
          freeze
        end

        # A secret option must be a non-empty String or something to call per request.
        def self.check_secret!(name, secret)
          return if Arguments.responds?(secret, :call)
          raise TypeError, "#{name} must be a String or respond to #call, got #{Arguments.class_name(secret)}" unless String === secret
          raise ArgumentError, "#{name} is empty" if secret.empty?
        end

        # Checks a secret option for this scheme: a Standard Webhooks `whsec_` secret must decode,
        # or every request would fail on it.
        def check_secret!(name, secret)
          Verifier.check_secret!(name, secret)
          return unless @scheme == :standard && String === secret

          Signature.sign_standard(secret: secret, id: "check", timestamp: 0, body: "")
        rescue ArgumentError => e
          raise ArgumentError, "#{name}: #{e.message}"
        end

        # The secret for this request: the String, or what the callable answers; nil (verified
        # as :missing) unless that is a String with more than white space in it.
        def self.secret_for(secret, request)
          secret = secret.call(request) if !(String === secret) && Arguments.responds?(secret, :call)
          String === secret && !secret.b.strip.empty? ? secret : nil
        end

        # The raw body, leaving the request's body readable from the start for the app.
        def self.raw_body(request)
          return request.raw_post.to_s if request.respond_to?(:raw_post)

          io = request.body
          return +"" if io.nil?

          io.rewind if io.respond_to?(:rewind)
          body = io.read.to_s
          io.rewind if io.respond_to?(:rewind)
          body
        end

        # The parsed JSON body, or nil when it is not JSON.
        def self.event(body)
          JSON.parse(body)
        rescue JSON::ParserError, EncodingError
          nil
        end

        # nil when the request verifies, else the reason Symbol. Never raises for anything the
        # sender controls (headers, body, parameters).
        def failure(request, secret, body)
          error(request, secret, body)&.reason
        end

        # nil when the request verifies, else the SignatureError saying why (its reason, and the
        # part that was missing or malformed).
        def error(request, secret, body)
          return SignatureError.new(:missing) if secret.nil?

          verdict =
            case @scheme
            when :chatwoot
              Signature.verify_chatwoot!(secret: secret, body: body, timestamp: header(request, "X-Chatwoot-Timestamp"),
                                         signature: header(request, "X-Chatwoot-Signature"), **@window)
            when :slack
              Signature.verify_slack!(secret: secret, body: body, timestamp: header(request, "X-Slack-Request-Timestamp"),
                                      signature: header(request, "X-Slack-Signature"), **@window)
            when :standard
              Signature.verify_standard!(secret: secret, body: body, id: standard_header(request, "id"),
                                         timestamp: standard_header(request, "timestamp"),
                                         signature: standard_header(request, "signature"), **@window)
            when :hub
              Signature.verify_hub!(secret, body, header(request, "X-Hub-Signature-256") || header(request, "X-Hub-Signature"))
            when :base64
              Signature.verify_base64!(secret, body, header(request, @header))
            when :twilio
              verify_twilio!(request, secret, body)
            when :linear
              Signature.verify_linear!(secret: secret, body: body, signature: header(request, "Linear-Signature"), **@window)
            when :stripe
              Signature.verify_stripe!(secret: secret, body: body, header: header(request, "Stripe-Signature"), **@window)
            end
          verdict ? nil : SignatureError.new(:mismatch)
        rescue SignatureError => e
          e
        end

        # @return [String] the scheme and options; a Verifier holds no secret
        def inspect
          "#<#{self.class.name} scheme=#{@scheme.inspect}>"
        end

        private

        def header(request, name)
          value = request.get_header("HTTP_#{name.upcase.tr("-", "_")}")
          String === value ? value : nil
        end

        # Standard Webhooks headers, or Svix's svix-id/-timestamp/-signature, which the svix library
        # reads first, header by header, falling back to webhook-*.
        def standard_header(request, part)
          header(request, "svix-#{part}") || header(request, "webhook-#{part}")
        end

        # Twilio signs the URL it called and the form parameters, parsed from the raw body natively
        # (every value of a repeated name kept; a name like `a[b]` stays one name), or the JSON
        # body; the signature-settings header selects HMAC-SHA256 for SharedKey webhooks.
        def verify_twilio!(request, secret, body)
          url = @url ? @url.call(request) : original_url(request)
          return false unless String === url

          params = request.media_type == "application/json" ? body : Signature._native_parse_form(body).to_h
          Signature.verify_twilio!(secret: secret, url: url, params: params, signature: header(request, "X-Twilio-Signature"),
                                   signature_settings: header(request, "X-Twilio-Webhooks-Signature-Settings"))
        end

        # The URL as the client sent it: inside a mounted Rails engine the router has moved part of
        # the path into SCRIPT_NAME, which original_url undoes.
        def original_url(request)
          request.respond_to?(:original_url) ? request.original_url : request.url
        end
      end

      # The before_action form for Rails controllers (or anything with before_action, request and
      # render): verification runs for exactly the actions the router dispatched to.
      #
      # A failure renders 401 with the JSON `{"error": "invalid_signature", "reason": "…"}` and the
      # action does not run; a success sets `request.env["integrations_native.verified"]` to the scheme.
      #
      # @example
      #   include Integrations::Native::Rack::Verification
      #   verify_signature scheme: :chatwoot, secret: -> { Inbox.find(params[:id]).webhook_secret }, only: :create
      module Verification
        # @api private
        def self.included(base)
          base.extend(ClassMethods)
        end

        # The class-level macro a controller gets by including {Verification}.
        module ClassMethods
          # Adds a before_action that verifies the request's signature.
          # @param scheme [Symbol, String] one of {Verifier::SCHEMES}
          # @param secret [String, Symbol, #call] the key; a Symbol names a method of the controller;
          #   a callable runs in the controller (so params are the router's), given the request if
          #   it takes an argument
          # @param header [String, nil] the header the :base64 scheme reads
          # @param url [#call, nil] :twilio only: given the request, answers the URL Twilio called
          # @param tolerance [Integer, nil] seconds a signed timestamp may be away from now
          # @param callback_options [Hash] before_action's own options (`only:`, `except:`, `if:` …)
          # @return [void]
          # @raise [ArgumentError, TypeError] at class definition, for an unknown scheme or a bad option
          def verify_signature(scheme:, secret:, header: nil, url: nil, tolerance: nil, **callback_options)
            verifier = Verifier.new(scheme: scheme, header: header, url: url, tolerance: tolerance)
            verifier.check_secret!("secret", secret) unless Symbol === secret
            before_action(**callback_options) do
              resolved = Verification.secret_in(self, secret)
              reason = verifier.failure(request, Verifier.secret_for(resolved, request), Verifier.raw_body(request))
              if reason
                render status: 401, json: { "error" => "invalid_signature", "reason" => reason.to_s }
              else
                request.env["integrations_native.verified"] = verifier.scheme
              end
            end
          end
        end

        # The secret as the controller sees it for this request.
        # @api private
        def self.secret_in(controller, secret)
          case secret
          when String then secret
          when Symbol then controller.send(secret)
          when Proc then secret.arity.zero? ? controller.instance_exec(&secret) : controller.instance_exec(controller.request, &secret)
          else secret.call(controller.request)
          end
        end
      end
    end
  end
end
