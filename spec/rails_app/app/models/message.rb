# frozen_string_literal: true

class Message < ApplicationRecord
  belongs_to :account
  belongs_to :conversation
  belongs_to :sender, polymorphic: true, optional: true
  enum message_type: { incoming: 0, outgoing: 1, activity: 2, template: 3 }
  enum status: { sent: 0, delivered: 1, read: 2, failed: 3 }

  # Shaped like Chatwoot's Message#webhook_data (symbol keys, TimeWithZone, nested Hashes).
  def webhook_data
    { account: account.webhook_data, additional_attributes: {}, content_attributes: content_attributes || {},
      content_type: "text", content: content, conversation: conversation.webhook_data, created_at: created_at,
      id: id, inbox: { id: 1, name: "Website" }, message_type: message_type, private: private,
      sender: sender&.webhook_data, source_id: nil }
  end
end
