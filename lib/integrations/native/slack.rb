# frozen_string_literal: true

module Integrations
  module Native
    # The Slack calls the gem makes for Slack's Events API (each with the GVL released), and the
    # fields SendService reads for Slack's posts. The decisions and the JSON live in Rust
    # (src/providers/slack/); this reads Chatwoot's models and shapes the results.
    module Slack
      # What a thread reply becomes in Chatwoot: find the conversation whose identifier is
      # conversation_identifier, skip when it already has a message whose Slack id is duplicate_key,
      # else create a message with message_params, sent by the account user with sender_email (if
      # any) and an attachment per file (external_url: url, the bytes with content_type, file_type).
      # When outcome is set (:disable_hook for missing_scope, :retry), apply it instead.
      Reply = Struct.new(:conversation_identifier, :duplicate_key, :message_params, :sender_email, :files, :outcome,
                         keyword_init: true)

      # A file of a thread reply, downloaded with the bot token.
      DownloadedFile = Struct.new(:url, :name, :content_type, :file_type, :bytes) do
        def inspect = "#<struct #{self.class.name} name=#{name.inspect} content_type=#{content_type.inspect} bytes=#{bytes&.bytesize}>"
        alias_method :to_s, :inspect
      end

      CARD_FIELDS = %i[name email phone_number company_name inbox_name inbox_type].freeze

      class << self
        # The data for a thread reply, with the sender's email from Slack's users.info and each
        # shared file downloaded (both with the hook's bot token).
        def reply(event, token:)
          raise TypeError, "event must be a thread reply (Slack::Event#thread_reply?)" unless Event === event && event.thread_reply?

          email, outcome = _native_user_email(Native.config.slack_api_url, Arguments.string!("token", token), event.user)
          files = []
          event.files.each do |shared|
            break if outcome

            bytes, outcome = _native_download(shared.url, token, shared.byte_size)
            files << DownloadedFile.new(shared.url, shared.name, shared.mimetype, shared.file_type, bytes) if bytes
          end
          Reply.new(conversation_identifier: event.thread_ts, duplicate_key: event.ts, message_params: event.message_params,
                    sender_email: email, files: outcome ? [] : files, outcome: outcome && Outcome.from_native(outcome))
        end

        # Unfurls a link_shared event's Chatwoot links. conversations is a callable (or an object
        # answering #call) given each Slack::Link and returning nil (not ours: no card) or the card's
        # data, a Hash or an object with name, email, phone_number, company_name, inbox_name and
        # inbox_type. Checks with conversations.members that the bot sees the channel, then sends
        # chat.unfurl. Returns an Outcome: :noop with the reason when Slack refused (missing scope
        # is only a warning), :retry when Slack was unavailable.
        def unfurl(event, token:, conversations:)
          raise TypeError, "event must be a link_shared event (Slack::Event#link_shared?)" unless Event === event && event.link_shared?
          raise TypeError, "conversations must respond to call, got #{Arguments.class_name(conversations)}" unless Arguments.responds?(conversations, :call)

          Arguments.string!("token", token)
          cards = event.links.filter_map do |link|
            data = conversations.call(link)
            data && [link.url, *CARD_FIELDS.map { |field| card_value(data, field) }]
          end
          Outcome.from_native(_native_unfurl(Native.config.slack_api_url, token, event.channel, event.unfurl_id, event.source, cards))
        end

        # SendService's Slack fields, read off Chatwoot's message, its conversation and inbox.
        def outgoing_fields(message)
          conversation = read(message, :conversation)
          inbox = read(message, :inbox) || read(conversation, :inbox)
          sender = read(message, :sender)
          {
            "message_type" => read(message, :message_type)&.to_s,
            "private" => read(message, :private) ? true : false,
            "has_slack_id" => !slack_id(message).to_s.empty?,
            "processed_content" => read(message, :processed_message_content)&.to_s,
            "sender_type" => sender.nil? ? nil : (read(message, :sender_type) || sender.class.name).to_s,
            "avatar_blob_key" => avatar_key(sender),
            "inbox_name" => read(inbox, :name).to_s,
            "inbox_type" => read(inbox, :inbox_type).to_s,
            "channel_type" => read(inbox, :channel_type).to_s,
            "conversation_type" => dig(read(conversation, :additional_attributes), "type")&.to_s,
            "email_subject" => dig(dig(read(message, :content_attributes), "email"), "subject")&.to_s,
            "account_id" => read(conversation, :account_id).to_s,
            "display_id" => read(conversation, :display_id).to_s,
            "frontend_url" => Native.config.frontend_url.to_s,
            "files" => attachments(message),
          }
        end

        private

        def read(object, name)
          !object.nil? && object.respond_to?(name) ? object.public_send(name) : nil
        end

        def dig(hash, key)
          Hash === hash ? (hash[key] || hash[key.to_sym]) : nil
        end

        # Chatwoot stores it as external_source_ids["slack"] (read as external_source_id_slack).
        def slack_id(message)
          read(message, :external_source_id_slack) || dig(read(message, :external_source_ids), "slack")
        end

        def avatar_key(sender)
          avatar = read(sender, :avatar)
          return nil unless avatar && read(avatar, :attached?)

          read(read(avatar, :blob), :key)&.to_s
        end

        # [[name, content_type, source, byte_size], …] for the message's attachments. Each attachment
        # (or its #file, as Chatwoot's Attachment has) answers filename and content_type, and #read
        # (an IO: read by the native side in chunks) or #download (a String); byte_size (optional,
        # else the IO's #size) lets the native side stream the IO as the upload sends it.
        def attachments(message)
          list = read(message, :attachments)
          return [] if list.nil?

          list.map do |attachment|
            file = read(attachment, :file) || attachment
            source = [file, attachment].find { |o| o.respond_to?(:read) } || read(file, :download)
            raise TypeError, "a Slack attachment must answer read (an IO) or download (a String), got #{Arguments.class_name(file)}" unless source

            size = read(file, :byte_size)
            [read(file, :filename).to_s, read(file, :content_type).to_s, source, Integer === size && size >= 0 ? size : nil]
          end
        end

        def card_value(data, field)
          value = Hash === data ? dig(data, field.to_s) : read(data, field)
          value&.to_s
        end
      end
    end
  end
end
