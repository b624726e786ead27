# frozen_string_literal: true

module Integrations
  module Native
    # Process-wide settings. `Integrations::Native.configure { |c| … }` validates them and hands the
    # delivery settings to the native engine (which builds a new HTTP client from them).
    class Configuration
      # Delivery (native engine)
      attr_accessor :timeout, :max_concurrency, :inline_retries, :retry_after_cap, :max_redirects,
                    :redirect_keeps_headers, :max_response_bytes, :allow_private_addresses,
                    :allowed_private_hosts, :allowed_private_cidrs
      # Payload JSON: :auto (Rails' to_json format when ActiveSupport is loaded, else JSON.generate's), true, false
      attr_accessor :rails_json
      # Durable delivery (WebhookJob)
      attr_accessor :endpoint_resolver, :retry_delay, :max_attempts, :on_delivery_failure, :queue, :logger
      # Provider base URLs (tests and self-hosted OpenAI-compatible servers point these elsewhere)
      attr_accessor :slack_api_url, :openai_api_url, :dialogflow_api_url, :google_token_url, :linear_api_url
      # Slack (issue 17): Chatwoot's FRONTEND_URL, for the first post's conversation link and the
      # senders' icon URLs; ENV["FRONTEND_URL"] unless set.
      attr_writer :frontend_url

      def frontend_url
        @frontend_url || ENV.fetch("FRONTEND_URL", "")
      end

      # ActiveJob's polynomial back-off: 3 s, 18 s, 83 s, 258 s, 627 s, …
      DEFAULT_RETRY_DELAY = ->(attempt) { (attempt**4) + 2 }

      def initialize
        @timeout = 5
        @max_concurrency = 64
        @inline_retries = 1
        @retry_after_cap = 5
        @max_redirects = 0
        @redirect_keeps_headers = false
        @max_response_bytes = 64 * 1024
        @allow_private_addresses = false
        @allowed_private_hosts = []
        @allowed_private_cidrs = []
        @rails_json = :auto
        @endpoint_resolver = nil
        @retry_delay = DEFAULT_RETRY_DELAY
        @max_attempts = 5
        @on_delivery_failure = nil
        @queue = nil
        @logger = nil
        @slack_api_url = "https://slack.com/api"
        @openai_api_url = "https://api.openai.com/v1"
        @dialogflow_api_url = "https://dialogflow.googleapis.com"
        @google_token_url = "https://oauth2.googleapis.com/token"
        @linear_api_url = "https://api.linear.app/graphql"
      end

      # Chatwoot glue (Chatwoot.trigger, DeliveryJob). on_webhook_failure: per webhook type, what the app
      # does when a message_created / message_updated delivery has failed for good, as Chatwoot's
      # Webhooks::Trigger does: { api_inbox_webhook: ->(payload, result) { … }, agent_bot_webhook: … }.
      # webhook_timeout: nil (c.timeout), seconds, or a callable read at each delivery (Chatwoot's
      # GlobalConfig WEBHOOK_TIMEOUT; blank or non-positive means c.timeout).
      # (c.queue: nil means each job's own default, "webhooks" for WebhookJob, "medium" for DeliveryJob.)
      attr_accessor :on_webhook_failure, :webhook_timeout

      def check_chatwoot_settings!
        unless queue.nil? || ((queue.is_a?(String) || queue.is_a?(Symbol)) && !queue.to_s.empty?)
          raise ConfigurationError, "queue must be nil or a queue name, got #{queue.inspect}"
        end
        unless on_webhook_failure.nil? || (on_webhook_failure.is_a?(Hash) &&
               on_webhook_failure.all? { |type, callback| (type.is_a?(Symbol) || type.is_a?(String)) && callback.respond_to?(:call) })
          raise ConfigurationError, "on_webhook_failure must be a Hash of webhook type => callable, got #{on_webhook_failure.class}"
        end
        return if webhook_timeout.nil? || webhook_timeout.respond_to?(:call) ||
                  (webhook_timeout.is_a?(Numeric) && webhook_timeout.positive? && webhook_timeout <= 600)

        raise ConfigurationError, "webhook_timeout must be nil, seconds (up to 600) or a callable, got #{webhook_timeout.inspect}"
      end
      private :check_chatwoot_settings!

      # Whether payloads are serialized as ActiveSupport's to_json does (Chatwoot's format).
      def rails_json?
        rails_json == :auto ? defined?(::ActiveSupport::JSON::Encoding) ? true : false : rails_json
      end

      # Every setting, safe to log: URLs as Native.redact_url shows them, callables and other
      # objects by class only, and any other String hidden unless it is known to be harmless, so a
      # secret or token among the settings never shows (nor in pp or a NoMethodError's message).
      def inspect
        harmless = %w[queue]
        shown = instance_variables.map do |ivar|
          name = ivar.to_s.delete_prefix("@")
          value = instance_variable_get(ivar)
          text =
            case value
            when nil, true, false, Numeric, Symbol then value.inspect
            when String
              if name.end_with?("_url") then Native.redact_url(value).inspect
              elsif harmless.include?(name) then value.inspect
              else "[REDACTED]"
              end
            when Array then name.start_with?("allowed_private_") ? value.map(&:to_s).inspect : "[#{value.size} item(s)]"
            else "#<#{value.class}>"
            end
          "#{name}=#{text}"
        end
        "#<#{self.class.name} #{shown.join(" ")}>"
      end

      # Checks every setting and pushes the delivery ones to the native engine.
      def apply!
        check_number(:timeout, timeout, min: 0.001, max: 600)
        check_integer(:max_concurrency, max_concurrency, 1..10_000)
        check_integer(:inline_retries, inline_retries, 0..5)
        check_number(:retry_after_cap, retry_after_cap, min: 0, max: 3600)
        check_integer(:max_redirects, max_redirects, 0..20)
        check_integer(:max_response_bytes, max_response_bytes, 0..(64 * 1024 * 1024))
        check_integer(:max_attempts, max_attempts, 1..100)
        check_strings(:allowed_private_hosts, allowed_private_hosts)
        check_strings(:allowed_private_cidrs, allowed_private_cidrs)
        %i[endpoint_resolver on_delivery_failure].each do |name|
          value = public_send(name)
          raise ConfigurationError, "#{name} must respond to #call" unless NilClass === value || Arguments.responds?(value, :call)
        end
        raise ConfigurationError, "retry_delay must respond to #call" unless Arguments.responds?(retry_delay, :call)
        unless [true, false, :auto].include?(rails_json)
          raise ConfigurationError, "rails_json must be :auto, true or false"
        end
        %i[allow_private_addresses redirect_keeps_headers].each do |name|
          raise ConfigurationError, "#{name} must be true or false" unless [true, false].include?(public_send(name))
        end
        check_chatwoot_settings!

        Native._native_configure(timeout.to_f, max_concurrency, inline_retries, retry_after_cap.to_f, max_redirects,
                                 redirect_keeps_headers, max_response_bytes, allow_private_addresses,
                                 allowed_private_hosts.map(&:to_s), allowed_private_cidrs.map(&:to_s))
        self
      rescue ArgumentError, TypeError => e
        raise ConfigurationError, e.message
      end

      private

      # (Arguments' checks raise TypeError/ArgumentError naming the setting; apply! turns them into
      # ConfigurationError.)
      def check_number(name, value, min:, max:)
        Arguments.number!(name, value, min: min, max: max)
      end

      def check_integer(name, value, range)
        Arguments.integer!(name, value, range)
      end

      def check_strings(name, value)
        raise TypeError, "#{name} must be an Array of Strings, got #{Arguments.class_name(value)}" unless Array === value

        value.each do |entry|
          Symbol === entry ? entry : Arguments.utf8_string!("#{name} entries", entry)
          raise ArgumentError, "#{name} entries must be at most 1024 bytes" if String === entry && entry.bytesize > 1024
        end
      end
    end

    CONFIG_LOCK = Mutex.new
    private_constant :CONFIG_LOCK

    class << self
      # The settings in force.
      def config
        @config || CONFIG_LOCK.synchronize { @config ||= Configuration.new }
      end

      # Yields a copy of the settings; they take effect only if all are valid.
      def configure
        CONFIG_LOCK.synchronize do
          candidate = (@config || Configuration.new).dup
          candidate.allowed_private_hosts = candidate.allowed_private_hosts.dup
          candidate.allowed_private_cidrs = candidate.allowed_private_cidrs.dup
          yield candidate
          @config = candidate.apply!
        end
      end

      # Back to the defaults (mostly for tests).
      def reset_configuration!
        CONFIG_LOCK.synchronize { @config = Configuration.new.apply! }
      end
    end
  end
end
