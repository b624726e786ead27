# frozen_string_literal: true

module Integrations
  module Native
    module Slack
      # A file shared in a thread reply: Slack's url_private, name and mimetype, the attachment
      # file_type Chatwoot gives it (:image, :file, or nil for the model's default) and Slack's size in bytes.
      SharedFile = Struct.new(:url, :name, :mimetype, :file_type, :byte_size)

      # A link shared in Slack, with the account and conversation display ids a Chatwoot
      # conversation URL carries (nil when the URL has none).
      Link = Struct.new(:url, :account_id, :display_id)

      # A parsed Slack Events API payload, decided as Chatwoot's IncomingMessageBuilder decides it.
      # Parse the raw body after verifying it (Rack::VerifySignature with scheme :slack).
      #
      #   event = Integrations::Native::Slack::Event.parse(request.raw_post)
      #   event.url_verification?  # -> render json: { challenge: event.challenge }
      #   event.thread_reply?      # a person's reply in a conversation's thread: Slack.reply(event, token: …)
      #   event.link_shared?       # Chatwoot links to unfurl: Slack.unfurl(event, token: …, conversations: …)
      #   event.ignored?           # event.reason says why
      Event = Struct.new(:kind, :challenge, :thread_ts, :ts, :user, :channel, :text, :content, :private, :files,
                         :unfurl_id, :source, :links, :reason, keyword_init: true) do
        # Never raises for a String: junk is an :ignored event with the reason.
        def self.parse(body)
          fields = Slack._native_parse_event(Arguments.string!("body", body))
          fields[:files] = fields[:files]&.map { |f| SharedFile.new(*f) }
          fields[:links] = fields[:links]&.map { |l| Link.new(*l) }
          new(**fields)
        end

        def url_verification?
          kind == :url_verification
        end

        def thread_reply?
          kind == :thread_reply
        end

        def link_shared?
          kind == :link_shared
        end

        def ignored?
          kind == :ignored
        end

        # What Chatwoot creates for a thread reply: an outgoing message with Slack's escaping undone,
        # private for `note:` / `private:`, remembered by its Slack ts (the duplicate key).
        def message_params
          return nil unless thread_reply?

          { message_type: :outgoing, content: content, private: private, external_source_id_slack: ts }
        end
      end
    end
  end
end
