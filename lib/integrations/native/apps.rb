# frozen_string_literal: true

module Integrations
  module Native
    # The integration apps Chatwoot knows (config/integration/apps.yml) and their settings fields.
    module Apps
      App = Struct.new(:id, :name, :hook_type, :oauth, :fields, keyword_init: true)
      Field = Struct.new(:name, :label, :required, keyword_init: true)

      class << self
        def all
          @all ||= _native_apps.map do |id, name, hook_type, oauth, fields|
            App.new(id: id, name: name, hook_type: hook_type.to_sym, oauth: oauth,
                    fields: fields.map { |f, label, required| Field.new(name: f, label: label, required: required) }.freeze).freeze
          end.freeze
        end

        def find(app_id)
          all.find { |app| app.id == app_id.to_s }
        end

        # Field-by-field errors for a hook's settings, like Chatwoot's settings_json_schema:
        # { "project_id" => "Dialogflow Project ID is required", … }; empty when valid.
        # Raises ConfigurationError for an unknown app.
        def validate(app_id, settings)
          raise TypeError, "settings must be a Hash, got #{settings.class}" unless settings.nil? || settings.is_a?(Hash)

          errors = _native_validate(app_id.to_s, Payload.dump(settings || {}))
          raise ConfigurationError, "unknown app #{app_id.inspect}" if errors.nil?

          errors.to_h
        end
      end
    end
  end
end
