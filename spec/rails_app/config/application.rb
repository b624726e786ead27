# frozen_string_literal: true

# A Chatwoot-shaped Rails 6.1 app for spec/rails_app_spec.rb: Zeitwerk, ActiveRecord on SQLite, ActiveJob on
# Sidekiq, and the gem loaded where Chatwoot's Bundler.require loads it. Hand-written (no bundler: Debian's
# ruby-rails). Booted by spec/rails_app/check.rb and by `sidekiq -r spec/rails_app`.
require "rails"
require "active_record/railtie"
require "action_controller/railtie"
require "active_job/railtie"

# What `Bundler.require(*Rails.groups)` does for Chatwoot's Gemfile lines `gem "sidekiq"` and
# `gem "chatwoot_integrations_rs"`. (check.rb late leaves the gem out until the app has booted.)
$LOAD_PATH.unshift(File.expand_path("../../../lib", __dir__))
require "sidekiq"
unless ENV["RAILS_APP_LATE_GEM"]
  require "chatwoot_integrations_rs"

  # The gem's module as required, for check.rb to compare with what `Integrations::Native` names later.
  GEM_NATIVE = Integrations::Native
end

module RailsApp
  class Application < Rails::Application
    config.load_defaults 6.1
    config.root = File.expand_path("..", __dir__)
    config.time_zone = "UTC"
    config.active_job.queue_adapter = :sidekiq
    config.secret_key_base = "0" * 64
    config.cache_store = :null_store
    config.hosts.clear
    config.logger = ActiveSupport::Logger.new(ENV.fetch("RAILS_APP_LOG", File::NULL))
    config.paths["tmp"] = ENV.fetch("RAILS_APP_TMP", Dir.tmpdir)

    if ENV["RAILS_APP_LATE_GEM"]
      config.paths["config/initializers"] = "config/none" # they name the gem
    else
      # The gem's middleware, named here at boot (before the app's autoloader exists). Chatwoot's Slack
      # events endpoint with SLACK_SIGNING_SECRET unset is skipped with one warning, as Chatwoot does.
      config.middleware.use Integrations::Native::Rack::VerifySignature, {
        "/api/v1/integrations/webhooks" => { scheme: :slack, secret: ENV["SLACK_SIGNING_SECRET"] },
        "/webhooks/chatwoot" => { scheme: :chatwoot, secret: ENV.fetch("INBOUND_SECRET") },
        "/webhooks/closed" => { scheme: :chatwoot, secret: ENV["UNSET_SECRET"], on_missing_secret: :reject },
        # A lambda that finds no secret rejects by default; this route opts into passing requests on.
        "/webhooks/per_request" => { scheme: :chatwoot, secret: ->(_request) { ENV["UNSET_SECRET"] }, on_missing_secret: :skip },
      }
    end
    if ENV["RAISE_ROUTE"] # check.rb raise_at_boot: a route that must not boot without its secret
      config.middleware.use Integrations::Native::Rack::VerifySignature,
                            { "/webhooks/strict" => { scheme: :slack, secret: ENV["UNSET_SECRET"], on_missing_secret: :raise } }
    end
  end
end
