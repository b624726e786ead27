# frozen_string_literal: true

require "rack"
require "json"
require "stringio"
require_relative "verification"

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
      # A request is on a route whatever its spelling: paths are compared in the canonical form the
      # native side computes (Signature._native_request_paths: slashes squeezed, trailing slash,
      # newline and `.json`-style format dropped, escapes decoded, dot segments resolved), with and
      # without SCRIPT_NAME, so a router's normalization cannot route around the check. A Regexp
      # route is tried on each of those spellings and protects the request if any matches; it
      # must match every spelling of its parameters the router accepts, which is why verifying in
      # the controller (Rack.verify!, Rack::Verification) is the surer form.
      #
      # It reads the raw body once (up to max_body_bytes) and puts it back for the app, answers 401
      # with a short JSON error when verification fails, and on success sets
      # env["integrations_native.verified"] (the scheme) and env["integrations_native.event"] (the
      # parsed JSON body, or nil when the body is not JSON). Other paths pass through untouched.
      class VerifySignature
        SCHEMES = Verifier::SCHEMES
        DEFAULT_MAX_BODY = 5 * 1024 * 1024
        # Up to 1 GiB: the whole body is held in memory, and IO#read takes no more than a long.
        MAX_BODY_BYTES = (0..(1 << 30)).freeze
        DEFAULT_BASE64_HEADER = Verifier::DEFAULT_BASE64_HEADER
        ROUTE_OPTIONS = %i[scheme secret header url tolerance].freeze

        # options: max_body_bytes (default 5 MiB). A plain Hash rather than keywords, since Rack's
        # `use` passes its arguments on positionally. Every option and route is checked here, so a
        # mistake fails at boot rather than on every request.
        def initialize(app, routes, options = {})
          options = option_hash("options", options)
          unknown = options.keys - %i[max_body_bytes]
          raise ArgumentError, "unknown option(s): #{unknown.join(", ")}" unless unknown.empty?
          raise TypeError, "routes must be a Hash of path => options, got #{Arguments.class_name(routes)}" unless Hash === routes

          @app = app
          @max_body_bytes = options.fetch(:max_body_bytes, DEFAULT_MAX_BODY)
          unless Integer === @max_body_bytes && MAX_BODY_BYTES.cover?(@max_body_bytes)
            # ArgumentError for nil too: nil here is a forgotten setting, not "no limit".
            raise ArgumentError, "max_body_bytes must be an Integer from #{MAX_BODY_BYTES.min} to #{MAX_BODY_BYTES.max}, " \
                                 "got #{Arguments.describe(@max_body_bytes)}"
          end
          @routes = []
          # [pattern, verifier, secret]: a String route as its canonical keys, a Regexp as it is.
          @matchers = routes.map do |path, route|
            options, verifier = route_options(path, route)
            @routes << [path, options]
            [String === path ? Signature._native_route_keys(path) : path, verifier, options[:secret]]
          end
        end

        def call(env)
          verifier, secret = route_for(env)
          return @app.call(env) unless verifier

          body = read_body(env)
          return reject(413, :too_large) if body.nil?

          request = ::Rack::Request.new(env)
          reason = verifier.failure(request, Verifier.secret_for(secret, request), body)
          return reject(401, reason) if reason

          env["integrations_native.verified"] = verifier.scheme
          env["integrations_native.event"] = Verifier.event(body)
          @app.call(env)
        end

        private

        def option_hash(what, value)
          raise TypeError, "#{what} must be a Hash, got #{Arguments.class_name(value)}" unless Hash === value

          value.each_key do |key|
            next if String === key || Symbol === key

            raise TypeError, "#{what} keys must be Symbols or Strings, got #{Arguments.class_name(key)}"
          end
          value.transform_keys(&:to_sym)
        end

        # A route's options, checked, and its verifier: a String or Regexp path (anything else
        # would never match, leaving the path open), a scheme, a secret, and only options the
        # scheme uses.
        def route_options(path, route)
          unless String === path || Regexp === path
            raise TypeError, "route paths must be Strings or Regexps, got #{Arguments.class_name(path)}"
          end

          route = option_hash("route #{path.inspect}", route)
          unknown = route.keys - ROUTE_OPTIONS
          raise ArgumentError, "route #{path.inspect}: unknown option(s): #{unknown.join(", ")}" unless unknown.empty?
          raise ArgumentError, "route #{path.inspect} needs scheme:" unless route.key?(:scheme)
          raise ArgumentError, "route #{path.inspect} needs secret:" unless route.key?(:secret)

          verifier = Verifier.new(**route.slice(:scheme, :header, :url, :tolerance))
          verifier.check_secret!("route #{path.inspect}: secret", route[:secret])
          [route.merge(scheme: verifier.scheme), verifier]
        end

        # The verifier and secret of the first route the request is on, whatever its spelling.
        def route_for(env)
          keys, spellings = Signature._native_request_paths(path_string(env["SCRIPT_NAME"]), path_string(env["PATH_INFO"]))
          @matchers.each do |pattern, verifier, secret|
            hit = Array === pattern ? pattern.any? { |key| keys.include?(key) } : spellings.any? { |path| matches?(pattern, path) }
            return [verifier, secret] if hit
          end
          nil
        end

        def path_string(value)
          String === value ? value : ""
        end

        # A Regexp with non-ASCII text cannot be tried on a path that is not UTF-8: such a path is
        # taken as on the route (verified), never as off it.
        def matches?(pattern, path)
          pattern.match?(path)
        rescue Encoding::CompatibilityError, ArgumentError
          true
        end

        # The raw body, with rack.input replaced by a rewound copy for the app; nil when too large.
        def read_body(env)
          input = env["rack.input"]
          body = input ? input.read(@max_body_bytes + 1).to_s : +""
          return nil if body.bytesize > @max_body_bytes

          env["rack.input"] = StringIO.new(body)
          body
        end

        def reject(status, reason)
          body = JSON.generate("error" => status == 413 ? "payload_too_large" : "invalid_signature", "reason" => reason.to_s)
          [status, { "content-type" => "application/json", "content-length" => body.bytesize.to_s }, [body]]
        end
      end
    end
  end
end
