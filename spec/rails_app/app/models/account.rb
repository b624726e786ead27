# frozen_string_literal: true

class Account < ApplicationRecord
  has_many :conversations
  has_many :webhooks
  has_many :hooks, class_name: "Integrations::Hook"

  def webhook_data
    { id: id, name: name }
  end
end
