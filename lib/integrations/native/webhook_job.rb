# frozen_string_literal: true

require "sidekiq"
require_relative "durable_delivery"
require_relative "job_arguments"

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
    # Sidekiq's own retry is off: a raise would redeliver to every endpoint. The delivery logic is
    # DurableDelivery's, shared with DeliveryJob (ActiveJob). Arguments must be JSON-native (JobArguments).
    class WebhookJob
      include Sidekiq::Worker
      include DurableDelivery

      sidekiq_options queue: "webhooks", retry: false

      class << self
        # c.queue, when set, from the first enqueue on (re-enqueues included); "webhooks" otherwise.
        def get_sidekiq_options # rubocop:disable Naming/AccessorMethodName -- Sidekiq's own name, overridden
          queue = Native.config.queue
          queue ? super.merge("queue" => queue.to_s) : super
        end

        # Every enqueue (perform_async, perform_in, set(...)) passes here.
        def client_push(item)
          JobArguments.json_native!(name, %w[endpoints payload event options], item["args"] || item[:args] || [])
          super
        end
      end

      # endpoints: ids or { "url", "secret", "headers" } Hashes; payload: Hash/Array/String;
      # options: "attempt" and "delivery_ids", set by the job itself when it re-enqueues.
      def perform(endpoints, payload, event = nil, options = {})
        deliver_durably(endpoints, payload, event, attempt: Integer(options.fetch("attempt", 1)),
                                                   delivery_ids: options["delivery_ids"] || [])
      end

      private

      def enqueue_retry(delay, reference, payload, event, attempt, delivery_id)
        self.class.perform_in(delay, [reference], payload, event, { "attempt" => attempt, "delivery_ids" => [delivery_id] })
      end

      def durable_job_id
        jid
      end

      def durable_logger
        Sidekiq.logger
      end
    end
  end
end
