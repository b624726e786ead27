# frozen_string_literal: true

# GC.stress for the duration of a native call, safe with many threads.
#
# GC.stress is process-wide, so two threads that each saved the previous value and restored it
# afterwards could restore `true` last and leave it on for the rest of the run (which is how a run
# once crawled for half an hour). Here a depth counter under a Mutex turns it on at the first entry
# and off at the last exit, and interrupts (Thread#kill, Timeout) cannot land between the count and
# the switch.
#
# Two strengths. A full collection at every allocation (GC.stress = true) costs tens of ms a
# collection in a process this size; a minor one (GC.stress = 1: "no major GC") about a hundredth of
# that. The objects a native call can lose are the young ones it creates itself, which a minor
# collection frees just the same. So the first FULL_CALLS calls of each native method in the run
# are under full stress (which also frees old objects), and in every example the first
# CALLS_PER_EXAMPLE calls of each native method under minor stress. Calls past that in one example
# (a loop over a thousand random inputs) take the code paths its first calls took, and run
# unstressed, which keeps the phase within minutes.
module GCStress
  LOCK = Mutex.new
  MINOR = 0x01 # GC.stress flag: collect at every allocation, minor collections only
  FULL_CALLS = Integer(ENV.fetch("GC_STRESS_FULL_CALLS", "3"))
  CALLS_PER_EXAMPLE = Integer(ENV.fetch("GC_STRESS_CALLS_PER_EXAMPLE", "25"))
  @depth = 0
  @calls = Hash.new(0)
  @example_calls = Hash.new(0)

  class << self
    attr_reader :depth

    # Called before each example: its first calls of each native method are stressed again.
    def new_example!
      LOCK.synchronize { @example_calls.clear }
    end

    def around(name = nil, &)
      Thread.handle_interrupt(Object => :never) do
        LOCK.synchronize do
          if (@depth += 1) == 1
            GC.stress =
              if name.nil? then MINOR
              elsif (@calls[name] += 1) <= FULL_CALLS then true
              elsif (@example_calls[name] += 1) <= CALLS_PER_EXAMPLE then MINOR
              else false
              end
          end
        end
        begin
          Thread.handle_interrupt(Object => :immediate, &)
        ensure
          LOCK.synchronize { GC.stress = false if (@depth -= 1).zero? }
        end
      end
    end

    # Wraps every `_native_*` singleton method of the namespace and the modules under it in #around
    # (found by walking its constants, so a new native module cannot be missed; autoloads are left
    # alone, and what they define has no native methods of its own).
    def wrap_native_methods(namespace)
      native_owners(namespace).each do |owner|
        names = owner.singleton_methods(false).grep(/\A_native_/)
        owner.singleton_class.prepend(Module.new do
          names.each do |name|
            key = "#{owner.name}.#{name}"
            define_method(name) { |*args, **kwargs, &block| GCStress.around(key) { super(*args, **kwargs, &block) } }
          end
        end)
      end
    end

    def native_owners(namespace)
      found = [namespace]
      found.each do |mod|
        mod.constants(false).each do |name|
          next if mod.autoload?(name)

          value = mod.const_get(name, false)
          found << value if value.is_a?(Module) && value.name&.start_with?("#{namespace.name}::") && !found.include?(value)
        end
      end
      found.select { |mod| mod.singleton_methods(false).any? { |m| m.start_with?("_native_") } }
    end
  end
end
