# frozen_string_literal: true

require "sidekiq"
require "digest"
require "logger"
require "securerandom"

module Integrations
  module Native
    # The durable half of webhook delivery: a Sidekiq job (queue "webhooks") that delivers one
    # payload to many endpoints concurrently through Integrations::Native.dispatch, then re-enqueues
    # each retryable failure as its own job for that endpoint alone. A healthy endpoint is never
    # delivered twice because a neighbour failed, and a retry keeps its delivery id so receivers
    # can de-duplicate.
    #
    #   WebhookJob.perform_async([12, 15], payload, "message_created")          # ids, resolved at perform time
    #   WebhookJob.perform_async([{ "url" => url, "secret" => s }], payload, "message_created")
    #
    # Ids go through config.endpoint_resolver (id -> { url:, secret: }), so secrets never sit in Redis.
    # Sidekiq's own retry is off: a raise would redeliver to every endpoint.
    class WebhookJob
      include Sidekiq::Worker

      sidekiq_options queue: "webhooks", retry: false

      # An endpoint that could not be resolved, handed to dispatch in its place: dispatch makes it
      # that endpoint's invalid result, with this message and the job's delivery id for it.
      class Unresolved < Error
        attr_reader :delivery_id

        def initialize(message, delivery_id)
          super(message)
          @delivery_id = delivery_id
        end
      end

      # endpoints: ids or { "url", "secret", "headers" } Hashes; payload: Hash/Array/String;
      # options: "attempt" and "delivery_ids", set by the job itself when it re-enqueues.
      def perform(endpoints, payload, event = nil, options = {})
        config = Native.config
        attempt = Integer(options.fetch("attempt", 1))
        delivery_ids = options["delivery_ids"] || []
        return [] if endpoints.empty?

        resolved = endpoints.each_with_index.map do |reference, index|
          resolve(config, reference, delivery_ids[index] || stable_delivery_id(index))
        end
        # One result per endpoint, in order: an unusable or unresolvable endpoint gets its invalid
        # result from dispatch, and costs the others nothing.
        results = Native.dispatch(endpoints: resolved, payload: payload, event: event)
        results.each_with_index { |result, index| follow_up(config, result, endpoints[index], payload, event, attempt) }
        results
      end

      private

      # The endpoint Hash for dispatch, or an Unresolved in its place.
      def resolve(config, reference, delivery_id)
        endpoint =
          if reference.is_a?(Hash)
            reference
          elsif config.endpoint_resolver
            config.endpoint_resolver.call(reference)
          else
            raise ConfigurationError, "endpoint #{describe(reference)} is an id, but no endpoint_resolver is configured"
          end
        raise TypeError, "endpoint_resolver must return a Hash, got #{endpoint.class}" unless endpoint.is_a?(Hash)

        { url: field(endpoint, :url), secret: field(endpoint, :secret), headers: field(endpoint, :headers),
          delivery_id: delivery_id }
      rescue StandardError => e
        # One endpoint that cannot be resolved (deleted, misconfigured) must not cost the others theirs.
        Unresolved.new("cannot resolve endpoint #{describe(reference)}: #{e.class}: #{e.message}", delivery_id)
      end

      # A field of a resolved or inline endpoint, under a Symbol or String key (JSON from Redis
      # gives Strings); other keys are left out.
      def field(endpoint, name)
        endpoint.key?(name) ? endpoint[name] : endpoint[name.to_s]
      end

      # How a log line or an error names an endpoint reference: an id as it is (redacted, should a
      # URL have been passed as one), an inline endpoint never by its contents (it holds a secret).
      def describe(reference)
        case reference
        when Integer then reference.to_s
        when String then Native.redact_url(reference).inspect
        when Hash then "(an inline endpoint)"
        else "(a #{reference.class})"
        end
      end

      def follow_up(config, result, reference, payload, event, attempt)
        return if result.success?

        if result.retryable? && attempt < config.max_attempts
          delay = [config.retry_delay.call(attempt).to_f, result.retry_after.to_f].max
          self.class.set(queue: config.queue)
              .perform_in(delay, [reference], payload, event, { "attempt" => attempt + 1, "delivery_ids" => [result.delivery_id] })
        else
          log(config).warn("[chatwoot_integrations_rs] webhook delivery #{result.delivery_id} to #{result.url} " \
                           "failed after #{attempt} attempt(s): #{result.error}")
          config.on_delivery_failure&.call(result)
        end
      end

      # The same for this job's every run, so a job that Sidekiq re-runs after a shutdown delivers
      # with the delivery ids it used before, and receivers can de-duplicate.
      def stable_delivery_id(index)
        hex = Digest::SHA256.hexdigest("#{jid || SecureRandom.hex(12)}:#{index}")
        "#{hex[0, 8]}-#{hex[8, 4]}-5#{hex[13, 3]}-#{((hex[16].hex & 0x3) | 0x8).to_s(16)}#{hex[17, 3]}-#{hex[20, 12]}"
      end

      def log(config)
        config.logger || Sidekiq.logger || Logger.new($stderr)
      end
    end
  end
end
