# frozen_string_literal: true

# Plain stand-ins shaped like Chatwoot's models (the duck types SendService reads).
module FakeChatwoot
  Account = Struct.new(:name)
  Sender = Struct.new(:name)
  Conversation = Struct.new(:id, :identifier, :account, :messages, :status, keyword_init: true)
  Hook = Struct.new(:app_id, :active, :settings, :access_token, :reference_id, keyword_init: true) do
    def active? = active
  end
  Message = Struct.new(:content, :message_type, :sender, :conversation, :private, :content_type, :content_attributes, keyword_init: true) do
    def incoming? = message_type == :incoming
    def outgoing? = message_type == :outgoing
  end
end
