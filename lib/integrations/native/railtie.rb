# frozen_string_literal: true

require "rails/railtie"

module Integrations
  module Native
    # Rails glue, loaded only when Rails is (lib/chatwoot_integrations_rs.rb):
    # - Rails.logger is the gem's logger unless config/initializers set another;
    # - the `Integrations` namespace goes back to the app's autoloader (Namespace);
    # - ActiveSupport::Notifications events come from Instrumentation, which needs nothing here.
    # Settings go in config/initializers/integrations_native.rb (`rails g integrations_native:install`).
    class Railtie < ::Rails::Railtie
      # The Finisher initializer that sets up the main autoloader: Rails 6.x takes over with Zeitwerk in
      # `let_zeitwerk_take_over`, Rails 7 calls it `setup_main_autoloader`.
      AUTOLOADER_SETUP = %i[setup_main_autoloader let_zeitwerk_take_over].find do |name|
        ::Rails::Application::Finisher.initializers.any? { |i| i.name == name }
      end

      initializer "integrations_native.logger" do
        Native.configure { |c| c.logger ||= ::Rails.logger }
      end

      # The hand-over has to come after config/initializers (which may still say `Integrations::Native`
      # before the app's autoloader exists) and before the autoloader scans app/models. A Railtie
      # initializer with `before:` runs at the Railtie's place, before config/initializers, so this one
      # is added to Rails' Finisher, right before the autoloader setup.
      if AUTOLOADER_SETUP
        ::Rails::Application::Finisher.initializer("integrations_native.namespace", before: AUTOLOADER_SETUP) do
          Railtie.hand_over_namespace
        end
      end

      class << self
        # Gives `Integrations` back to the app's Zeitwerk autoloader when the app defines it (see
        # {Namespace}); does nothing with the classic autoloader or when the app has no such constant.
        # @api private
        # @return [void]
        def hand_over_namespace
          autoloaders = ::Rails.autoloaders
          return unless zeitwerk?(autoloaders)
          return unless Namespace.app_owned?(ActiveSupport::Dependencies.autoload_paths)

          Namespace.adopt_on_load(autoloaders)
          Namespace.release!
        end

        # Rails 6 can run the classic autoloader (left alone: it has no on_load); Rails 7 has only Zeitwerk.
        # @api private
        # @return [Boolean]
        def zeitwerk?(autoloaders)
          autoloaders.respond_to?(:zeitwerk_enabled?) ? autoloaders.zeitwerk_enabled? : true
        end
      end

      # Required after the app booted (a console `require`): its Integrations, if any, is loaded already and
      # `Native` was defined in it; keep it there across reloads.
      if ::Rails.respond_to?(:application) && ::Rails.application&.initialized? && zeitwerk?(::Rails.autoloaders)
        Namespace.adopt_on_load(::Rails.autoloaders)
      end
    end
  end
end
