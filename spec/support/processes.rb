# frozen_string_literal: true

require "socket"
require "tmpdir"

# Polls until the block is truthy or `timeout` seconds pass; returns the block's last value.
def wait_for(timeout: 20, interval: 0.1)
  deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout
  loop do
    value = yield
    return value if value || Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline

    sleep interval
  end
end

# A real redis-server without persistence, stopped by #stop. It listens on a Unix socket in its own
# directory only (port 0 turns TCP off), so no other process can take its address between our
# choosing it and redis binding it.
class TestRedis
  attr_reader :url

  def initialize
    require "redis"
    Redis.silence_deprecations = true # Sidekiq 6.4 calls sadd in the form redis 4.8 warns about
    @dir = Dir.mktmpdir("redis")
    socket = File.join(@dir, "redis.sock")
    @pid = Process.spawn("redis-server", "--port", "0", "--unixsocket", socket, "--unixsocketperm", "700", "--save", "",
                         "--appendonly", "no", "--dir", @dir, out: File::NULL, err: File::NULL)
    @url = "unix://#{socket}"
    ready = wait_for(timeout: 10) { UNIXSocket.new(socket).close || true rescue false } # rubocop:disable Style/RescueModifier
    raise "redis-server did not start on #{socket}" unless ready
  end

  def stop
    Process.kill("TERM", @pid)
    Process.wait(@pid)
    FileUtils.rm_rf(@dir)
  rescue Errno::ESRCH, Errno::ECHILD
    nil
  end
end

# A real Sidekiq process (Debian's sidekiq CLI) running spec/support/sidekiq_app.rb.
class TestSidekiq
  attr_reader :pid, :log_path

  def initialize(env)
    @log_path = File.join(Dir.tmpdir, "sidekiq-#{Process.pid}-#{rand(1 << 30)}.log")
    app = File.expand_path("../apps/sidekiq_app.rb", __dir__)
    @pid = Process.spawn(env, "sidekiq", "-r", app, "-q", "webhooks", "-c", "5", "-t", "3",
                         out: @log_path, err: @log_path)
  end

  def log
    File.exist?(log_path) ? File.read(log_path) : ""
  end

  # -t 3, not less: Sidekiq 6.4 idle processors sit in a 2 s BRPOP, and a hard shutdown that comes
  # sooner can hand a requeued job to one of them just before it is killed (the job is then lost).
  #
  # Graceful stop as a deploy does (TERM): Sidekiq waits -t seconds, then pushes unfinished jobs
  # back to Redis and interrupts their threads. Returns the seconds it took to exit.
  def terminate
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    Process.kill("TERM", pid)
    Process.wait(pid)
    Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
  rescue Errno::ESRCH, Errno::ECHILD
    0
  end
end
