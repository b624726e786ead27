# frozen_string_literal: true

require "json"

# Random Ruby trees, compared byte for byte with JSON.generate (and, in a forked child with
# ActiveSupport loaded, with to_json).
module RandomTree
  CODEPOINT_RANGES = [0x00..0x1f, 0x20..0x7e, 0x7f..0x7f, 0xa0..0x24f, 0x2028..0x2029, 0x3040..0x30ff,
                      0x4e00..0x4fff, 0xe000..0xe0ff, 0x1f300..0x1f64f, 0x10000..0x1000f, 0x10fff0..0x10ffff].freeze
  SPECIALS = ["<", ">", "&", "\"", "\\", "/", "\u2028", "\u2029", "€"].freeze

  module_function

  def string(rng)
    Array.new(rng.rand(0..12)) do
      if rng.rand(5).zero? then SPECIALS.sample(random: rng)
      else rng.rand(CODEPOINT_RANGES.sample(random: rng)).chr(Encoding::UTF_8)
      end
    end.join
  end

  def float(rng)
    case rng.rand(4)
    when 0 then [rng.bytes(8)].pack("a8").unpack1("E").then { |f| f.finite? ? f : 1.5 }
    when 1 then rng.rand * (10**rng.rand(-30..30))
    when 2 then [0.1, -0.0, 0.0, 1.0e20, 1.0e-5, 5.0e-324, 1.7976931348623157e308, 123_456_789_012_345.0, 1e15, 1e16].sample(random: rng)
    else rng.rand(-1000..1000) / 8.0
    end
  end

  def integer(rng)
    [rng.rand(-1000..1000), rng.rand(-(2**62)..(2**62)), rng.rand((2**64)..(2**200)) * [1, -1].sample(random: rng), 2**63, -(2**63)].sample(random: rng)
  end

  def scalar(rng)
    case rng.rand(7)
    when 0 then string(rng)
    when 1 then string(rng).to_sym
    when 2 then integer(rng)
    when 3 then float(rng)
    else [true, false, nil].sample(random: rng)
    end
  end

  def tree(rng, depth = 0)
    return scalar(rng) if depth > 4 || rng.rand(3).zero?

    if rng.rand(2).zero?
      Array.new(rng.rand(0..5)) { tree(rng, depth + 1) }
    else
      Array.new(rng.rand(0..5)).to_h do
        key = [string(rng), string(rng).to_sym, rng.rand(100)].sample(random: rng)
        [key, tree(rng, depth + 1)]
      end
    end
  end
end

