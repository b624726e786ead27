# frozen_string_literal: true

require "socket"
require "timeout"
require "open3"
require "rbconfig"

# Hostile input: what a to_s / as_json raises while the payload is walked. JSON.generate lets
# everything through untouched; we wrap only StandardErrors (in SerializationError, with the
# original as its cause), and everything else (non-StandardError exceptions, throw, Thread#kill,
# Timeout.timeout) must come out exactly as it was raised, from Payload.dump, Payload.webhook and
# Integrations::Native.dispatch alike.
module PayloadInterruptCases
  # Every place the walk calls back into Ruby, each given the block the callback runs. Each returns
  # [payload, rails]. The callbacks sit inside nested Hashes, where the walk first goes without
  # calling Ruby and then comes back to the entry (see walker.rs).
  SITES = {
    "a value's to_s" => lambda { |act|
      obj = Object.new
      obj.define_singleton_method(:to_s) { act.call }
      [{ "a" => { "b" => [1, obj] } }, false]
    },
    "a Hash key's to_s" => lambda { |act|
      key = Object.new
      key.define_singleton_method(:to_s) { act.call }
      [{ "a" => { "b" => { key => 1 } } }, false]
    },
    "as_json (Rails mode)" => lambda { |act|
      obj = Object.new
      obj.define_singleton_method(:as_json) { |*| act.call }
      [{ "a" => { "b" => [1, obj] } }, true]
    },
    "a Hash key's to_s (Rails mode)" => lambda { |act|
      key = Object.new
      key.define_singleton_method(:to_s) { act.call }
      [{ "a" => { "b" => { key => 1 } } }, true]
    },
    # The StandardError a to_s raised is described by its own to_s: that is a callback too.
    "the to_s of the StandardError a to_s raised" => lambda { |act|
      error = Class.new(StandardError) { define_method(:to_s) { act.call } }
      obj = Object.new
      obj.define_singleton_method(:to_s) { raise error }
      [{ "a" => [obj] }, false]
    },
  }.freeze

  # Raised (not thrown) interrupts: each must come out as the very object raised.
  RAISED = {
    "Interrupt" => -> { Interrupt.new },
    "SignalException(\"TERM\")" => -> { SignalException.new("TERM") },
    "SystemExit" => -> { SystemExit.new(3, "exit 3") },
    "NoMemoryError" => -> { NoMemoryError.new("failed to allocate memory") },
    "an Exception subclass of the application's" => -> { Class.new(Exception).new("app's own") }, # rubocop:disable Lint/InheritException -- not a StandardError, on purpose
  }.freeze

  # A plain listener on loopback that counts the connections it accepts: none may arrive when the
  # payload could not be serialized.
  class ConnectionCounter
    attr_reader :count

    def initialize
      @server = TCPServer.new("127.0.0.1", 0)
      @count = 0
      @thread = Thread.new do
        loop do
          client = @server.accept
          @count += 1
          client.close
        end
      rescue IOError
        nil
      end
    end

    def url = "http://127.0.0.1:#{@server.addr[1]}/hook"

    def stop
      @server.close
      @thread.join(5)
    end
  end
end

