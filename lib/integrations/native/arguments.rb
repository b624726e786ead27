# frozen_string_literal: true

module Integrations
  module Native
    # Argument checks shared by the Ruby face, so every method answers bad input with the same
    # clear TypeError / ArgumentError naming the argument before anything reaches the native extension.
    #
    # Every check works on any object, BasicObject included: classes are tested with
    # `String === value` (Module#===, not a method of the value), and no method is called on the
    # value before its class is known. No message echoes a String argument: it may be a secret,
    # or megabytes long.
    # @api private
    module Arguments
      # The native side takes tolerances as u64 and times as i64; these are those types' ranges,
      # not a policy, so a huge Integer is an ArgumentError here rather than a RangeError there.
      U64 = (0..((1 << 64) - 1))
      # The range of the native side's i64 (times in seconds).
      I64 = (-(1 << 63)..((1 << 63) - 1))

      KERNEL_CLASS = Kernel.instance_method(:class)
      KERNEL_RESPOND_TO = Kernel.instance_method(:respond_to?)
      MODULE_NAME = Module.instance_method(:name)
      # Module#=== itself: ActiveSupport redefines Time.=== to call #is_a? on the value, which a
      # BasicObject does not have.
      MODULE_CASE_EQ = Module.instance_method(:===)
      private_constant :KERNEL_CLASS, :KERNEL_RESPOND_TO, :MODULE_NAME, :MODULE_CASE_EQ

      module_function

      # The value's class name, for any object (BasicObject has no #class, and a class may
      # redefine its own .name).
      def class_name(value)
        MODULE_NAME.bind_call(KERNEL_CLASS.bind_call(value)) || "an anonymous class"
      end

      # A short, safe description of a value for an error message: nil, booleans, Floats and
      # Integers up to 64 bits and short Symbols as they are; anything else by its class name.
      def describe(value)
        case value
        when nil, true, false, Float then value.inspect
        when Integer then value.bit_length <= 64 ? value.to_s : "an Integer of #{value.bit_length} bits"
        when Symbol then value.length <= 40 ? value.inspect : "a Symbol"
        else class_name(value)
        end
      end

      # Whether the value responds to a method (#call for a callable), for any object.
      def responds?(value, method)
        KERNEL_RESPOND_TO.bind_call(value, method)
      end

      # A String (any encoding), else TypeError naming the argument.
      # @param name [String] the argument's name, for the message
      # @param value [Object]
      # @return [String] value
      # @raise [TypeError]
      def string!(name, value)
        return value if String === value

        raise TypeError, "#{name} must be a String, got #{class_name(value)}"
      end

      # nil (a header that was absent) or a String.
      def optional_string!(name, value)
        NilClass === value ? nil : string!(name, value)
      end

      # A String whose bytes are UTF-8 (text the native side parses or sends as text: URLs,
      # header values, ids). A binary String qualifies when its bytes happen to be valid UTF-8.
      # @param name [String] the argument's name, for the message
      # @param value [Object]
      # @return [String] value
      # @raise [TypeError, ArgumentError]
      def utf8_string!(name, value)
        string!(name, value)
        return value if utf8?(value)

        raise ArgumentError, "#{name} is not valid UTF-8"
      end

      # Whether the String's bytes are UTF-8, whatever its encoding says.
      # @param string [String]
      # @return [Boolean]
      def utf8?(string)
        return string.valid_encoding? if string.encoding == Encoding::UTF_8
        return true if string.ascii_only?

        string.dup.force_encoding(Encoding::UTF_8).valid_encoding?
      end

      # An Integer within range (TypeError for any other class, Float 1.0 included).
      def integer!(name, value, range)
        raise TypeError, "#{name} must be an Integer, got #{class_name(value)}" unless Integer === value
        return value if range.cover?(value)

        raise ArgumentError, "#{name} must be an Integer from #{range.min} to #{range.max}, got #{describe(value)}"
      end

      # A real number (Integer, Float or Rational; not NaN) from min to max, as a Float. With
      # above: true the minimum itself is excluded ("above 0").
      def number!(name, value, min:, max:, above: false)
        unless Integer === value || Float === value || Rational === value
          raise TypeError, "#{name} must be a number (Integer, Float or Rational), got #{class_name(value)}"
        end
        return value.to_f if (above ? value > min : value >= min) && value <= max

        raise ArgumentError, "#{name} must be a number #{above ? "above" : "from"} #{min} #{above ? "and at most" : "to"} #{max}, " \
                             "got #{describe(value)}"
      end

      # A Unix timestamp as the headers carry it. Integers are formatted; Strings pass as they are
      # (a verifier reports a non-numeric or out-of-range one as :malformed rather than raising).
      def timestamp_text!(name, value)
        case value
        when Integer then value.to_s
        when String then value
        else
          raise TypeError, "#{name} must be an Integer, String or Time, got #{class_name(value)}" unless time?(value)

          value.to_i.to_s
        end
      end

      # A Time, or ActiveSupport's TimeWithZone (Rails' Time.current), for any object: asked with
      # Module#=== so a BasicObject is answered false rather than raising under ActiveSupport.
      def time?(value)
        return true if MODULE_CASE_EQ.bind_call(Time, value)

        defined?(::ActiveSupport::TimeWithZone) ? MODULE_CASE_EQ.bind_call(::ActiveSupport::TimeWithZone, value) : false
      end

      # A tolerance in seconds, as the native side's u64.
      # @param value [Object]
      # @return [Integer] value
      # @raise [TypeError, ArgumentError]
      def tolerance!(value)
        raise TypeError, "tolerance must be an Integer (seconds), got #{class_name(value)}" unless Integer === value
        # Two comparisons, not U64.cover?: with a Bignum end, Range#cover? dispatches <=> through
        # method calls, which cost a verifier more than the rest of its argument checks.
        return value if value >= 0 && value <= U64.end

        raise ArgumentError, "tolerance must be a non-negative Integer (seconds) below 2**64, got #{describe(value)}"
      end

      # `now:` lets published vectors with old timestamps be checked; nil means the current time
      # (Ruby's clock, so time-travel helpers in the host app's tests apply).
      def now_seconds!(value)
        seconds =
          case value
          when nil then return Time.now.to_i
          when Integer then value
          else
            raise TypeError, "now must be a Time, Integer or nil, got #{class_name(value)}" unless time?(value)

            value.to_i
          end
        return seconds if seconds >= I64.begin && seconds <= I64.end # (not I64.cover?: see tolerance!)

        raise ArgumentError, "now must be within 2**63 seconds of the epoch, got #{describe(seconds)}"
      end
    end
  end
end
