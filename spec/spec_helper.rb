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

  # GC_STRESS=1 runs every example under GC.stress, so a Ruby object the extension forgets to keep
  # alive is collected at once and the suite fails (see `rake spec:gc_stress`).
  if ENV["GC_STRESS"] == "1"
    config.around do |example|
      GC.stress = true
      example.run
    ensure
      GC.stress = false
    end
  end
end
