# frozen_string_literal: true

# Entry point: `require "chatwoot_integrations_rs"` gives `Integrations::Native`.

# Whether `Integrations` is ours to give back: in a Rails app whose autoloader defines it (Chatwoot's
# app/models/integrations.rb), the Railtie removes the one made here before the autoloader is set up
# (integrations/native/namespace.rb). An autoload counts as defined, so it is never replaced.
integrations_created = !Object.const_defined?(:Integrations, false)
require_relative "integrations/native/version"
require_relative "integrations/native/errors"
require_relative "integrations/native/arguments"

require "rbconfig"

# The native extension. A precompiled gem would ship one binary per Ruby minor version, so that path
# is tried first; a source build (checkout or `gem install`) has the plain one next to this file. An
# installed gem may keep it only in RubyGems' extension dir, which is on the load path: the last resort.
native = %W[chatwoot_integrations_rs/#{RUBY_VERSION[/\A\d+\.\d+/]} chatwoot_integrations_rs]
         .map { |dir| File.expand_path("#{dir}/chatwoot_integrations_rs", __dir__) }
         .find { |path| File.exist?("#{path}.#{RbConfig::CONFIG["DLEXT"]}") }
begin
  require(native || "chatwoot_integrations_rs/chatwoot_integrations_rs")
rescue LoadError => e
  raise if native

  raise LoadError, "#{e.message}: the native extension is not built; run `rake compile` (or bin/setup)"
end

require_relative "integrations/native/signature"
require_relative "integrations/native/configuration"
require_relative "integrations/native/delivery_result"
require_relative "integrations/native/payload"
require_relative "integrations/native/dispatch"
require_relative "integrations/native/slack_event"
require_relative "integrations/native/slack"
require_relative "integrations/native/outcome"
require_relative "integrations/native/apps"
require_relative "integrations/native/send_service"
require_relative "integrations/native/linear"
require_relative "integrations/native/openai"
require_relative "integrations/native/google_translate"
require_relative "integrations/native/dyte"
require_relative "integrations/native/logging"
require_relative "integrations/native/instrumentation"
require_relative "integrations/native/chatwoot"
require_relative "integrations/native/namespace"
Integrations::Native::Namespace.created_by_gem!(Integrations) if integrations_created

# Chatwoot's own namespace for its integrations; the gem adds {Integrations::Native} to it (and in a
# Rails app that defines `Integrations` itself, hands the name back to the app's autoloader).
module Integrations
  # Chatwoot's integrations in Rust: signed, guarded webhook delivery ({Native.dispatch},
  # {Native::WebhookJob}, {Native::DeliveryJob}, {Native::Chatwoot.trigger}), signature signing and
  # verification ({Native::Signature}, {Native::Rack}), payload serialization ({Native::Payload}) and
  # the provider calls of Chatwoot's hooks ({Native::SendService}). Settings: {Native.configure}.
  # Every error it raises is an {Native::Error}, or an ArgumentError/TypeError naming the argument.
  module Native
    # The Sidekiq job loads Sidekiq when first referenced; the gem does not need Sidekiq otherwise.
    autoload :WebhookJob, File.expand_path("integrations/native/webhook_job", __dir__)

    # The ActiveJob class loads ActiveJob when first referenced (Chatwoot: in place of its WebhookJob).
    autoload :DeliveryJob, File.expand_path("integrations/native/delivery_job", __dir__)

    # The Rack middleware loads Rack when first referenced.
    module Rack
      autoload :VerifySignature, File.expand_path("integrations/native/rack/verify_signature", __dir__)
    end
  end
end

# Rails glue (logger, the namespace hand-over, notifications): only when Rails is loaded, as Bundler.require
# in config/application.rb does after `require "rails"`.
require_relative "integrations/native/railtie" if defined?(Rails::Railtie)