RSpec.describe Integrations::Native::Payload do
  let(:rng) { Random.new(RSpec.configuration.seed) }
  # Under GC_STRESS=1 every allocation runs the GC, so the random sweeps are kept small there.
  let(:iterations) { ENV["GC_STRESS"] == "1" ? 10 : 500 }

  def nested(depth)
    root = []
    depth.times.inject(root) { |node, _| [].tap { |child| node << child } }
    root
  end

  describe ".dump" do
    it "is byte-identical to JSON.generate on many random trees" do
      iterations.times do
        tree = RandomTree.tree(rng)
        expected = JSON.generate(tree)
        actual = described_class.dump(tree)
        at = (0...[actual.size, expected.size].min).find { |k| actual[k] != expected[k] } || 0
        expect(actual).to eq(expected), "expected #{expected[[at - 30, 0].max, 60].inspect}\n     got #{actual[[at - 30, 0].max, 60].inspect}"
        expect(actual.encoding).to eq(Encoding::UTF_8)
      end
    end

    it "matches JSON.generate on the edge cases" do
      other = Object.new
      def other.to_s = "custom <to_s>"
      [
        "", [], {}, nil, true, 0, -1, 2**64, -(2**100), 0.1, -0.0, 1.0e20, 1.0e-5, 5.0e-324, :sym, :"with space",
        { 1 => 2, nil => 3, 1.5 => 4, :s => 5, "s2" => 6 }, ["\u0000\u001f\u007f", "\u{1F600}", "/"],
        "caf\xe9".dup.force_encoding("ISO-8859-1"), "plain ascii".b, other, [other], { other => 1 },
        JSON.parse(File.read(File.join(FIXTURES, "message_created.json"))),
      ].each do |value|
        expect(described_class.dump(value)).to eq(JSON.generate(value)), value.inspect
      end
    end

    it "prints every float as Float#to_s does (random bit patterns, ties to even included)" do
      floats = Array.new(iterations * 40) { [rng.bytes(8)].pack("a8").unpack1("E") }.select(&:finite?)
      floats += Array.new(iterations * 4) { (rng.rand(2**53) + 0.25 * rng.rand(4)) * (2**rng.rand(0..10)) }
      # Every power of two and its neighbours: there the rounding interval is asymmetric.
      exponents = (-1074..1023).step(ENV["GC_STRESS"] == "1" ? 97 : 1)
      floats += exponents.flat_map { |e| [2.0**e, (2.0**e).prev_float, (2.0**e).next_float] }.select { |f| f.finite? && f.positive? }
      mismatches = floats.reject { |f| described_class.dump([f]) == "[#{f}]" }
      expect(mismatches).to eq([])
    end

    it "allows exactly the nesting JSON.generate allows" do
      expect(described_class.dump(nested(99))).to eq(JSON.generate(nested(99)))
      expect { JSON.generate(nested(100)) }.to raise_error(JSON::NestingError)
      expect { described_class.dump(nested(100)) }.to raise_error(Integrations::Native::SerializationError, /max_nesting \(100\)/)
      expect(described_class.dump(nested(3), max_nesting: 4)).to eq("[[[[]]]]")
      expect { described_class.dump(nested(4), max_nesting: 4) }.to raise_error(Integrations::Native::SerializationError)
    end

    it "names where and what went wrong" do
      bad = { "data" => { "messages" => [{}, {}, {}, { "content" => "ok \xFF".dup.force_encoding("UTF-8") }] } }
      expect { described_class.dump(bad) }.to raise_error(Integrations::Native::SerializationError,
                                                          "at payload.data.messages[3].content: String is not valid UTF-8")
      expect { described_class.dump({ "a key" => ["\xFF".b] }) }
        .to raise_error(Integrations::Native::SerializationError, /payload\["a key"\]\[0\]: binary/)
      expect { described_class.dump([1, Float::NAN]) }.to raise_error(Integrations::Native::SerializationError, /payload\[1\]: NaN/)
      expect { described_class.dump({ x: -Float::INFINITY }) }.to raise_error(Integrations::Native::SerializationError, /Infinity/)
    end

    it "reports a reference cycle where it closes" do
      cycle = { "a" => [] }
      cycle["a"] << cycle
      expect { described_class.dump(cycle) }
        .to raise_error(Integrations::Native::SerializationError, /at payload\.a\[0\]: reference cycle/)
    end

    it "keeps the exception a to_s raised as the cause" do
      broken = Object.new
      def broken.to_s = raise(ArgumentError, "cannot print me")
      expect { described_class.dump({ "k" => [broken] }) }.to raise_error(Integrations::Native::SerializationError) { |e|
        expect(e.message).to include("payload.k[0]").and include("cannot print me")
        expect(e.cause).to be_a(ArgumentError)
      }
    end

    # Plain Hashes are walked without calling Ruby; the first value that needs Ruby (to_s, a
    # Bignum, a transcoding, a non-String key) makes the outermost Hash go on from that entry in a
    # mode that may call it. Nothing may be written twice, lost, or printed twice.
    it "calls Ruby deep inside nested Hashes exactly once per object, in order" do
      printed = []
      counter = Class.new do
        define_method(:initialize) { |name| @name = name }
        define_method(:to_s) { printed << @name; "<#{@name}>" }
      end
      value = {
        "a" => 1, "b" => { "c" => [1, { "d" => counter.new("first") }], "e" => "plain" },
        "f" => { "g" => { "h" => 2**70, "i" => "caf\xe9".dup.force_encoding("ISO-8859-1") }, 7 => "int key" },
        "j" => [counter.new("second"), { "k" => counter.new("third") }], "l" => "last",
      }
      json = described_class.dump(value)
      expect(printed).to eq(%w[first second third])
      expect(json).to eq(JSON.generate(value))
      reentrant = counter.new("outer")
      def reentrant.to_s = Integrations::Native::Payload.dump({ "inner" => [1, { "x" => "y" }] })
      expect(described_class.dump({ "a" => { "b" => reentrant }, "c" => [2] }))
        .to eq(JSON.generate({ "a" => { "b" => reentrant }, "c" => [2] }))
    end

    it "reports a Hash that a to_s changes while it is written, and keeps going afterwards" do
      data = { "a" => "x" }
      meddler = Object.new
      meddler.define_singleton_method(:to_s) do
        data["added"] = 1
        "meddled"
      end
      data["b"] = { "c" => meddler }
      # Ruby itself refuses the new key; what matters is that the error names where and why.
      expect { described_class.dump({ "root" => data }) }
        .to raise_error(Integrations::Native::SerializationError, /payload\.root\.b\.c: to_s raised: can't add a new key/) { |e|
          expect(e.cause).to be_a(RuntimeError)
        }
      expect(described_class.dump({ "root" => [1, "two"] })).to eq('{"root":[1,"two"]}')
    end

    it "refuses a bad max_nesting" do
      expect { described_class.dump([], max_nesting: 0) }.to raise_error(ArgumentError, /max_nesting/)
      expect { described_class.dump([], max_nesting: "100") }.to raise_error(ArgumentError, /max_nesting/)
      expect { described_class.dump([], max_nesting: 10_001) }
        .to raise_error(ArgumentError, "max_nesting must be an Integer from 1 to 10000, got 10001")
      # Named by class, without calling inspect (a callback like any other).
      odd = Object.new
      def odd.inspect = raise("inspect must not run")
      expect { described_class.dump([], max_nesting: odd) }
        .to raise_error(ArgumentError, "max_nesting must be an Integer from 1 to 10000, got a Object")
      expect { described_class.webhook("e", {}, max_nesting: nil) }
        .to raise_error(ArgumentError, "max_nesting must be an Integer from 1 to 10000, got nil")
    end

    it "shortens the path of a failure thousands of levels deep to a line" do
      deep = nested(5_000)
      expect { described_class.dump(deep, max_nesting: 5_000) }.to raise_error(Integrations::Native::SerializationError) { |e|
        expect(e.message).to eq("at payload#{"[0]" * 16}…(4976 more)…#{"[0]" * 8}: nesting deeper than max_nesting (5000)")
      }
    end
  end

  describe ".webhook" do
    it "merges the event at the top level, as Chatwoot's listener does" do
      expect(described_class.webhook("message_created", { id: 1, content: "hi" })).to eq('{"id":1,"content":"hi","event":"message_created"}')
      expect(described_class.webhook(:conversation_created, { "event" => "old", "id" => 2 })).to eq('{"event":"conversation_created","id":2}')
      expect { described_class.webhook("e", [1]) }.to raise_error(TypeError, /data must be a Hash/)
    end
  end

  describe "rails: true" do
    # ActiveSupport changes to_json process-wide, so it is loaded only in a forked child.
    def with_active_support
      reader, writer = IO.pipe
      pid = fork do
        reader.close
        # Loading ActiveSupport under GC.stress takes many minutes and tests nothing of ours.
        stress = GC.stress
        GC.stress = false
        require "active_support"
        require "active_support/json"
        require "active_support/core_ext/time"
        require "bigdecimal"
        GC.stress = stress
        failures = yield
        writer.write(Marshal.dump(failures))
        writer.close
        exit!(0)
      end
      writer.close
      result = reader.read
      Process.wait(pid)
      result.empty? ? ["child process died"] : Marshal.load(result)
    end

    it "is byte-identical to ActiveSupport's to_json on random trees and Rails' own types" do
      seed = RSpec.configuration.seed
      failures = with_active_support do
        rng = Random.new(seed)
        trees = Array.new(ENV["GC_STRESS"] == "1" ? 10 : 300) { RandomTree.tree(rng) }
        zone = ActiveSupport::TimeZone["America/Sao_Paulo"]
        model = Struct.new(:id, :name) { def as_json(*) = { "id" => id, "name" => name, "kind" => "model" } }
        special = [
          { "html" => "<script>alert('x') & </script>", "seps" => "\u2028\u2029" },
          { t: Time.utc(2026, 11, 28, 22, 5, 7, 123_456), local: Time.new(2026, 1, 1, 12, 0, 0, "+05:30") },
          { twz: zone.at(1_764_367_507.5), date: Date.new(2026, 1, 2), dt: DateTime.new(2026, 3, 4, 5, 6, 7) },
          { bd: BigDecimal("1.50"), big: BigDecimal("123456789.000000001"), nan: Float::NAN, inf: -Float::INFINITY },
          { model: model.new(7, "Amélie <admin>"), list: [model.new(1, nil)] },
          JSON.parse(File.read(File.join(FIXTURES, "message_created.json"))),
        ]
        (trees + special).filter_map do |value|
          expected = value.to_json
          actual = Integrations::Native::Payload.dump(value, rails: true)
          next if actual == expected

          at = (0...[actual.size, expected.size].min).find { |k| actual[k] != expected[k] } || 0
          "expected #{expected[[at - 20, 0].max, 40].inspect}\n     got #{actual[[at - 20, 0].max, 40].inspect}"
        end
      end
      expect(failures).to eq([])
    end
  end
end
