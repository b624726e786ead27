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

        # The app with this id (a String or Symbol), or nil.
        def find(app_id)
          return nil if NilClass === app_id
          unless String === app_id || Symbol === app_id
            raise TypeError, "app_id must be a String or Symbol, got #{Arguments.class_name(app_id)}"
          end

          id = app_id.to_s
          all.find { |app| app.id == id }
        end

        # Field-by-field errors for a hook's settings, like Chatwoot's settings_json_schema:
        # { "project_id" => "Dialogflow Project ID is required", … }; empty when valid.
        # Raises ConfigurationError for an unknown app, SerializationError (naming the field) for
        # settings that are not JSON data.
        def validate(app_id, settings)
          unless NilClass === settings || Hash === settings
            raise TypeError, "settings must be a Hash, got #{Arguments.class_name(settings)}"
          end

          # The id goes to the native side as its bytes: an id in another encoding is an unknown
          # app there, named in the ConfigurationError as the core names unknown apps.
          unless String === app_id || Symbol === app_id
            raise TypeError, "app_id must be a String or Symbol, got #{Arguments.class_name(app_id)}"
          end

          _native_validate(app_id.to_s, settings || {}).to_h
        end
      end
    end
  end
end
