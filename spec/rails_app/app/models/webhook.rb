# frozen_string_literal: true

class Webhook < ApplicationRecord
  belongs_to :account
  enum webhook_type: { account_type: 0, inbox_type: 1 }
end
