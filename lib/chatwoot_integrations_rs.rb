# frozen_string_literal: true

# Entry point: `require "chatwoot_integrations_rs"` gives `Integrations::Native`.
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
require_relative "integrations/native/outcome"
require_relative "integrations/native/apps"
require_relative "integrations/native/send_service"
require_relative "integrations/native/linear"

module Integrations
  module Native
    # The Sidekiq job loads Sidekiq when first referenced; the gem does not need Sidekiq otherwise.
    autoload :WebhookJob, File.expand_path("integrations/native/webhook_job", __dir__)

    # The Rack middleware loads Rack when first referenced.
    module Rack
      autoload :VerifySignature, File.expand_path("integrations/native/rack/verify_signature", __dir__)
    end
  end
end
