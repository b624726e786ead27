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
    # account.name, messages). Everything is decided natively (src/providers/send_service.rs): unknown
    # apps and invalid settings raise ConfigurationError before any request; provider errors that
    # are not an Outcome raise DeliveryError. This class only reads the models.
    class SendService
      # hook must answer app_id (the rest is read as the app needs it); a value that cannot be a
      # hook at all is refused here, naming the argument, rather than failing later inside perform.
      # event: the hook event being handled, message.created (default) or message.updated
      # (Dialogflow reads a submitted select from an update).
      def initialize(hook:, message:, event: "message.created")
        raise TypeError, "hook must respond to app_id (an Integrations::Hook), got #{Arguments.class_name(hook)}" unless Arguments.responds?(hook, :app_id)
        raise TypeError, "message must not be nil" if NilClass === message

        @hook = hook
        @message = message
        @event = Arguments.string!("event", event.is_a?(Symbol) ? event.to_s : event)
      end

      def perform
        Instrumentation.provider(@hook) { Outcome.from_native(SendServiceNative._native_perform(input)) }
      end

      # A message as the native side reads it: [message_type, private, content, sender name].
      def self.message_row(message)
        sender = message.respond_to?(:sender) ? message.sender : nil
        [message.message_type.to_s, message.respond_to?(:private) && message.private ? true : false,
         message.content.to_s, sender.respond_to?(:name) ? sender.name&.to_s : nil]
      end

      # The app only: the hook holds settings and an access token, and Ruby builds NoMethodError's
      # message (and pp its output) from this.
      def inspect
        "#<#{self.class.name} app_id=#{@hook.app_id.to_s.inspect} hook=#{@hook.class} message=#{@message.class}>"
      end
      alias to_s inspect

      private

      # The app id as text for the native side: a String, or a Symbol's name. Anything else is
      # sent as its class name in brackets, which no app has, so the native side names it unknown.
      def app_id
        id = @hook.app_id
        case id
        when String then id.valid_encoding? && (id.ascii_only? || id.encoding == Encoding::UTF_8) ? id : id.b.inspect
        when Symbol then id.to_s
        else "(#{Arguments.describe(id)})"
        end
      end

      def active?
        active = @hook.respond_to?(:active?) ? @hook.active? : @hook.status.to_s == "enabled"
        true & active
      end

      def settings
        (@hook.respond_to?(:settings) && @hook.settings) || {}
      end

      def conversation
        @message.respond_to?(:conversation) ? @message.conversation : nil
      end

      # What the native side reads. The webhook body and Dialogflow's session are read only for
      # their apps (they may cost a query).
      def input
        id = app_id
        config = Native.config
        {
          "app_id" => id,
          "active" => active?,
          "settings" => settings,
          "access_token" => @hook.respond_to?(:access_token) ? @hook.access_token&.to_s : nil,
          "reference_id" => @hook.respond_to?(:reference_id) ? @hook.reference_id&.to_s : nil,
          "content" => @message.content.to_s,
          "incoming" => @message.incoming? ? true : false,
          "outgoing" => @message.outgoing? ? true : false,
          "sender_name" => @message.sender&.name&.to_s,
          "conversation_identifier" => conversation&.identifier&.to_s,
          "account_name" => conversation&.account&.name.to_s,
          "history" => id == "openai" ? history : nil,
          "base_url" => base_url(id, config),
          "token_url" => config.google_token_url,
          "session_id" => id == "dialogflow" ? session_id : nil,
          "webhook_body" => id == "webhook" ? webhook_body(config) : nil,
          "event" => @event,
          "private" => @message.respond_to?(:private) && @message.private ? true : false,
          "content_type" => @message.respond_to?(:content_type) ? @message.content_type.to_s : "",
          "submitted_value" => submitted_value,
          "conversation_status" => conversation.respond_to?(:status) ? conversation.status&.to_s : nil,
          # Slack: the message, conversation and inbox fields of Chatwoot's post.
          "slack" => id == "slack" ? Slack.outgoing_fields(@message) : nil,
        }
      end

      # What the customer chose in a bot's select: the first of content_attributes' submitted_values.
      def submitted_value
        return nil unless @message.respond_to?(:content_attributes)

        attributes = @message.content_attributes
        values = Hash === attributes ? attributes["submitted_values"] || attributes[:submitted_values] : nil
        first = Array === values ? values.first : nil
        value = Hash === first ? first["value"] || first[:value] : nil
        value&.to_s
      end

      # Dialogflow's session: the contact's source id in this inbox, as Chatwoot uses, else the conversation id.
      def session_id
        contact_inbox = conversation.respond_to?(:contact_inbox) ? conversation.contact_inbox : nil
        id = conversation.respond_to?(:id) ? conversation.id : nil
        (contact_inbox&.source_id || id).to_s
      end

      # The conversation's last messages as [message_type, private, content]; the native side keeps
      # the chat ones (no private notes, no activity). Chatwoot's `chat` scope does that filter in
      # the database, so only HISTORY rows are loaded; a plain collection is read whole.
      def history
        messages = conversation&.messages
        return [] unless messages

        rows = messages.respond_to?(:chat) ? messages.chat.last(SendServiceNative::HISTORY) : messages.to_a
        rows.map { |m| SendService.message_row(m) }
      end

      def base_url(app_id, config)
        { "slack" => config.slack_api_url, "openai" => config.openai_api_url,
          "dialogflow" => config.dialogflow_api_url, "linear" => config.linear_api_url }.fetch(app_id, "")
      end

      # The generic webhook app's body: the message event as Chatwoot's listener sends it.
      def webhook_body(config)
        payload = @message.respond_to?(:webhook_data) ? @message.webhook_data : { "content" => @message.content.to_s }
        Payload.webhook("message_created", payload, rails: config.rails_json?)
      end
    end
  end
end
