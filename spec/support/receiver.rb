# frozen_string_literal: true

require "webrick"
require "socket"
require "tmpdir"
require "fileutils"
require_relative "record_log"

# A real HTTP receiver on 127.0.0.1 (WEBrick) that runs in a forked child process, so nothing the
# test process does can slow it down: not GC.stress (process-wide, see spec_helper.rb), not a
# thread holding the GVL, not a busy spec. The parent binds the listening socket and keeps it until
# #stop, so the port is never free for another process to take, and a responder change (#respond)
# replaces the child behind the same port.
#
# The responder block runs in the child: it gets (request, index of this request in arrival order)
# and returns [status, headers, body]. State it keeps lives in the child, shared by the child's
# request threads; to tell it something from the test, use #signal / #signalled? (files). Each
# request is recorded when its answer is ready, before it is sent, with its arrival and finish
# times (CLOCK_MONOTONIC, which both processes share), so #received after a delivery returned
# always includes it.
class TestReceiver
  Request = Struct.new(:method, :path, :query, :headers, :body, :index, :arrived_at, :finished_at, keyword_init: true) do
    def header(name)
      headers[name.downcase]&.first
    end
  end

  DEFAULT_RESPONDER = ->(_request, _index) { [200, {}, "ok"] }

  attr_reader :port

  def initialize(&responder)
    raise "a test server was created inside a receiver's responder (it runs in the receiver's process): create it before #respond" if $PROGRAM_NAME.end_with?("[test receiver]")

    @listener = TCPServer.new("127.0.0.1", 0)
    @port = @listener.addr[1]
    @dir = Dir.mktmpdir("receiver")
    @log_path = File.join(@dir, "requests.log")
    @arrivals_path = File.join(@dir, "arrivals.log")
    @responder = responder || DEFAULT_RESPONDER
    start_child
  end

  def url(path = "/hook")
    "http://127.0.0.1:#{port}#{path}"
  end

  # Replaces the responder: the child is replaced, the port stays.
  def respond(&block)
    @responder = block
    stop_child
    start_child
  end

  # The requests answered so far, in arrival order.
  def received
    RecordLog.read(@log_path).map { |fields| Request.new(**fields) }.sort_by(&:index)
  end

  # How many requests have arrived (answered or not).
  def arrived
    File.exist?(@arrivals_path) ? File.size(@arrivals_path) : 0
  end

  # Largest number of requests in flight at once, from the recorded arrival and finish times.
  def peak_in_flight
    events = received.flat_map { |r| [[r.arrived_at, 1], [r.finished_at, -1]] }
    # At equal times a finish sorts first: a slot freed and taken again is not counted twice.
    events.sort_by { |time, delta| [time, delta] }.reduce([0, 0]) do |(now, peak), (_, delta)|
      [now + delta, [peak, now + delta].max]
    end.last
  end

  # A flag the responder (in the child) can read with #signalled?.
  def signal(name)
    FileUtils.touch(File.join(@dir, "signal-#{name}"))
  end

  def signalled?(name)
    File.exist?(File.join(@dir, "signal-#{name}"))
  end

  def stop
    stop_child
    @listener.close unless @listener.closed?
    FileUtils.rm_rf(@dir)
  end

  private

  def start_child
    @pid = fork { serve }
  end

  def stop_child
    return unless @pid

    Process.kill("KILL", @pid)
    Process.wait(@pid)
  rescue Errno::ESRCH, Errno::ECHILD
    nil
  ensure
    @pid = nil
  end

  # The child: WEBrick on the inherited listener until killed. exit! skips the parent's at_exit
  # hooks (RSpec's among them).
  def serve
    $PROGRAM_NAME = "#{$PROGRAM_NAME} [test receiver]"
    GC.stress = false
    log = File.open(@log_path, "ab")
    arrivals = File.open(@arrivals_path, "ab")
    lock = Mutex.new
    count = 0
    server = WEBrick::HTTPServer.new(DoNotListen: true, Logger: WEBrick::Log.new(File::NULL), AccessLog: [],
                                     DoNotReverseLookup: true)
    server.listeners << @listener
    server.mount_proc("/") do |req, res|
      arrived_at = now
      index = lock.synchronize { arrivals.syswrite("."); (count += 1) - 1 }
      request = Request.new(method: req.request_method, path: req.path, query: req.query_string, headers: req.header,
                            body: String.new(req.body.to_s, encoding: Encoding::UTF_8), index: index, arrived_at: arrived_at)
      status, headers, body = answer(request, index)
      request.finished_at = now
      lock.synchronize { RecordLog.append(log, request.to_h) }
      res.status = status
      headers.each { |k, v| res[k] = v }
      res.body = body
    end
    server.start
  ensure
    exit!(0)
  end

  def answer(request, index)
    @responder.call(request, index)
  rescue StandardError => e
    warn "TestReceiver responder raised #{e.class}: #{e.message}"
    [500, {}, "responder raised #{e.class}"]
  end

  def now
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end
end

# A loopback URL where nothing listens: the port is bound but not listening, and kept bound for the
# whole run, so no other process can start listening on it.
def closed_port_url
  $closed_port_socket ||= Socket.new(:INET, :STREAM).tap { |s| s.bind(Addrinfo.tcp("127.0.0.1", 0)) } # rubocop:disable Style/GlobalVars
  "http://127.0.0.1:#{$closed_port_socket.local_address.ip_port}/hook" # rubocop:disable Style/GlobalVars
end
