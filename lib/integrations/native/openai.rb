# frozen_string_literal: true

module Integrations
  module Native
    # Chatwoot's OpenAI editor events (Hook#process_event for the openai app): rephrase, summarize,
    # reply_suggestion, fix_spelling_grammar, shorten, expand, make_friendly, make_formal, simplify
    # and label_suggestion. The rules (events, prompts, conditions, character budget, cache key)
    # are native (src/providers/openai_editor.rs); this reads Chatwoot's models.
    #
    # @example Summarize a conversation
    #   Integrations::Native::OpenAI.process_event(hook: hook, event: { name: "summarize", data: { conversation_display_id: 57 } },
    #                                              cache: Rails.cache)
    #   # => { message: "…" }, { error: { … }, error_code: 429 }, or nil (unknown event, no conversation,
    #   #    label suggestions off or not wanted)
    module OpenAI
      class << self
        # conversation: the conversation the event is about; found from data's
        # conversation_display_id in hook.account.conversations when not given. labels: the
        # account's label titles (default: hook.account.labels' titles). cache: any object with
        # read(key) and write(key, value, expires_in:) (label suggestions are kept a day).
        # model: the installation's model (Chatwoot's OPENAI_GPT_MODEL; gpt-4o-mini when unset).
        def process_event(hook:, event:, conversation: nil, labels: nil, cache: nil, model: ENV.fetch("OPENAI_GPT_MODEL", nil))
          unless Arguments.responds?(hook, :settings)
            raise TypeError, "hook must respond to settings (an Integrations::Hook), got #{Arguments.class_name(hook)}"
          end
          raise TypeError, "event must be a Hash with name: and data:, got #{Arguments.class_name(event)}" unless Hash === event

          name = event[:name] || event["name"]
          raise TypeError, "event name must be a String or Symbol, got #{Arguments.class_name(name)}" unless String === name || Symbol === name

          data = event[:data] || event["data"] || {}
          raise TypeError, "event data must be a Hash, got #{Arguments.class_name(data)}" unless Hash === data

          conversation ||= find_conversation(hook, data)
          OpenAINative._native_process_event(input(hook, name.to_s, data, conversation, labels, model), cache)
        end

        # Chatwoot's key check when an openai hook is saved (GET /models, 5 s): false only when
        # OpenAI answers 401; other answers and network errors count as valid.
        def valid_key?(api_key)
          OpenAINative._native_valid_key(Arguments.string!("api_key", api_key), Native.config.openai_api_url)
        end

        private

        def input(hook, name, data, conversation, labels, model)
          {
            "event_name" => name,
            "content" => (data[:content] || data["content"]).to_s,
            "messages" => conversation && conversation.messages.to_a.map { |m| SendService.message_row(m) },
            "labels" => (labels || account_labels(hook)).map(&:to_s),
            "settings" => hook.settings || {},
            "model" => model&.to_s,
            "base_url" => Native.config.openai_api_url,
            "conversation_id" => conversation.respond_to?(:id) ? conversation.id.to_s : nil,
            "last_activity_at" => conversation.respond_to?(:last_activity_at) ? conversation.last_activity_at.to_i : nil,
          }
        end

        def find_conversation(hook, data)
          display_id = data[:conversation_display_id] || data["conversation_display_id"]
          return nil if NilClass === display_id || !hook.respond_to?(:account)

          hook.account.conversations.find_by(display_id: display_id)
        end

        def account_labels(hook)
          account = hook.respond_to?(:account) ? hook.account : nil
          account.respond_to?(:labels) ? account.labels.map(&:title) : []
        end
      end
    end
  end
end
