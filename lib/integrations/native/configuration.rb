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
      # Durable delivery: schedule and endpoint health (README "Durable delivery"; the rules and
      # defaults are the core's, src/dispatch/retry_schedule.rs). Which retry rule applies: an
      # Array in retry_schedule; else, if the app changed retry_delay or max_attempts from their
      # defaults, those (the old rule); else the default schedule.
      attr_accessor :retry_schedule, :retry_after_max, :on_endpoint_failing, :on_endpoint_disabled,
                    :endpoint_failing_after, :endpoint_disable_after
      # Provider base URLs (tests and self-hosted OpenAI-compatible servers point these elsewhere)
      attr_accessor :slack_api_url, :openai_api_url, :dialogflow_api_url, :google_token_url, :linear_api_url
      # Slack: Chatwoot's FRONTEND_URL, for the first post's conversation link and the
      # senders' icon URLs; ENV["FRONTEND_URL"] unless set.
      attr_writer :frontend_url

      def frontend_url
        @frontend_url || ENV.fetch("FRONTEND_URL", "")
      end

      DURABLE_DEFAULTS = Native._native_durable_defaults.transform_values(&:freeze).freeze

      # ActiveJob's polynomial back-off: 3 s, 18 s, 83 s, 258 s, 627 s, …
      DEFAULT_RETRY_DELAY = ->(attempt) { (attempt**4) + 2 }

      # The numeric defaults, like every range, are the Rust core's (src/dispatch/config.rs LIMITS).
      def initialize
        defaults = Native._native_setting_defaults
        @timeout = defaults.fetch(:timeout)
        @max_concurrency = defaults.fetch(:max_concurrency)
        @inline_retries = defaults.fetch(:inline_retries)
        @retry_after_cap = defaults.fetch(:retry_after_cap)
        @max_redirects = defaults.fetch(:max_redirects)
        @redirect_keeps_headers = false
        @max_response_bytes = defaults.fetch(:max_response_bytes)
        @allow_private_addresses = false
        @allowed_private_hosts = []
        @allowed_private_cidrs = []
        @rails_json = :auto
        @endpoint_resolver = nil
        @retry_delay = DEFAULT_RETRY_DELAY
        @max_attempts = defaults.fetch(:max_attempts)
        @on_delivery_failure = nil
        @queue = nil
        @logger = nil
        @retry_schedule = nil
        @retry_after_max = DURABLE_DEFAULTS[:retry_after_max]
        @on_endpoint_failing = nil
        @on_endpoint_disabled = nil
        @endpoint_failing_after = DURABLE_DEFAULTS[:endpoint_failing_after]
        @endpoint_disable_after = DURABLE_DEFAULTS[:endpoint_disable_after]
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

        max = Native._native_setting_ranges.fetch(:timeout).end # capped as c.timeout is
        return if webhook_timeout.nil? || webhook_timeout.respond_to?(:call) ||
                  (webhook_timeout.is_a?(Numeric) && webhook_timeout.positive? && webhook_timeout <= max)

        raise ConfigurationError, "webhook_timeout must be nil, seconds (up to #{max}) or a callable, got #{webhook_timeout.inspect}"
      end
      private :check_chatwoot_settings!

      # The retry schedule in force (seconds per retry), or nil when the app's retry_delay and
      # max_attempts decide (see the precedence above).
      def effective_retry_schedule
        return retry_schedule if retry_schedule
        return nil if !retry_delay.equal?(DEFAULT_RETRY_DELAY) || max_attempts != 5

        DURABLE_DEFAULTS[:retry_schedule]
      end

      def check_durable_settings!
        unless retry_schedule.nil? || (Array === retry_schedule && retry_schedule.all? { |step| Numeric === step })
          raise ConfigurationError, "retry_schedule must be nil or an Array of seconds, got #{Arguments.describe(retry_schedule)}"
        end

        %i[retry_after_max endpoint_disable_after].each do |name|
          raise ConfigurationError, "#{name} must be a number of seconds, got #{Arguments.class_name(public_send(name))}" unless Numeric === public_send(name)
        end
        unless Integer === endpoint_failing_after
          raise ConfigurationError, "endpoint_failing_after must be an Integer, got #{Arguments.class_name(endpoint_failing_after)}"
        end

        %i[on_endpoint_failing on_endpoint_disabled].each do |name|
          raise ConfigurationError, "#{name} must respond to #call" unless NilClass === public_send(name) || Arguments.responds?(public_send(name), :call)
        end
        Native._native_check_durable(retry_schedule&.map(&:to_f), retry_after_max.to_f, endpoint_failing_after,
                                     endpoint_disable_after.to_f)
      end
      private :check_durable_settings!

      # Whether payloads are serialized as ActiveSupport's to_json does (Chatwoot's format).
      def rails_json?
        if rails_json == :auto
          defined?(::ActiveSupport::JSON::Encoding) ? true : false
        else
          rails_json
        end
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

      # Frozen once in force (Native.config): a change then would not reach the native engine, so it
      # raises FrozenError instead; change settings with Native.configure. The lists are frozen as
      # copies, leaving the caller's own Arrays alone.
      def freeze
        @allowed_private_hosts = @allowed_private_hosts.dup.freeze if Array === @allowed_private_hosts
        @allowed_private_cidrs = @allowed_private_cidrs.dup.freeze if Array === @allowed_private_cidrs
        @retry_schedule = @retry_schedule.dup.freeze if Array === @retry_schedule
        super
      end

      # Checks every setting and pushes the delivery ones to the native engine. Types are checked
      # here, with messages naming the setting; ranges and list entries natively (src/dispatch/config.rs),
      # whose defects raise ConfigurationError from there.
      def apply!
        %i[timeout retry_after_cap].each { |name| check_number(name) }
        %i[max_concurrency inline_retries max_redirects max_response_bytes max_attempts].each { |name| check_integer(name) }
        %i[allowed_private_hosts allowed_private_cidrs].each { |name| check_strings(name) }
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
        check_durable_settings!

        Native._native_configure(
          { timeout: timeout.to_f, max_concurrency: max_concurrency.to_f, inline_retries: inline_retries.to_f,
            retry_after_cap: retry_after_cap.to_f, max_redirects: max_redirects.to_f,
            max_response_bytes: max_response_bytes.to_f, max_attempts: max_attempts.to_f,
            redirect_keeps_headers: redirect_keeps_headers, allow_private_addresses: allow_private_addresses,
            allowed_private_hosts: allowed_private_hosts.map(&:to_s), allowed_private_cidrs: allowed_private_cidrs.map(&:to_s) }
        )
        self
      end

      private

      def check_number(name)
        value = public_send(name)
        return if Integer === value || Float === value || Rational === value

        raise ConfigurationError, "#{name} must be a number (Integer, Float or Rational), got #{Arguments.class_name(value)}"
      end

      def check_integer(name)
        value = public_send(name)
        raise ConfigurationError, "#{name} must be an Integer, got #{Arguments.class_name(value)}" unless Integer === value
      end

      def check_strings(name)
        value = public_send(name)
        raise ConfigurationError, "#{name} must be an Array of Strings, got #{Arguments.class_name(value)}" unless Array === value

        value.each do |entry|
          next if Symbol === entry || (String === entry && Arguments.utf8?(entry))

          raise ConfigurationError,
                String === entry ? "#{name} entries must be valid UTF-8" : "#{name} entries must be Strings, got #{Arguments.class_name(entry)}"
        end
      end
    end

    CONFIG_LOCK = Mutex.new
    private_constant :CONFIG_LOCK

    class << self
      # The settings in force, frozen.
      def config
        @config || CONFIG_LOCK.synchronize { @config ||= Configuration.new.freeze }
      end

      # Yields a copy of the settings; they take effect only if all are valid.
      def configure
        CONFIG_LOCK.synchronize do
          candidate = (@config || Configuration.new).dup
          candidate.allowed_private_hosts = candidate.allowed_private_hosts.dup
          candidate.allowed_private_cidrs = candidate.allowed_private_cidrs.dup
          yield candidate
          @config = candidate.apply!.freeze
        end
      end

      # Back to the defaults (mostly for tests).
      def reset_configuration!
        CONFIG_LOCK.synchronize { @config = Configuration.new.apply!.freeze }
      end
    end
  end
end
