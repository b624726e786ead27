# frozen_string_literal: true

require "active_job"
require_relative "durable_delivery"

module Integrations
  module Native
    # ActiveJob delivery, callable the way Chatwoot calls its own WebhookJob:
    #
    #   DeliveryJob.perform_later(url, payload, :api_inbox_webhook, secret: secret, delivery_id: id)
    #   DeliveryJob.perform_later([webhook.id, other.id], payload, :account_webhook)   # many endpoints
    #
    # Chatwoot.trigger, made durable: the same body (payload's to_json; ActiveJob keeps Time and
    # TimeWithZone values, so they arrive in Chatwoot's JSON format), headers, timeout and failure
    # callbacks, plus WebhookJob's per-endpoint retry: a retryable failure is enqueued again for that
    # endpoint alone on c.retry_schedule (or the app's c.retry_delay / c.max_attempts), with the same
    # delivery id and the endpoint health callbacks (DurableDelivery); after the last attempt
    # c.on_webhook_failure[webhook_type] and c.on_delivery_failure run. Without a
    # delivery_id the ids derive from the job id, so a job its queue runs again re-sends the same ids.
    # Endpoint ids go through c.endpoint_resolver; the url form keeps the secret in the job, as Chatwoot does.
    #
    # Queue: c.queue, else "medium" (a queue Chatwoot's config/sidekiq.yml has), decided at each enqueue.
    class DeliveryJob < ::ActiveJob::Base
      include DurableDelivery

      DEFAULT_QUEUE = "medium"
      SECRET_WITH_ENDPOINTS = "secret: and delivery_id: go with a url; endpoints (an Array) carry their own"

      queue_as { Native.config.queue&.to_s || DEFAULT_QUEUE }
      # On Sidekiq, its own retry is off: a raise would deliver to every endpoint again.
      sidekiq_options retry: false if respond_to?(:sidekiq_options)
      # ActiveJob logs a job's arguments by default; the url form carries the endpoint's secret.
      self.log_arguments = false

      # A wrong target is refused when it is enqueued, not when a worker runs it.
      before_enqueue do |job|
        target = job.arguments.first
        options = job.arguments.last
        options = {} unless job.arguments.size > 1 && options.is_a?(Hash) && Hash.ruby2_keywords_hash?(options)
        unless target.is_a?(String) || target.is_a?(Array)
          raise TypeError, "#{job.class.name} takes a url (String) or endpoints (Array) first, got #{target.class}"
        end
        if target.is_a?(Array) && (options.key?(:secret) || options.key?(:delivery_id))
          raise ArgumentError, SECRET_WITH_ENDPOINTS
        end
      end

      # attempt: and delivery_ids: are set by the job itself when it enqueues a retry.
      def perform(target, payload, webhook_type = :account_webhook, secret: nil, delivery_id: nil, attempt: 1,
                  delivery_ids: nil)
        @webhook_type = webhook_type
        @delivery_payload = payload
        event = Chatwoot.event_of(payload)
        if target.is_a?(Array)
          raise ArgumentError, SECRET_WITH_ENDPOINTS if secret || delivery_id

          deliver(target, payload, event, attempt, delivery_ids || [])
        else
          @url_form = true
          secret = nil if secret.is_a?(String) && secret.strip.empty? # Chatwoot signs only when secret.present?
          deliver([{ "url" => target, "secret" => secret }], payload, event, attempt, [delivery_id])
        end
      end

      private

      def deliver(endpoints, payload, event, attempt, delivery_ids)
        deliver_durably(endpoints, payload, event, attempt: attempt, delivery_ids: delivery_ids,
                                                   timeout: Chatwoot.timeout, headers: Chatwoot::HEADERS)
      end

      def enqueue_retry(delay, reference, payload, _event, attempt, delivery_id)
        later = self.class.set(wait: delay)
        if @url_form
          later.perform_later(reference["url"], payload, @webhook_type, secret: reference["secret"],
                                                                        delivery_id: delivery_id, attempt: attempt)
        else
          later.perform_later([reference], payload, @webhook_type, attempt: attempt, delivery_ids: [delivery_id])
        end
      end

      def durable_gave_up(result)
        Chatwoot.failed(@webhook_type, @delivery_payload, result)
      end

      def durable_job_id
        job_id
      end

      def durable_logger
        logger
      end
    end
  end
end
