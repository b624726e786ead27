# frozen_string_literal: true

require "logger"

module Integrations
  module Native
    # Where the gem writes its few warnings (a route left unverified, a delivery given up): `c.logger`
    # (Rails.logger when the Railtie is loaded), else $stderr.
    def self.logger
      config.logger || (@stderr_logger ||= Logger.new($stderr))
    end
  end
end
