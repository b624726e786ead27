# frozen_string_literal: true

module Integrations
  module Native
    # What a SendService call means for Chatwoot's models; Chatwoot applies it:
    #   :reply        -> conversation.messages.create!(content: o.content)   (o.replies for several)
    #   :identifier   -> conversation.update!(identifier: o.identifier)      (Slack's thread ts)
    #   :disable_hook -> hook.prompt_reauthorization! / hook.disable          (o.reason, e.g. "invalid_auth")
    #   :retry        -> re-enqueue after o.retry_after seconds (nil: your back-off)
    #   :handoff      -> conversation.bot_handoff!                            (after o.messages)
    #   :resolve      -> conversation.resolved!                               (after o.messages)
    #   :noop         -> nothing (o.reason says why)
    # o.messages: bot messages to create first, each a Hash of message params ("content", or a
    # Dialogflow payload's "content_type"/"content_attributes", e.g. an input_select card).
    class Outcome
      KINDS = %i[reply identifier disable_hook retry handoff resolve noop].freeze

      attr_reader :kind, :content, :replies, :identifier, :reason, :retry_after, :messages

      def initialize(kind:, content: nil, replies: [], identifier: nil, reason: nil, retry_after: nil, messages: [])
        raise ArgumentError, "kind must be one of #{KINDS.inspect}" unless KINDS.include?(kind)

        @kind = kind
        @content = content
        @replies = replies.freeze
        @identifier = identifier
        @reason = reason
        @retry_after = retry_after
        @messages = messages.freeze
        freeze
      end

      # From the native side's Hash of named fields.
      def self.from_native(fields)
        new(**fields)
      end

      def self.noop(reason)
        new(kind: :noop, reason: reason)
      end

      KINDS.each { |k| define_method(:"#{k}?") { kind == k } }

      # Never shows a token: outcomes carry none.
      def inspect
        parts = { content: content, identifier: identifier, reason: reason, retry_after: retry_after }.compact
        "#<#{self.class.name} #{kind}#{parts.map { |k, v| " #{k}=#{v.inspect}" }.join}>"
      end
      alias to_s inspect
    end
  end
end
