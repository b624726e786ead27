# frozen_string_literal: true

require "rack"
require "json"
require "stringio"

module Integrations
  module Native
    module Rack
      # Rack middleware that verifies incoming webhooks before the app sees them.
      #
      #   use Integrations::Native::Rack::VerifySignature,
      #       "/webhooks/slack" => { scheme: :slack, secret: ENV["SLACK_SIGNING_SECRET"] },
      #       "/webhooks/shopify" => { scheme: :base64, secret: ->(request) { Shop.secret_for(request) } },
      #       %r{\A/webhooks/inbox/\d+\z} => { scheme: :chatwoot, secret: ->(request) { … } }
      #
      # It reads the raw body once (up to max_body_bytes) and puts it back for the app, answers 401
      # with a short JSON error when verification fails, and on success sets
      # env["integrations_native.verified"] (the scheme) and env["integrations_native.event"] (the
      # parsed JSON body, or nil when the body is not JSON). Other paths pass through untouched.
      class VerifySignature
        SCHEMES = %i[chatwoot slack standard hub base64 twilio linear stripe].freeze
        DEFAULT_MAX_BODY = 5 * 1024 * 1024
        DEFAULT_BASE64_HEADER = "X-Shopify-Hmac-Sha256"

        # options: max_body_bytes (default 5 MiB). A plain Hash rather than keywords, since Rack's
        # `use` passes its arguments on positionally.
        def initialize(app, routes, options = {})
          unknown = options.keys.map(&:to_sym) - %i[max_body_bytes]
          raise ArgumentError, "unknown option(s): #{unknown.join(", ")}" unless unknown.empty?

          @app = app
          @max_body_bytes = options.fetch(:max_body_bytes, DEFAULT_MAX_BODY)
          @routes = routes.map do |path, options|
            options = options.transform_keys(&:to_sym)
            scheme = options.fetch(:scheme) { raise ArgumentError, "route #{path.inspect} needs scheme:" }.to_sym
            raise ArgumentError, "unknown scheme #{scheme.inspect}; one of #{SCHEMES.inspect}" unless SCHEMES.include?(scheme)

            secret = options.fetch(:secret) { raise ArgumentError, "route #{path.inspect} needs secret:" }
            unless secret.is_a?(String) || secret.respond_to?(:call)
              raise ArgumentError, "route #{path.inspect}: secret must be a String or respond to #call"
            end

            [path, options.merge(scheme: scheme)]
          end
        end

        # Never a secret (each route holds one), nor the app behind (which may be large).
        def inspect
          "#<#{self.class.name} #{@routes.size} route(s)>"
        end

        def call(env)
          route = @routes.find { |path, _| path === env["PATH_INFO"] } # rubocop:disable Style/CaseEquality
          return @app.call(env) unless route

          options = route.last
          body = read_body(env)
          return reject(413, :too_large) if body.nil?

          request = ::Rack::Request.new(env)
          secret = options[:secret].respond_to?(:call) ? options[:secret].call(request) : options[:secret]
          return reject(401, :missing) unless secret.is_a?(String) && !secret.empty?

          reason = failure(options, request, secret, body)
          return reject(401, reason) if reason

          env["integrations_native.verified"] = options[:scheme]
          env["integrations_native.event"] = parse_json(body)
          @app.call(env)
        end

        private

        # The raw body, with rack.input replaced by a rewound copy for the app; nil when too large.
        def read_body(env)
          input = env["rack.input"]
          body = input ? input.read(@max_body_bytes + 1).to_s : +""
          return nil if body.bytesize > @max_body_bytes

          env["rack.input"] = StringIO.new(body)
          body
        end

        def header(request, name)
          request.get_header("HTTP_#{name.upcase.tr("-", "_")}")
        end

        def failure(options, request, secret, body)
          verdict =
            case options[:scheme]
            when :chatwoot
              Signature.verify_chatwoot!(secret: secret, body: body, timestamp: header(request, "X-Chatwoot-Timestamp"),
                                         signature: header(request, "X-Chatwoot-Signature"), **window(options))
            when :slack
              Signature.verify_slack!(signing_secret: secret, body: body, timestamp: header(request, "X-Slack-Request-Timestamp"),
                                      signature: header(request, "X-Slack-Signature"), **window(options))
            when :standard
              Signature.verify_standard!(secret: secret, body: body, id: header(request, "webhook-id"),
                                         timestamp: header(request, "webhook-timestamp"),
                                         signature: header(request, "webhook-signature"), **window(options))
            when :hub
              Signature.verify_hub!(secret, body, header(request, "X-Hub-Signature-256") || header(request, "X-Hub-Signature"))
            when :base64
              Signature.verify_base64!(secret, body, header(request, options.fetch(:header, DEFAULT_BASE64_HEADER)))
            when :twilio
              url = options[:url] ? options[:url].call(request) : request.url
              params = request.media_type == "application/json" ? body : request.POST
              Signature.verify_twilio!(auth_token: secret, url: url, params: params, signature: header(request, "X-Twilio-Signature"))
            when :linear
              Signature.verify_linear!(secret: secret, body: body, signature: header(request, "Linear-Signature"), **window(options))
            when :stripe
              Signature.verify_stripe!(secret: secret, body: body, header: header(request, "Stripe-Signature"), **window(options))
            end
          verdict ? nil : :mismatch
        rescue SignatureError => e
          e.reason
        end

        def window(options)
          options.key?(:tolerance) ? { tolerance: options[:tolerance] } : {}
        end

        def parse_json(body)
          JSON.parse(body)
        rescue JSON::ParserError
          nil
        end

        def reject(status, reason)
          body = JSON.generate("error" => status == 413 ? "payload_too_large" : "invalid_signature", "reason" => reason.to_s)
          [status, { "content-type" => "application/json", "content-length" => body.bytesize.to_s }, [body]]
        end
      end
    end
  end
end
