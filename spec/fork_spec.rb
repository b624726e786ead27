# frozen_string_literal: true

# Puma and Sidekiq fork worker processes. The child must get its own runtime and client (the
# parent's runtime threads do not exist in the child), and the parent must be unaffected.
RSpec.describe "Integrations::Native across fork" do
  let(:n) { Integrations::Native }

  before do
    @receiver = TestReceiver.new
    @receiver.respond { |request, _| request.path == "/slow" ? (sleep 1; [200, {}, "slow"]) : [200, {}, "ok"] }
    n.configure { |c| c.allowed_private_cidrs = ["127.0.0.1/32"] }
  end

  after do
    @receiver.stop
    n.reset_configuration!
  end

  # Runs the block in a forked child; returns its exit status (0 when the block returned true).
  def in_child(&block)
    pid = fork do
      ok = begin
        block.call
      rescue Exception => e # rubocop:disable Lint/RescueException
        warn "child failed: #{e.class}: #{e.message}"
        false
      end
      exit!(ok ? 0 : 1)
    end
    _, status = Process.wait2(pid)
    status.exitstatus
  end

  it "works in the parent, in a child forked after use (Sidekiq style), and in the parent again" do
    expect(n.dispatch(url: @receiver.url("/parent-1"), payload: {})).to be_success
    expect(in_child { n.dispatch(url: @receiver.url("/child"), payload: {}, secret: "k").success? }).to eq(0)
    expect(n.dispatch(url: @receiver.url("/parent-2"), payload: {})).to be_success
    expect(@receiver.received.map(&:path)).to eq(%w[/parent-1 /child /parent-2])
  end

  it "works in a child forked right after require, before any use (Puma style)" do
    statuses = Array.new(2) { |i| in_child { n.dispatch(url: @receiver.url("/worker-#{i}"), payload: {}).success? } }
    expect(statuses).to eq([0, 0])
    expect(@receiver.received.map(&:path).sort).to eq(%w[/worker-0 /worker-1])
  end

  it "works in a child forked while the parent has requests in flight" do
    in_flight = Thread.new { n.dispatch(endpoints: Array.new(4) { { url: @receiver.url("/slow") } }, payload: {}) }
    expect(wait_for(timeout: 10) { @receiver.arrived >= 4 }).to be(true) # the slow requests are on the wire
    child = in_child do
      n.dispatch(endpoints: Array.new(3) { |i| { url: @receiver.url("/child-#{i}") } }, payload: {}).all?(&:success?)
    end
    expect(child).to eq(0)
    expect(in_flight.value.map(&:success?)).to eq([true] * 4)
    expect(n.dispatch(url: @receiver.url("/after"), payload: {})).to be_success
  end

  it "keeps the configuration it had at fork time" do
    n.configure { |c| c.allowed_private_cidrs = [] }
    expect(in_child { n.dispatch(url: @receiver.url("/refused"), payload: {}).error.include?("address guard") }).to eq(0)
    expect(@receiver.received).to be_empty
  end
end
