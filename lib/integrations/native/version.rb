# frozen_string_literal: true

module Integrations
  module Native
    VERSION = "0.1.0"
  end
end
