# frozen_string_literal: true

module Integrations
  module Native
    # ActiveSupport::Notifications events, so a Rails app can log, graph or alert on what the gem does:
    #
    # - `deliver.integrations_native` ({DELIVER}): one per endpoint of every delivery (dispatch,
    #   WebhookJob, DeliveryJob, Chatwoot.trigger): url (redacted), status, attempts, duration (seconds,
    #   the delivery's own), delivery_id, event, success, retryable, error, attempt (the durable
    #   job's attempt number; 1 for a plain dispatch) and next_attempt_at (the Time of the retry
    #   scheduled, or nil)
    # - `provider.integrations_native` ({PROVIDER}): one per SendService call: app, kind (the
    #   Outcome's), reason; the event's own duration is the provider call's
    #
    # Without ActiveSupport, or with nobody subscribed, it costs one check per call and builds nothing.
    module Instrumentation
      # The event name of each delivery.
      DELIVER = "deliver.integrations_native"
      # The event name of each SendService call.
      PROVIDER = "provider.integrations_native"
      HELD = :integrations_native_events_held
      private_constant :HELD

      class << self
        # results: a DeliveryResult or an Array of them, returned as given. The deliveries already
        # happened (concurrently, in the engine), so the event's duration is the notification's; the
        # delivery's is payload[:duration].
        # @param results [DeliveryResult, Array<DeliveryResult>]
        # @param event [String, Symbol, nil] the webhook's event name
        # @return [DeliveryResult, Array<DeliveryResult>] results, as given
        def deliveries(results, event)
          return results if Thread.current[HELD] || !listening?(DELIVER)

          notifications = ::ActiveSupport::Notifications
          (results.is_a?(Array) ? results : [results]).each do |r|
            notifications.instrument(DELIVER, url: r.redacted_url, status: r.status, attempts: r.attempts,
                                              duration: r.duration, delivery_id: r.delivery_id, event: event&.to_s,
                                              success: r.success?, retryable: r.retryable?, error: r.error,
                                              attempt: r.attempt, next_attempt_at: r.next_attempt_at)
          end
          results
        end

        # Runs the block without deliver events: the durable jobs dispatch inside it and give the
        # events themselves once each result knows its attempt number and next attempt.
        def held
          previous = Thread.current[HELD]
          Thread.current[HELD] = true
          yield
        ensure
          Thread.current[HELD] = previous
        end

        # Wraps a SendService call; the block returns its Outcome. A raise is recorded by
        # ActiveSupport as payload[:exception] and goes on up.
        # @param hook [#app_id] the hook the call is for
        # @yieldreturn [Outcome]
        # @return [Outcome] what the block returned
        def provider(hook)
          return yield unless listening?(PROVIDER)

          payload = { app: hook.app_id.to_s }
          ::ActiveSupport::Notifications.instrument(PROVIDER, payload) do
            outcome = yield
            payload[:kind] = outcome.kind
            payload[:reason] = outcome.reason
            outcome
          end
        end

        private

        def listening?(name)
          defined?(::ActiveSupport::Notifications) ? ::ActiveSupport::Notifications.notifier.listening?(name) : false
        end
      end
    end
  end
end
