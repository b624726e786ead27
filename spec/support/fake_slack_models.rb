# frozen_string_literal: true

# Stand-ins shaped like the Chatwoot models Slack's post reads (message, conversation, inbox, sender
# with an avatar), fuller than chatwoot_models.rb's.
module SlackModels
  Account = Struct.new(:id, :name)
  Inbox = Struct.new(:name, :inbox_type, :channel_type)
  Blob = Struct.new(:key)
  Avatar = Struct.new(:blob) do
    def attached? = !blob.nil?
  end
  Sender = Struct.new(:name, :avatar)
  Conversation = Struct.new(:id, :display_id, :account_id, :identifier, :additional_attributes, :inbox, :account,
                            :messages, keyword_init: true)
  Hook = Struct.new(:app_id, :active, :settings, :access_token, :reference_id, keyword_init: true) do
    def active? = active
  end
  # Chatwoot's Attachment: #file answers filename, content_type and download (ActiveStorage).
  StoredFile = Struct.new(:filename, :content_type, :download)
  Attachment = Struct.new(:file)
  # An IO-like attachment (read in chunks by the native side), with ActiveStorage's byte_size.
  IoAttachment = Struct.new(:filename, :content_type, :io) do
    def read(*args) = io.read(*args)
    def byte_size = io.size
  end
  Message = Struct.new(:content, :message_type, :private, :sender, :sender_type, :conversation, :inbox,
                       :content_attributes, :external_source_ids, :processed_message_content, keyword_init: true) do
    def incoming? = message_type == "incoming"
    def outgoing? = message_type == "outgoing"
    def external_source_id_slack = (external_source_ids || {})["slack"]
  end
end
