# frozen_string_literal: true

module Integrations
  module Native
    # Keeps `Integrations` the host app's own. Chatwoot defines `Integrations` in app/models/integrations.rb
    # (with `table_name_prefix`), and Zeitwerk ignores that file when the constant already exists. The gem
    # must create `::Integrations` at require time (config/application.rb may name
    # `Integrations::Native::Rack::VerifySignature`, and config/initializers configure the gem), so in a
    # Rails app it hands the name back just before the main autoloader is set up, and puts `Native` into
    # whatever module the autoloader loads as `Integrations`, on every (re)load. See docs/architecture.md.
    # @api private
    module Namespace
      class << self
        # The top-level module the gem itself created, or nil when `Integrations` already existed (or was
        # an autoload) when the gem was required.
        attr_reader :created

        # Called once by lib/chatwoot_integrations_rs.rb after it defined the modules.
        # @param mod [Module] the top-level `Integrations` the gem created
        # @return [void]
        def created_by_gem!(mod)
          @created = mod
        end

        # Whether an autoload root (app/models in Chatwoot) has integrations.rb or an integrations/
        # directory, so the app's autoloader, not the gem, should define `Integrations`.
        # @param autoload_paths [Array<String, Pathname>] the app's autoload roots
        # @return [Boolean]
        def app_owned?(autoload_paths)
          autoload_paths.any? do |dir|
            File.file?(File.join(dir.to_s, "integrations.rb")) || File.directory?(File.join(dir.to_s, "integrations"))
          end
        end

        # Removes the top-level `Integrations` if, and only if, the gem created it and it holds nothing but
        # `Native`, so the autoloader defines the app's own. Returns true when it did. `Native` lives on:
        # the gem's code refers to it lexically, and #adopt puts it back under the app's module.
        # @return [Boolean] whether it removed the constant
        def release!
          mod = created
          return false unless mod && Object.const_defined?(:Integrations, false) && Object.const_get(:Integrations).equal?(mod)

          extra = mod.constants(false) - [:Native]
          unless extra.empty?
            Native.logger.warn("[chatwoot_integrations_rs] Integrations also holds #{extra.join(", ")}, so the gem " \
                               "leaves it defined; the app's own integrations.rb will be ignored by its autoloader")
            return false
          end
          Object.send(:remove_const, :Integrations)
          @created = nil
          true
        end

        # Registers, on each Zeitwerk loader, a callback that runs whenever it loads `Integrations` (at
        # boot, on every reload, and once when eager loading), putting `Native` into that module.
        # @param loaders [Enumerable<Zeitwerk::Loader>] Rails.autoloaders
        # @return [void]
        def adopt_on_load(loaders)
          loaders.each do |loader|
            next if (@adopting ||= {}.compare_by_identity).key?(loader)

            @adopting[loader] = true
            loader.on_load("Integrations") { |mod, _path| adopt(mod) }
          end
        end

        # Puts `Native` into the app's `Integrations`, unless the app defines its own `Integrations::Native`.
        # @param mod [Module] the app's `Integrations`
        # @return [void]
        def adopt(mod)
          return if mod.const_defined?(:Native, false)

          mod.const_set(:Native, Native)
        end
      end
    end
  end
end
