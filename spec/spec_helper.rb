# frozen_string_literal: true

$LOAD_PATH.unshift(File.expand_path("../lib", __dir__))
require "chatwoot_integrations_rs"
require "json"

Dir[File.join(__dir__, "support", "*.rb")].sort.each { |f| require f }

FIXTURES = File.expand_path("../test/fixtures", __dir__)

def fixture_json(name)
  JSON.parse(File.read(File.join(FIXTURES, name)))
end

RSpec.configure do |config|
  config.disable_monkey_patching!
  config.order = :random
  Kernel.srand(config.seed)

  # GC_STRESS=1 turns GC.stress on inside calls into the native extension (its `_native_*` methods),
  # so a Ruby object the Rust side forgets to keep alive is collected at once and the suite fails.
  # Only those calls are stressed: the test receivers, Redis clients and Sidekiq processes run at
  # normal speed around them. The three calls that wait on the network are left out: GC.stress is
  # process-wide, and the in-process receivers they wait for cannot answer within a timeout under it.
  if ENV["GC_STRESS"] == "1"
    native = Integrations::Native
    waits_on_network = %i[_native_dispatch _native_perform _native_graphql]
    owners = [native, native::Signature, native::Payload, native::Slack, native::SendServiceNative, native::Apps, native::Linear]
    owners.each do |owner|
      names = owner.singleton_methods(false).grep(/\A_native_/) - waits_on_network
      owner.singleton_class.prepend(Module.new do
        names.each do |name|
          define_method(name) do |*args, **kwargs, &block|
            previous = GC.stress
            GC.stress = true
            super(*args, **kwargs, &block)
          ensure
            GC.stress = previous
          end
        end
      end)
    end
  end
end
