# frozen_string_literal: true

$LOAD_PATH.unshift(File.expand_path("../lib", __dir__))
require "chatwoot_integrations_rs"
require "json"
require "timeout"

Dir[File.join(__dir__, "support", "*.rb")].each { |f| require f }

FIXTURES = File.expand_path("../test/fixtures", __dir__)

def fixture_json(name)
  JSON.parse(File.read(File.join(FIXTURES, name)))
end

RSpec.configure do |config|
  config.disable_monkey_patching!
  config.order = :random
  Kernel.srand(config.seed)

  # GC_STRESS=1 turns GC.stress on inside every call into the native extension (its `_native_*`
  # methods), so a Ruby object the Rust side forgets to keep alive is collected at once and the suite
  # fails. That includes the calls that wait on the network: the receivers they talk to run in child
  # processes (spec/support/receiver.rb), which the stress does not reach. See support/gc_stress.rb
  # for why the switch is a counter.
  if ENV["GC_STRESS"] == "1"
    GCStress.wrap_native_methods(Integrations::Native)
    config.before { GCStress.new_example! }
    config.after(:suite) do
      raise "GC.stress was left on (depth #{GCStress.depth}): the harness leaked it" if GC.stress || GCStress.depth != 0
    end
  end
end
