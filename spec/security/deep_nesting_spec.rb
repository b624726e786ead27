# frozen_string_literal: true

require "open3"
require "rbconfig"
require "json"

# Hostile input: a payload nested deeper than the native stack holds. The walk recurses once per
# Hash or Array; without a check, some 1,000 Hashes overflow a Ruby thread's stack inside Rust and
# Ruby's SIGSEGV handler jumps over the Rust frames (undefined behaviour, surfacing as
# SystemStackError or a crash). Every accepted max_nesting must end in SerializationError instead:
# on the main thread, on threads (down to the smallest stack Ruby gives one) and in Fibers, for
# nesting in the payload itself and nesting that as_json / to_s callbacks produce.
module DeepNesting
  module_function

  def hashes(depth)
    root = node = {}
    depth.times { node = node["a"] = {} }
    root
  end

  def arrays(depth)
    root = []
    depth.times.inject(root) { |node, _| [].tap { |child| node << child } }
    root
  end

  # Runs the block at a slightly different stack depth each time (Ruby blocks nested `shift` deep
  # take machine stack), so the walk meets the end of the stack at every point of a level.
  def shifted(shift, &block)
    shift.zero? ? block.call : [1].map { shifted(shift - 1, &block) }.first
  end

  # Where a block runs: the stacks a payload may be walked on.
  PLACES = {
    "the main thread" => ->(&block) { block.call },
    "a Thread" => ->(&block) { Thread.new(&block).value },
    "a Fiber" => ->(&block) { Fiber.new(&block).resume },
  }.freeze

  # Payloads whose nesting no stack holds at max_nesting: 10,000, each [payload, rails, whether a
  # callback allocates at every level].
  def payloads
    deep = hashes(20_000)
    as_json_deep = Object.new # as_json returns a deep structure
    as_json_deep.define_singleton_method(:as_json) { |*| deep }
    endless = Object.new # every as_json call nests one more level: {"me" => {"me" => …}}
    def endless.as_json(*) = { "me" => self, "n" => 1 }
    endless_array = Object.new
    def endless_array.as_json(*) = [1, self]
    {
      "Hashes" => [hashes(20_000), false, false],
      "Arrays" => [arrays(20_000), false, false],
      "Hashes and Arrays" => [20_000.times.inject([]) { |inner, i| i.even? ? { "a" => inner } : [inner] }, false, false],
      "Hashes in Rails mode" => [hashes(20_000), true, false],
      "a deep structure from as_json" => [{ "x" => as_json_deep }, true, false],
      "an as_json that nests one more level each call" => [{ "x" => endless }, true, true],
      "an as_json that nests one more Array each call" => [[endless_array], true, true],
    }
  end

  # The outcome of serializing `payload`: :ok, the SerializationError's message, or another
  # exception's class and message.
  def outcome(payload, rails)
    Integrations::Native::Payload.dump(payload, rails: rails, max_nesting: 10_000)
    :ok
  rescue Integrations::Native::SerializationError => e
    e.message
  rescue Exception => e # rubocop:disable Lint/RescueException
    "#{e.class}: #{e.message}"
  end
end

# A child Ruby below loads this file for DeepNesting alone.
return unless defined?(RSpec)

