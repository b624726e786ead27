# frozen_string_literal: true

# Chatwoot's Integrations::Hook, the parts SendService reads and the Outcome changes.
class Integrations::Hook < ApplicationRecord
  belongs_to :account
  enum status: { disabled: 0, enabled: 1 }

  def disable
    update(status: :disabled)
  end
end
