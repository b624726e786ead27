# frozen_string_literal: true

module Integrations
  module Native
    # Chatwoot's google_translate app: Cloud Translation v3 with the hook's service account
    # (settings project_id and credentials; the token is shared with Dialogflow's for the same
    # key). The rules are native (src/providers/google_translate.rs); this reads the models.
    #
    #   translate = Integrations::Native::GoogleTranslate.new(hook: hook)
    #   translate.detect_language(message)            # => "es" or nil; Chatwoot merges it into
    #                                                 #    conversation.additional_attributes["conversation_language"]
    #   translate.translate(message, target_language: "pt_BR")
    #   # => { content: "…", translations: { …message's translations…, "pt-BR" => "…" } } or nil
    class GoogleTranslate
      DEFAULT_API_URL = "https://translation.googleapis.com"

      def initialize(hook:, api_url: DEFAULT_API_URL)
        raise TypeError, "hook must respond to settings (an Integrations::Hook), got #{Arguments.class_name(hook)}" unless Arguments.responds?(hook, :settings)

        @hook = hook
        @api_url = Arguments.utf8_string!("api_url", api_url)
      end

      # The language of an incoming message's conversation, when the conversation has none yet.
      def detect_language(message)
        conversation = message.respond_to?(:conversation) ? message.conversation : nil
        attributes = conversation.respond_to?(:additional_attributes) ? conversation.additional_attributes : nil
        known = Hash === attributes ? attributes["conversation_language"] || attributes[:conversation_language] : nil
        GoogleTranslateNative._native_detect(base.merge("content" => message.content.to_s, "incoming" => true & message.incoming?,
                                                        "conversation_language" => known&.to_s))
      end

      # The message in target_language, and its translations with it merged as Chatwoot stores
      # them (content_attributes["translations"]); nil when it has one already or has no text.
      def translate(message, target_language:)
        target = Arguments.string!("target_language", target_language.is_a?(Symbol) ? target_language.to_s : target_language)
        attributes = message.respond_to?(:content_attributes) && Hash === message.content_attributes ? message.content_attributes : {}
        translations = attributes["translations"] || attributes[:translations] || {}
        email = attributes["email"] || attributes[:email]
        html, text = email_bodies(email) if email_inbox?(message)
        found = GoogleTranslateNative._native_translate(base.merge("target" => target, "translations" => translations, "content" => message.content.to_s,
                                                                   "email_html" => html, "email_text" => text))
        return nil unless found

        code, translated = found
        { content: translated, translations: translations.transform_keys(&:to_s).merge(code => translated) }
      end

      def inspect
        "#<#{self.class.name} api_url=#{Native.redact_url(@api_url).inspect}>"
      end
      alias to_s inspect

      private

      def base
        { "settings" => @hook.settings || {}, "api_url" => @api_url, "token_url" => Native.config.google_token_url }
      end

      def email_inbox?(message)
        inbox = message.respond_to?(:inbox) ? message.inbox : nil
        inbox.respond_to?(:email?) && inbox.email?
      end

      # Chatwoot keeps an email's bodies under content_attributes.email: html_content.full and
      # text_content.full.
      def email_bodies(email)
        return [nil, nil] unless Hash === email

        part = ->(name) { (email[name] || email[name.to_sym]).then { |p| Hash === p ? (p["full"] || p[:full])&.to_s : nil } }
        [part.call("html_content"), part.call("text_content")]
      end
    end
  end
end