RSpec.describe "Payload serialization and Ruby's interrupts" do
  let(:n) { Integrations::Native }
  let(:payload_module) { n::Payload }

  # The ways in: each serializes [payload, rails] and, for dispatch, would deliver it.
  def ways_in(listener_url)
    {
      "Payload.dump" => ->((payload, rails)) { payload_module.dump(payload, rails: rails) },
      "Payload.webhook" => ->((payload, rails)) { payload_module.webhook("message_created", payload, rails: rails) },
      "N.dispatch(url:)" => lambda { |(payload, rails)|
        n.configure { |c| c.rails_json = rails }
        n.dispatch(url: listener_url, payload: payload, event: "message_created", secret: "s")
      },
      "N.dispatch(endpoints:)" => lambda { |(payload, rails)|
        n.configure { |c| c.rails_json = rails }
        n.dispatch(endpoints: [{ url: listener_url }, { url: listener_url }], payload: payload)
      },
    }
  end

  # Raised with a backtrace already set, which Ruby keeps: building one inside the native call takes
  # seconds under GC_STRESS=1, where every allocation there runs the GC.
  def with_backtrace(error)
    error.tap { |e| e.set_backtrace(["(raised by the spec's callback)"]) }
  end

  before(:context) { @listener = PayloadInterruptCases::ConnectionCounter.new }
  after(:context) { @listener.stop }
  before { n.configure { |c| c.allowed_private_cidrs = ["127.0.0.1/32"] } }
  after { n.reset_configuration! }

  it "counts connections (the control for the 'none arrive' checks below)" do
    before = @listener.count
    n.dispatch(url: @listener.url, payload: { "a" => 1 }, timeout: 2)
    expect(wait_for(timeout: 5) { @listener.count > before }).to be(true)
  end

  PayloadInterruptCases::SITES.each do |site, carrier|
    describe "in #{site}" do
      PayloadInterruptCases::RAISED.each do |name, make|
        it "lets #{name} through as raised, from every way in, with no connection made" do
          ways_in(@listener.url).each do |way, serialize|
            raised = with_backtrace(make.call)
            connections = @listener.count
            expect { serialize.call(carrier.call(-> { raise raised })) }
              .to raise_error { |e| expect(e).to equal(raised), "#{way}: got #{e.class}: #{e.message}" }
            expect(@listener.count).to eq(connections), way
          end
        end
      end

      it "lets a throw through to its catch, from every way in" do
        ways_in(@listener.url).each do |way, serialize|
          tag = Object.new
          caught = catch(tag) do
            serialize.call(carrier.call(-> { throw tag, :thrown }))
            :not_thrown
          end
          expect(caught).to eq(:thrown), way
        end
      end

      it "lets Thread#kill from another thread end the thread: nothing after the call runs" do
        ways_in(@listener.url).each do |way, serialize|
          entered = Queue.new
          after_call = []
          ensured = []
          payload = carrier.call(lambda {
            entered << true
            sleep 10
            "never"
          })
          thread = Thread.new do
            serialize.call(payload)
            after_call << :returned
          rescue StandardError => e
            after_call << e.class
          ensure
            ensured << :ensure
          end
          entered.pop
          thread.kill
          expect(thread.join(5)).to eq(thread), way
          expect([thread.status, after_call, ensured]).to eq([false, [], [:ensure]]), way
        end
      end

      it "lets Timeout.timeout end the call with Timeout::Error, long before the callback would" do
        # (Under GC_STRESS=1 through Payload.dump alone: Timeout's throw builds a backtrace inside the
        # native call, seconds of full GCs each time.)
        ways = ways_in(@listener.url)
        ways = ways.first(1).to_h if ENV["GC_STRESS"] == "1"
        ways.each do |way, serialize|
          payload = carrier.call(-> { sleep 120 })
          started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
          expect { Timeout.timeout(0.2) { serialize.call(payload) } }.to raise_error(Timeout::Error), way
          expect(Process.clock_gettime(Process::CLOCK_MONOTONIC) - started).to be < 60
        end
      end
    end
  end

  describe "a StandardError from a callback" do
    PayloadInterruptCases::SITES.except("the to_s of the StandardError a to_s raised").each do |site, carrier|
      it "in #{site} is still wrapped in SerializationError, with the original as its cause" do
        ways_in(@listener.url).each do |way, serialize|
          raised = with_backtrace(ArgumentError.new("cannot print me"))
          connections = @listener.count
          expect { serialize.call(carrier.call(-> { raise raised })) }
            .to raise_error(n::SerializationError, /raised: cannot print me/) { |e| expect(e.cause).to equal(raised), way }
          expect(@listener.count).to eq(connections), way
        end
      end
    end

    it "whose own to_s raises a StandardError is still wrapped, named by its class" do
      error = Class.new(StandardError) { def to_s = raise("no message either") }
      stub_const("UnprintableError", error)
      obj = Object.new
      obj.define_singleton_method(:to_s) { raise error }
      expect { payload_module.dump([obj]) }
        .to raise_error(n::SerializationError, /payload\[0\]: to_s raised: UnprintableError \(its to_s raised\)/) { |e|
          expect(e.cause).to be_a(UnprintableError)
        }
    end
  end

  # Real signals, each in a Ruby of its own (a signal to this process would stop the suite): the
  # default handlers raise Interrupt and SignalException in the main thread, inside the callback.
  describe "a real signal during a callback" do
    script = <<~'RUBY'
      require "chatwoot_integrations_rs"
      signal, rails = ARGV[0], ARGV[1] == "rails"
      obj = Object.new
      act = -> { Process.kill(signal, Process.pid); sleep 10; "never" }
      obj.define_singleton_method(:to_s) { act.call }
      obj.define_singleton_method(:as_json) { |*| act.call }
      begin
        Integrations::Native::Payload.dump({ "a" => { "b" => [obj] } }, rails: rails)
        puts "returned"
      rescue Exception => e # rubocop:disable Lint/RescueException
        puts [e.class, e.is_a?(SignalException) ? e.signo : nil].inspect
      end
    RUBY

    { "INT" => "[Interrupt, 2]", "TERM" => "[SignalException, 15]" }.each do |signal, expected|
      %w[json rails].each do |mode|
        it "SIG#{signal} (#{mode} mode) surfaces as Ruby raised it" do
          lib = File.expand_path("../../lib", __dir__)
          out, err, status = Open3.capture3(RbConfig.ruby, "-I", lib, "-e", script, signal, mode)
          expect([out.strip, status.success?]).to eq([expected, true]), err
        end
      end
    end
  end
end
