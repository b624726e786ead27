# frozen_string_literal: true

module Integrations
  module Native
    # What a SendService call means for Chatwoot's models; Chatwoot applies it. A frozen value.
    #
    # | kind            | what Chatwoot does                                         |
    # | --------------- | ---------------------------------------------------------- |
    # | `:reply`        | `conversation.messages.create!(content: o.content)` (`o.replies` for several) |
    # | `:identifier`   | `conversation.update!(identifier: o.identifier)` (Slack's thread ts) |
    # | `:disable_hook` | `hook.prompt_reauthorization!` / `hook.disable` (`o.reason`, e.g. `"invalid_auth"`) |
    # | `:retry`        | re-enqueue after `o.retry_after` seconds (nil: your back-off) |
    # | `:handoff`      | `conversation.bot_handoff!` (after `o.messages`)            |
    # | `:resolve`      | `conversation.resolved!` (after `o.messages`)               |
    # | `:noop`         | nothing (`o.reason` says why)                               |
    #
    # `o.messages`: bot messages to create first, each a Hash of message params (`"content"`, or a
    # Dialogflow payload's `"content_type"`/`"content_attributes"`, such as an input_select card).
    class Outcome
      # Every kind an outcome may have; each has its predicate (`reply?`, `noop?` …).
      KINDS = %i[reply identifier disable_hook retry handoff resolve noop].freeze

      # @return [Symbol] one of {KINDS}
      attr_reader :kind
      # @return [String, nil] the reply's text (`:reply`)
      attr_reader :content
      # @return [Array<String>] the replies in order (`:reply`, `:handoff`), frozen
      attr_reader :replies
      # @return [String, nil] the conversation's new identifier (`:identifier`)
      attr_reader :identifier
      # @return [String, nil] why (`:disable_hook`, `:noop`, `:retry`)
      attr_reader :reason
      # @return [Numeric, nil] seconds to wait before retrying (`:retry`); nil: the caller's back-off
      attr_reader :retry_after
      # @return [Array<Hash>] bot messages to create, in order, as message params (frozen)
      attr_reader :messages
      # @return [String, nil] the Slack message's `cw-origin-<ts>` id for Chatwoot's
      #   `message.update!(external_source_id_slack: o.external_source_id)` (Slack; nil otherwise)
      attr_reader :external_source_id

      # @param kind [Symbol] one of {KINDS}
      # @param content [String, nil]
      # @param replies [Array<String>]
      # @param identifier [String, nil]
      # @param reason [String, nil]
      # @param retry_after [Numeric, nil]
      # @param messages [Array<Hash>]
      # @param external_source_id [String, nil]
      # @raise [ArgumentError] when kind is not one of {KINDS}
      def initialize(kind:, content: nil, replies: [], identifier: nil, reason: nil, retry_after: nil, messages: [],
                     external_source_id: nil)
        raise ArgumentError, "kind must be one of #{KINDS.inspect}" unless KINDS.include?(kind)

        @kind = kind
        @content = content
        @replies = replies.freeze
        @identifier = identifier
        @reason = reason
        @retry_after = retry_after
        @messages = messages.freeze
        @external_source_id = external_source_id
        freeze
      end

      # The outcome the native call answered, from its Hash of named fields.
      # @api private
      # @return [Outcome]
      def self.from_native(fields)
        new(**fields)
      end

      # An outcome that asks Chatwoot to do nothing.
      # @param reason [String] why
      # @return [Outcome]
      def self.noop(reason)
        new(kind: :noop, reason: reason)
      end

      KINDS.each { |k| define_method(:"#{k}?") { kind == k } }

      # Never shows a token: outcomes carry none.
      # @return [String]
      def inspect
        parts = { content: content, identifier: identifier, reason: reason, retry_after: retry_after,
                  external_source_id: external_source_id }.compact
        "#<#{self.class.name} #{kind}#{parts.map { |k, v| " #{k}=#{v.inspect}" }.join}>"
      end
      alias to_s inspect
    end
  end
end
