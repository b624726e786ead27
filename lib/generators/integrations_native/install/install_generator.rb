# frozen_string_literal: true

require "rails/generators/base"

# `rails g integrations_native:install`: writes config/initializers/integrations_native.rb.
class Integrations::Native::InstallGenerator < Rails::Generators::Base
  namespace "integrations_native:install"
  source_root File.expand_path("templates", __dir__)
  desc "Creates config/initializers/integrations_native.rb, the gem's settings for a Chatwoot deployment."

  # Copies the commented settings template into the app.
  # @return [void]
  def create_initializer
    copy_file "integrations_native.rb", "config/initializers/integrations_native.rb"
  end
end
