# frozen_string_literal: true

module Integrations
  module Native
    # For an integration hook and a message: decide whether to act, build the provider's request,
    # perform it (GVL released, interruptible) and answer with an Outcome for Chatwoot to apply.
    #
    #   outcome = Integrations::Native::SendService.new(hook: hook, message: message).perform
    #
    # hook and message are duck-typed like Chatwoot's models: hook.app_id, hook.active? (or status),
    # hook.settings (String keys), hook.access_token, hook.reference_id; message.content,
    # message.incoming?, message.outgoing?, message.sender (name), message.conversation (identifier,
    # account.name, messages.last(10)). Unknown apps and invalid settings raise ConfigurationError
    # before any request; provider errors that are not an Outcome raise DeliveryError.
    class SendService
      HISTORY = 10

      # hook must answer app_id (the rest is read as the app needs it); a value that cannot be a
      # hook at all is refused here, naming the argument, rather than failing later inside perform.
      def initialize(hook:, message:)
        raise TypeError, "hook must respond to app_id (an Integrations::Hook), got #{Arguments.class_name(hook)}" unless Arguments.responds?(hook, :app_id)
        raise TypeError, "message must not be nil" if NilClass === message

        @hook = hook
        @message = message
      end

      def perform
        Instrumentation.provider(@hook) { outcome }
      end

      private def outcome
        app_id = @hook.app_id
        unless (String === app_id || Symbol === app_id) && Apps.find(app_id.to_s)
          # An app id is a short name: shown as it is when it looks like one, else by its class.
          shown = String === app_id && app_id.bytesize <= 40 && app_id.valid_encoding? ? app_id.inspect : Arguments.describe(app_id)
          raise ConfigurationError, "unknown app #{shown}"
        end

        app_id = app_id.to_s
        return Outcome.noop("the hook is not active") unless active?

        app_id == "webhook" ? deliver_webhook : Outcome.from_native(SendServiceNative._native_perform(input(app_id)))
      end

      # The app only: the hook holds settings and an access token, and Ruby builds NoMethodError's
      # message (and pp its output) from this.
      def inspect
        app_id = @hook.app_id.to_s
        "#<#{self.class.name} app_id=#{app_id.inspect} hook=#{@hook.class} message=#{@message.class}>"
      end
      alias to_s inspect

      private

      def active?
        @hook.respond_to?(:active?) ? @hook.active? : @hook.status.to_s == "enabled"
      end

      def settings
        (@hook.respond_to?(:settings) && @hook.settings) || {}
      end

      def conversation
        @message.respond_to?(:conversation) ? @message.conversation : nil
      end

      def input(app_id)
        {
          "app_id" => app_id,
          "settings_json" => Payload.dump(settings),
          "access_token" => @hook.respond_to?(:access_token) ? @hook.access_token&.to_s : nil,
          "reference_id" => @hook.respond_to?(:reference_id) ? @hook.reference_id&.to_s : nil,
          "content" => @message.content.to_s,
          "incoming" => @message.incoming? ? true : false,
          "outgoing" => @message.outgoing? ? true : false,
          "sender_name" => @message.sender&.name&.to_s,
          "conversation_identifier" => conversation&.identifier&.to_s,
          "account_name" => conversation&.account&.name.to_s,
          "history" => history,
          "base_url" => base_url(app_id),
          "token_url" => Native.config.google_token_url,
          "session_id" => app_id == "dialogflow" ? session_id : nil,
          # Slack (issue 17): the message, conversation and inbox fields of Chatwoot's post.
          "slack" => app_id == "slack" ? Slack.outgoing_fields(@message) : nil,
        }
      end

      # Dialogflow's session: the contact's source id in this inbox, as Chatwoot uses, else the conversation id.
      def session_id
        contact_inbox = conversation.respond_to?(:contact_inbox) ? conversation.contact_inbox : nil
        id = conversation.respond_to?(:id) ? conversation.id : nil
        (contact_inbox&.source_id || id).to_s
      end

      def history
        messages = conversation&.messages
        return [] unless messages

        messages.last(HISTORY).map { |m| [m.incoming? ? true : false, m.content.to_s] }
      end

      def base_url(app_id)
        config = Native.config
        { "slack" => config.slack_api_url, "openai" => config.openai_api_url,
          "dialogflow" => config.dialogflow_api_url, "linear" => config.linear_api_url }.fetch(app_id, "")
      end

      # The generic webhook app: the message event through the dispatcher, signed with the hook's secret.
      def deliver_webhook
        problems = Apps.validate("webhook", settings)
        raise ConfigurationError, "invalid webhook settings: #{problems.map { |f, m| "#{f}: #{m}" }.join("; ")}" if problems.any?

        payload = @message.respond_to?(:webhook_data) ? @message.webhook_data : { "content" => @message.content.to_s }
        result = Native.dispatch(url: settings["url"], secret: settings["secret"], payload: payload, event: "message_created")
        return Outcome.noop("delivered") if result.success?
        return Outcome.new(kind: :retry, reason: result.error, retry_after: result.retry_after) if result.retryable?

        raise DeliveryError, "webhook: #{result.error}"
      end
    end
  end
end
