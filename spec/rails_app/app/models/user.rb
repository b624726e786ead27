# frozen_string_literal: true

class User < ApplicationRecord
  def webhook_data
    { id: id, name: name, type: "user" }
  end
end
