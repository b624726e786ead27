# frozen_string_literal: true

class Conversation < ApplicationRecord
  belongs_to :account
  has_many :messages
  enum status: { open: 0, resolved: 1, pending: 2 }

  def contact_inbox
    nil
  end

  # Shaped like Chatwoot's Conversation#webhook_data: several TimeWithZone values.
  def webhook_data
    { additional_attributes: {}, can_reply: true, channel: "Channel::Api", id: display_id, status: status,
      agent_last_seen_at: agent_last_seen_at, created_at: created_at, updated_at: updated_at,
      timestamp: created_at.to_i }
  end
end
