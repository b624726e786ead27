# frozen_string_literal: true

module Integrations
  module Native
    # Argument checks shared by the Ruby face, so every method answers bad input with the same
    # clear TypeError / ArgumentError before anything reaches the native extension.
    module Arguments
      module_function

      def string!(name, value)
        return value if value.is_a?(String)

        raise TypeError, "#{name} must be a String, got #{value.class}"
      end

      # A Unix timestamp as the headers carry it. Integers are formatted; Strings pass as they are
      # (a verifier reports a non-numeric one as :malformed rather than raising).
      def timestamp_text!(name, value)
        case value
        when Integer then value.to_s
        when String then value
        when Time then value.to_i.to_s
        else raise TypeError, "#{name} must be an Integer, String or Time, got #{value.class}"
        end
      end

      def tolerance!(value)
        return value if value.is_a?(Integer) && value >= 0

        raise ArgumentError, "tolerance must be a non-negative Integer (seconds), got #{value.inspect}"
      end

      # `now:` lets published vectors with old timestamps be checked; nil means the current time
      # (Ruby's clock, so time-travel helpers in the host app's tests apply).
      def now_seconds!(value)
        case value
        when nil then Time.now.to_i
        when Integer then value
        when Time then value.to_i
        else raise TypeError, "now must be a Time, Integer or nil, got #{value.class}"
        end
      end
    end
  end
end
