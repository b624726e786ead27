# frozen_string_literal: true

module Integrations
  module Native
    # Sidekiq stores job arguments as JSON. Anything else (a Symbol, a Time, an ActiveSupport::TimeWithZone,
    # a Symbol key) comes back changed (`"2026-11-29 09:01:14 UTC"` for a TimeWithZone instead of Chatwoot's
    # `"2026-11-29T09:01:14.123Z"`), and Sidekiq 7 refuses it by default. WebhookJob refuses it at enqueue
    # time, naming the argument, instead of changing the payload silently.
    module JobArguments
      MAX_DEPTH = 100

      class << self
        # names: the perform parameters' names, by position.
        def json_native!(job, names, args)
          args.each_with_index { |value, index| check(job, value, names.fetch(index) { "argument #{index + 1}" }, 0) }
          args
        end

        private

        def check(job, value, path, depth)
          case value
          when String, Integer, true, false, nil then nil
          when Float then value.finite? || refuse(job, path, "#{value} is not a JSON number")
          when Array then nested(job, path, depth) { value.each_with_index { |v, i| check(job, v, "#{path}[#{i}]", depth + 1) } }
          when Hash
            nested(job, path, depth) do
              value.each do |k, v|
                refuse(job, path, "has the #{k.class} key #{k.inspect} (only String keys survive JSON)") unless k.is_a?(String)
                check(job, v, "#{path}[#{k.inspect}]", depth + 1)
              end
            end
          else refuse(job, path, "is #{article(value.class.to_s)} #{value.class}") # (TimeWithZone.name says "Time")
          end
        end

        def nested(job, path, depth)
          refuse(job, path, "is nested deeper than #{MAX_DEPTH} levels") if depth >= MAX_DEPTH
          yield
        end

        def refuse(job, path, what)
          raise ArgumentError,
                "#{job} arguments must be JSON-native (String, Integer, Float, true, false, nil, Array, Hash with String " \
                "keys); #{path} #{what}. Convert it first, or deliver through Integrations::Native::DeliveryJob " \
                "(ActiveJob), which keeps Time and TimeWithZone values in Chatwoot's JSON format"
        end

        def article(name)
          name.to_s.match?(/\A[AEIOU]/i) ? "an" : "a"
        end
      end
    end
  end
end
