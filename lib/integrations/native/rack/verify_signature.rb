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
      #
      # @example In config/application.rb
      #   config.middleware.use Integrations::Native::Rack::VerifySignature,
      #       "/webhooks/slack" => { scheme: :slack, secret: ENV["SLACK_SIGNING_SECRET"] },
      #       "/webhooks/shopify" => { scheme: :base64, secret: ->(request) { Shop.secret_for(request) } },
      #       %r{\A/webhooks/inbox/\d+\z} => { scheme: :chatwoot, secret: ->(request) { … } }
      class VerifySignature
        # The schemes a route may name (see {Verifier::SCHEMES}).
        SCHEMES = Verifier::SCHEMES
        # The largest body read by default: 5 MiB.
        DEFAULT_MAX_BODY = 5 * 1024 * 1024
        # Up to 1 GiB: the whole body is held in memory, and IO#read takes no more than a long.
        MAX_BODY_BYTES = (0..(1 << 30))
        # The header the :base64 scheme reads when a route names none.
        DEFAULT_BASE64_HEADER = Verifier::DEFAULT_BASE64_HEADER
        # The options a route may have.
        ROUTE_OPTIONS = %i[scheme secret header url tolerance on_missing_secret].freeze
        # The values of a route's on_missing_secret.
        MISSING_SECRET = %i[skip reject raise].freeze

        # Checks every option and route here, so a mistake fails at boot rather than on every request.
        # @param app [#call] the Rack app behind
        # @param routes [Hash{String, Regexp => Hash}] path => route options: `scheme:` (one of
        #   {SCHEMES}), `secret:` (a String, or a lambda taking the Rack::Request), and as the scheme
        #   uses them `header:`, `url:`, `tolerance:`, `on_missing_secret:` (one of {MISSING_SECRET})
        # @param options [Hash] `max_body_bytes:` (default {DEFAULT_MAX_BODY}); a plain Hash rather
        #   than keywords, since Rack's `use` passes its arguments on positionally
        # @raise [ArgumentError, TypeError] for an unknown option, a route that could never match, an
        #   unknown scheme, or a missing secret whose route says `on_missing_secret: :raise`
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
          @warned = {}
          # [pattern, verifier, secret, path, on_missing_secret]: a String route as its canonical
          # keys, a Regexp as it is. A route skipped for want of a secret is left out.
          @matchers = routes.filter_map do |path, route|
            options, verifier = route_options(path, route)
            next if options.nil?

            @routes << [path, options]
            [String === path ? Signature._native_route_keys(path) : path, verifier, options[:secret], path, options[:on_missing_secret]]
          end
        end

        # Never a secret (each route holds one), nor the app behind (which may be large).
        # @return [String]
        def inspect
          "#<#{self.class.name} #{@routes.size} route(s)>"
        end

        # Verifies a request on a route, then hands it to the app; any other request goes straight on.
        # @param env [Hash] the Rack environment
        # @return [Array(Integer, Hash, #each)] the app's response, or 401 (413 for a body over
        #   max_body_bytes) with a short JSON error
        # @raise [ConfigurationError] when a secret lambda answers no secret on a route whose
        #   on_missing_secret is :raise
        def call(env)
          verifier, secret, path, on_missing = route_for(env)
          return @app.call(env) unless verifier

          body = read_body(env)
          return reject(413, :too_large) if body.nil?

          request = ::Rack::Request.new(env)
          resolved = Verifier.secret_for(secret, request)
          return missing_secret(path, on_missing, env) if resolved.nil? && on_missing != :reject

          reason = verifier.failure(request, resolved, body)
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
          route[:on_missing_secret] = missing_secret_policy(path, route)
          return nil if missing_at_boot(path, route) == :skip

          verifier.check_secret!("route #{path.inspect}: secret", route[:secret]) unless NilClass === route[:secret]
          [route.merge(scheme: verifier.scheme), verifier]
        end

        # on_missing_secret: what a route does without a secret. :skip lets requests through
        # unverified after one warning: the default for a secret that is nil or blank at boot (an
        # unset ENV variable, as Chatwoot treats SLACK_SIGNING_SECRET). :reject answers 401: the
        # default for a secret lambda that answers nil or blank on a request, since such a lambda
        # usually looks a tenant's secret up, and a tenant without one must not get in unverified.
        # :raise refuses to boot (or raises ConfigurationError on the request, for a lambda).
        def missing_secret_policy(path, route)
          given = route.fetch(:on_missing_secret) { Arguments.responds?(route[:secret], :call) ? :reject : :skip }
          policy = (String === given || Symbol === given) ? given.to_sym : given
          return policy if MISSING_SECRET.include?(policy)

          raise ArgumentError, "route #{path.inspect}: on_missing_secret must be one of #{MISSING_SECRET.inspect}, " \
                               "got #{Arguments.describe(given)}"
        end

        # For a secret nil or blank at boot: :skip (the route is left out, with its warning), or nil
        # (kept: :reject answers 401 :missing), or ArgumentError (:raise).
        def missing_at_boot(path, route)
          secret = route[:secret]
          return nil unless NilClass === secret || (String === secret && secret.b.strip.empty?)

          route[:secret] = nil
          case route[:on_missing_secret]
          when :raise then raise ArgumentError, "route #{path.inspect} has no secret (nil or blank) and on_missing_secret: :raise"
          when :skip
            unverified_warning(path, "it has no secret")
            :skip
          end
        end

        # A secret lambda answered nil or blank for this request, and the route does not reject.
        def missing_secret(path, policy, env)
          raise ConfigurationError, "the secret for #{path.inspect} is nil or blank" if policy == :raise

          @warned[path] ||= unverified_warning(path, "its secret lambda answered nil or blank")
          @app.call(env)
        end

        def unverified_warning(path, why)
          Native.logger.warn("[chatwoot_integrations_rs] VerifySignature: requests to #{path.inspect} pass through " \
                             "unverified, because #{why} (on_missing_secret: :skip)")
          true
        end

        # The verifier and secret of the first route the request is on, whatever its spelling.
        def route_for(env)
          keys, spellings = Signature._native_request_paths(path_string(env["SCRIPT_NAME"]), path_string(env["PATH_INFO"]))
          @matchers.each do |pattern, verifier, secret, path, on_missing|
            hit = Array === pattern ? pattern.any? { |key| keys.include?(key) } : spellings.any? { |spelling| matches?(pattern, spelling) }
            return [verifier, secret, path, on_missing] if hit
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
