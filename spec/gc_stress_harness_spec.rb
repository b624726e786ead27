# frozen_string_literal: true

# The GC-stress switch the GC_STRESS=1 run wraps around every native call (support/gc_stress.rb).
# A switch that saves and restores GC.stress per call leaks it on when two threads overlap, and
# everything after crawls; this one must end with GC.stress off however calls overlap or end.
RSpec.describe GCStress do
  it "leaves GC.stress off after many threads overlap, and while one is inside keeps it on" do
    inside = Queue.new
    release = Queue.new
    holder = Thread.new { described_class.around { inside << true; release.pop } }
    inside.pop
    workers = Array.new(8) { Thread.new { 20.times { described_class.around { Thread.pass } } } }
    workers.each(&:join)
    expect(GC.stress).to be_truthy # the holder is still inside
    release << true
    holder.join
    expect([GC.stress, described_class.depth]).to eq([false, 0])
  end

  it "leaves GC.stress off when a thread inside is killed or interrupted by Timeout" do
    inside = Queue.new
    victim = Thread.new { described_class.around { inside << true; sleep } }
    inside.pop
    victim.kill.join
    expect { Timeout.timeout(0.05) { described_class.around { sleep } } }.to raise_error(Timeout::Error)
    expect([GC.stress, described_class.depth]).to eq([false, 0])
  end
end
