# frozen_string_literal: true

require_relative "endpoint_health"

module Integrations
  module Native
    # What the two durable jobs share, WebhookJob (Sidekiq) and DeliveryJob (ActiveJob): deliver one
    # payload to many endpoints concurrently through Integrations::Native.dispatch, then re-enqueue each
    # retryable failure as its own job for that endpoint alone, with its delivery id. A healthy endpoint is
    # never delivered twice because a neighbour failed, and receivers can de-duplicate on the id.
    # The delay before each retry and the delivery ids come from the core (Native._native_retry_delay,
    # _native_delivery_id); endpoint failure streaks are kept by EndpointHealth.
    #
    # The including job supplies:
    #   durable_job_id                  an id that stays the same when its queue runs the job again
    #   enqueue_retry(delay, reference, payload, event, attempt, delivery_id)
    #   durable_logger                  its framework's logger (c.logger comes first)
    #   durable_gave_up(result)         optional: after the last attempt, before c.on_delivery_failure
    module DurableDelivery
      # An endpoint that could not be resolved, handed to dispatch in its place: dispatch makes it
      # that endpoint's invalid result, with this message and the job's delivery id for it.
      class Unresolved < Error
        attr_reader :delivery_id

        def initialize(message, delivery_id)
          super(message)
          @delivery_id = delivery_id
        end
      end

      private

      # endpoints: ids (resolved through c.endpoint_resolver, so secrets never sit in the queue) or
      # { "url", "secret", "headers" } Hashes. delivery_ids: the ids of earlier attempts, by index.
      # Returns the results, each with its attempt number and the time of its next attempt (nil
      # when there is none), as the deliver.integrations_native events show them.
      def deliver_durably(endpoints, payload, event, attempt:, delivery_ids:, timeout: nil, headers: {})
        config = Native.config
        return [] if endpoints.empty?

        resolved = endpoints.each_with_index.map do |reference, index|
          resolve(config, reference, delivery_ids[index] || stable_delivery_id(index))
        end
        # One result per endpoint, in order: an unusable or unresolvable endpoint gets its invalid
        # result from dispatch, and costs the others nothing. The events wait for the attempt fields.
        results = Instrumentation.held do
          Native.dispatch(endpoints: resolved, payload: payload, event: event, timeout: timeout, headers: headers)
        end
        disabled = EndpointHealth.for(config)&.record(results, endpoints) || []
        results = results.each_with_index.map do |result, index|
          follow_up(config, result, endpoints[index], payload, event, attempt, disabled[index])
        end
        Instrumentation.deliveries(results, event)
      end

      # The endpoint Hash for dispatch, or an Unresolved in its place.
      def resolve(config, reference, delivery_id)
        endpoint =
          if reference.is_a?(Hash)
            reference
          elsif config.endpoint_resolver
            config.endpoint_resolver.call(reference)
          else
            raise ConfigurationError, "endpoint #{describe_reference(reference)} is an id, but no endpoint_resolver is configured"
          end
        raise TypeError, "endpoint_resolver must return a Hash, got #{endpoint.class}" unless endpoint.is_a?(Hash)

        { url: field(endpoint, :url), secret: field(endpoint, :secret), headers: field(endpoint, :headers),
          delivery_id: delivery_id }
      rescue StandardError => e
        # One endpoint that cannot be resolved (deleted, misconfigured) must not cost the others theirs.
        Unresolved.new("cannot resolve endpoint #{describe_reference(reference)}: #{e.class}: #{e.message}", delivery_id)
      end

      # A field of a resolved or inline endpoint, under a Symbol or String key (JSON from the queue
      # gives Strings); other keys are left out.
      def field(endpoint, name)
        endpoint.key?(name) ? endpoint[name] : endpoint[name.to_s]
      end

      # How a log line or an error names an endpoint reference: an id as it is (redacted, should a
      # URL have been passed as one), an inline endpoint never by its contents (it holds a secret).
      def describe_reference(reference)
        case reference
        when Integer then reference.to_s
        when String then Native.redact_url(reference).inspect
        when Hash then "(an inline endpoint)"
        else "(a #{reference.class})"
        end
      end

      # A failure is tried again after the delay the core computes (c.retry_schedule's step with
      # jitter, or the app's own c.retry_delay; a Retry-After raises it up to c.retry_after_max),
      # unless it is final, the schedule is spent, or the app has disabled the endpoint.
      def follow_up(config, result, reference, payload, event, attempt, disabled)
        # (A first attempt's success is what a result says without the fields: no copy.)
        return attempt == 1 ? result : result.with_attempt(attempt, nil) if result.success?

        delay = retry_delay(config, result, attempt) if result.retryable? && !disabled
        if delay
          enqueue_retry(delay, reference, payload, event, attempt + 1, result.delivery_id)
          return result.with_attempt(attempt, Time.now + delay)
        end

        result = result.with_attempt(attempt, nil)
        (config.logger || durable_logger || Native.logger)
          .warn("[chatwoot_integrations_rs] webhook delivery #{result.delivery_id} to #{result.redacted_url} " \
                "failed after #{attempt} attempt(s)#{disabled ? " (endpoint disabled)" : ""}: #{result.error}")
        durable_gave_up(result)
        config.on_delivery_failure&.call(result)
        result
      end

      # Seconds until the next attempt, or nil when there is none.
      def retry_delay(config, result, attempt)
        schedule = config.effective_retry_schedule
        own = [config.retry_delay.call(attempt).to_f, 0.0].max if schedule.nil? && attempt < config.max_attempts
        return nil unless schedule || own

        Native._native_retry_delay(schedule&.map(&:to_f), own, attempt, result.retry_after, config.retry_after_max.to_f,
                                   DurableDelivery.time_scale)
      end

      def durable_gave_up(_result); end

      # The same for this job's every run (derived from its queue id, in the core), so a job that
      # its queue runs again after a shutdown delivers with the delivery ids it used before, and
      # receivers can de-duplicate. Without a job id (perform called directly) dispatch makes new ones.
      def stable_delivery_id(index)
        job_id = durable_job_id
        job_id ? Native._native_delivery_id(job_id.to_s, index) : nil
      end

      class << self
        # Test-only: INTEGRATIONS_NATIVE_TIME_SCALE (above 0, at most 1) shrinks every retry delay and
        # the disable window by that factor, so a spec runs a day-long schedule in seconds. Unset
        # (always, outside tests) it is 1.
        def time_scale
          scale = ENV["INTEGRATIONS_NATIVE_TIME_SCALE"]
          scale ? Float(scale) : 1.0
        end
      end
    end
  end
end
