# frozen_string_literal: true

module Integrations
  module Native
    # JSON serialization in Rust, straight from the Ruby object tree.
    #
    #   Payload.dump(obj)                # == JSON.generate(obj), byte for byte
    #   Payload.dump(obj, rails: true)   # == obj.to_json under ActiveSupport (HTML-safe escapes,
    #                                    #    Time as ISO 8601 with ms, BigDecimal as a String, as_json honoured)
    #   Payload.webhook(event, data)     # Chatwoot's webhook body: data with "event" merged at the top
    #
    # Failures raise SerializationError naming where (`payload.messages[3].content`) and what: invalid
    # UTF-8, NaN/Infinity (JSON mode), nesting deeper than max_nesting (or than the thread's stack
    # holds), a reference cycle, or a to_s / as_json that raised a StandardError (the cause). What is
    # not a StandardError (Interrupt, SignalException, SystemExit, Thread#kill, throw, Timeout) goes
    # through untouched, as with JSON.generate.
    #
    # DEFAULT_MAX_NESTING (100, as JSON.generate) and MAX_NESTING_LIMIT (10,000) are defined by the
    # extension, from the Rust core.
    module Payload
      class << self
        # (The hot path: one native call; max_nesting is range-checked there.)
        def dump(obj, rails: false, max_nesting: DEFAULT_MAX_NESTING)
          result = _native_dump(obj, rails, max_nesting, "payload")
          result.is_a?(String) ? result : failed!(result)
        end

        def webhook(event, data, rails: false, max_nesting: DEFAULT_MAX_NESTING)
          raise TypeError, "data must be a Hash, got #{Arguments.class_name(data)}" unless Hash === data
          # The event name is taken by its to_s, as Chatwoot's merge does; an object without one is refused.
          raise TypeError, "event must be a String or Symbol, got #{Arguments.class_name(event)}" unless Arguments.responds?(event, :to_s)

          result = _native_dump(with_event(data, event), rails, max_nesting, "data")
          result.is_a?(String) ? result : failed!(result)
        end

        # Chatwoot's listener does `data.merge(event: name)`: a String "event" key is replaced in
        # place, otherwise :event goes last.
        def with_event(data, event)
          data.merge((data.key?("event") ? "event" : :event) => event.to_s)
        end

        private

        # The native side answers [message, cause] instead of raising, so the exception a to_s or
        # as_json raised becomes the cause here.
        def failed!((message, cause))
          raise SerializationError, message, cause: cause
        end
      end
    end
  end
end
