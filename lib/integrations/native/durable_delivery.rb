# frozen_string_literal: true

require "digest"
require "securerandom"

module Integrations
  module Native
    # What the two durable jobs share, WebhookJob (Sidekiq) and DeliveryJob (ActiveJob): deliver one
    # payload to many endpoints concurrently through Integrations::Native.dispatch, then re-enqueue each
    # retryable failure as its own job for that endpoint alone, with its delivery id. A healthy endpoint is
    # never delivered twice because a neighbour failed, and receivers can de-duplicate on the id.
    #
    # The including job supplies:
    #   durable_job_id                  an id that stays the same when its queue runs the job again
    #   enqueue_retry(delay, reference, payload, event, attempt, delivery_id)
    #   durable_logger                  its framework's logger (c.logger comes first)
    #   durable_gave_up(result)         optional: after the last attempt, before c.on_delivery_failure
    module DurableDelivery
      private

      # endpoints: ids (resolved through c.endpoint_resolver, so secrets never sit in the queue) or
      # { "url", "secret", "headers" } Hashes. delivery_ids: the ids of earlier attempts, by index.
      def deliver_durably(endpoints, payload, event, attempt:, delivery_ids:, timeout: nil, headers: {})
        config = Native.config
        resolved = endpoints.each_with_index.map do |reference, index|
          resolve(config, reference, delivery_ids[index] || stable_delivery_id(index))
        end
        deliverable = resolved.each_index.reject { |i| resolved[i].is_a?(DeliveryResult) }
        results = resolved.dup
        unless deliverable.empty?
          dispatched = Native.dispatch(endpoints: deliverable.map { |i| resolved[i] }, payload: payload, event: event,
                                       timeout: timeout, headers: headers)
          deliverable.each_with_index { |i, k| results[i] = dispatched[k] }
        end
        results.each_with_index { |result, index| follow_up(config, result, endpoints[index], payload, event, attempt) }
        results
      end

      def resolve(config, reference, delivery_id)
        endpoint =
          if reference.is_a?(Hash)
            reference
          elsif config.endpoint_resolver
            config.endpoint_resolver.call(reference)
          else
            raise ConfigurationError, "endpoint #{reference.inspect} is an id, but no endpoint_resolver is configured"
          end
        raise TypeError, "endpoint_resolver must return a Hash, got #{endpoint.class}" unless endpoint.is_a?(Hash)

        endpoint.transform_keys(&:to_sym).slice(:url, :secret, :headers).merge(delivery_id: delivery_id)
      rescue StandardError => e
        # One endpoint that cannot be resolved (deleted, misconfigured) must not cost the others theirs.
        DeliveryResult.invalid(reference.inspect, "cannot resolve endpoint #{reference.inspect}: #{e.class}: #{e.message}",
                               delivery_id: delivery_id)
      end

      def follow_up(config, result, reference, payload, event, attempt)
        return if result.success?

        if result.retryable? && attempt < config.max_attempts
          delay = [config.retry_delay.call(attempt).to_f, result.retry_after.to_f].max
          enqueue_retry(delay, reference, payload, event, attempt + 1, result.delivery_id)
        else
          (config.logger || durable_logger || Native.logger)
            .warn("[chatwoot_integrations_rs] webhook delivery #{result.delivery_id} to #{result.redacted_url} " \
                  "failed after #{attempt} attempt(s): #{result.error}")
          durable_gave_up(result)
          config.on_delivery_failure&.call(result)
        end
      end

      def durable_gave_up(_result); end

      # The same for this job's every run, so a job that its queue runs again after a shutdown delivers
      # with the delivery ids it used before, and receivers can de-duplicate.
      def stable_delivery_id(index)
        hex = Digest::SHA256.hexdigest("#{durable_job_id || SecureRandom.hex(12)}:#{index}")
        "#{hex[0, 8]}-#{hex[8, 4]}-5#{hex[13, 3]}-#{((hex[16].hex & 0x3) | 0x8).to_s(16)}#{hex[17, 3]}-#{hex[20, 12]}"
      end
    end
  end
end
