# frozen_string_literal: true

# Chatwoot's app/models/integrations.rb, as it is.
module Integrations
  def self.table_name_prefix
    "integrations_"
  end
end