RSpec.describe "Payload serialization of deep nesting" do
  let(:payload_module) { Integrations::Native::Payload }
  # Under GC_STRESS=1 every allocation inside the walk runs a full GC over the whole deep stack: one
  # stack depth instead of many, and a callback that allocates at every level is followed in a Fiber
  # only (the smallest stack, so the fewest levels), nesting Hashes (Arrays take four times the levels).
  stress = ENV["GC_STRESS"] == "1"
  let(:shifts) { stress ? [0] : (0..48).step(4).to_a }
  let(:too_deep) { /\Aat payload[^:]*: nesting deeper than (max_nesting \(10000\)|the stack of this thread or Fiber allows \(\d+ levels\))\z/ }

  it "takes its limits from the Rust core" do
    expect(payload_module::DEFAULT_MAX_NESTING).to eq(100)
    expect(payload_module::MAX_NESTING_LIMIT).to eq(10_000)
    expect { payload_module.dump([], max_nesting: payload_module::MAX_NESTING_LIMIT + 1) }
      .to raise_error(ArgumentError, "max_nesting must be an Integer from 1 to 10000, got 10001")
  end

  DeepNesting::PLACES.each do |place, run|
    describe "on #{place}" do
      DeepNesting.payloads.each do |name, (payload, rails, allocating)|
        next if stress && allocating && (place != "a Fiber" || name.include?("Array"))

        it "ends #{name} in SerializationError at max_nesting 10,000, at any stack depth" do
          outcomes = shifts.map { |shift| run.call { DeepNesting.shifted(shift) { DeepNesting.outcome(payload, rails) } } }
          expect(outcomes.grep_v(too_deep)).to eq([])
        end
      end

      it "still writes what fits: 300 levels of Hashes, as JSON.generate does" do
        payload = DeepNesting.hashes(300)
        expect(run.call { payload_module.dump(payload, max_nesting: 301) }).to eq(JSON.generate(payload, max_nesting: 301))
      end

      it "reports a reference cycle as a cycle, also when the stack runs out first" do
        cycle = { "a" => [] }
        cycle["a"] << cycle
        via_as_json = { "list" => [] }
        holder = Object.new
        holder.define_singleton_method(:as_json) { |*| via_as_json }
        via_as_json["list"] << holder
        cases = [[cycle, false], [{ "x" => holder }, true]]
        cases.pop if stress && place != "a Fiber"
        cases.each do |payload, rails|
          expect(run.call { DeepNesting.outcome(payload, rails) }).to match(/\Aat payload[^:]*: reference cycle/)
        end
      end
    end
  end

  # (Not under GC_STRESS=1: each level raises with a backtrace hundreds of frames deep, a minute and
  # more of full GCs; the paths it takes are those of the callbacks above.)
  unless stress
    it "ends a to_s that serializes itself again in SerializationError, on a Thread and in a Fiber" do
      recursive = Object.new
      recursive.define_singleton_method(:to_s) { Integrations::Native::Payload.dump([self], max_nesting: 10_000) }
      DeepNesting::PLACES.except("the main thread").each do |place, run|
        outcomes = shifts.map { |shift| run.call { DeepNesting.shifted(shift) { DeepNesting.outcome([recursive], false) } } }
        # Each level's error is the cause of the next: the outermost message names the innermost.
        expect(outcomes.grep_v(/the stack of this thread or Fiber allows/)).to eq([]), place
      end
    end
  end

  # The smallest stacks Ruby gives: RUBY_THREAD_MACHINE_STACK_SIZE is raised to Ruby's minimum
  # (128 KiB on 64-bit), RUBY_FIBER_MACHINE_STACK_SIZE likewise, and the main thread gets a 256 KiB
  # rlimit. In a Ruby of its own, which may crash without taking the suite with it.
  it "ends deep nesting in SerializationError on the smallest stacks Ruby gives, in a Ruby of its own" do
    script = <<~'RUBY'
      require "chatwoot_integrations_rs"
      require "json"
      load "spec/security/deep_nesting_spec.rb"
      params = RubyVM::DEFAULT_PARAMS.slice(:thread_machine_stack_size, :fiber_machine_stack_size)
      results = DeepNesting::PLACES.flat_map do |place, run|
        DeepNesting.payloads.flat_map do |name, (payload, rails, _)|
          (0..48).step(8).map { |shift| ["#{place}: #{name}", run.call { DeepNesting.shifted(shift) { DeepNesting.outcome(payload, rails) } }] }
        end
      end
      puts JSON.generate("params" => params, "results" => results)
    RUBY
    env = { "RUBY_THREAD_MACHINE_STACK_SIZE" => "1", "RUBY_FIBER_MACHINE_STACK_SIZE" => "1" }
    root = File.expand_path("../..", __dir__)
    out, err, status = Open3.capture3(env, RbConfig.ruby, "-I", File.join(root, "lib"), "-e", script,
                                      chdir: root, rlimit_stack: 256 * 1024)
    expect(status.success?).to be(true), "exit #{status.inspect}: #{err[0, 2000]}"
    report = JSON.parse(out)
    expect(report["params"].values).to all(be <= 128 * 1024)
    expect(report["results"].size).to eq(3 * DeepNesting.payloads.size * 7)
    expect(report["results"].reject { |_, outcome| outcome.match?(too_deep) }).to eq([])
  end
end
