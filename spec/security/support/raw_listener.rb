# frozen_string_literal: true

require "socket"
require "tmpdir"
require "fileutils"
require_relative "../../support/record_log"

# A loopback HTTP listener that shows what TestReceiver (WEBrick) cannot: every TCP connection it
# accepts, and each request's target exactly as it was sent (WEBrick decodes the path and resolves
# its dot segments before a handler sees it, and refuses some targets outright). Binds 127.0.0.1
# and, when the machine has IPv6 loopback, ::1 on the same port. One request per connection,
# answered with `Connection: close`. Like TestReceiver it serves from a forked child on listeners
# the parent keeps (GC stress in the test process cannot slow it, the port is never given up); the
# responder runs in the child, and requests and connections are counted through files.
class RawListener
  Request = Struct.new(:method, :target, :headers, :body, keyword_init: true)

  attr_reader :port

  def initialize
    raise "a test server was created inside a receiver's responder (it runs in the receiver's process): create it before #respond" if $PROGRAM_NAME.end_with?("[test receiver]")

    @servers = [TCPServer.new("127.0.0.1", 0)]
    @port = @servers.first.addr[1]
    begin
      @servers << TCPServer.new("::1", @port)
    rescue SystemCallError
      nil # no IPv6 loopback here, or the port is taken on it: 127.0.0.1 alone
    end
    @dir = Dir.mktmpdir("raw-listener")
    @responder = ->(_request) { [200, {}, "ok"] }
    start_child
  end

  def ipv6?
    @servers.size > 1
  end

  def url(path = "/hook")
    "http://127.0.0.1:#{@port}#{path}"
  end

  # The block gets a Request and returns [status, headers, body]. It runs in the child, which is
  # replaced; the port stays.
  def respond(&block)
    @responder = block
    stop_child
    start_child
  end

  # TCP connections accepted, on either address, whether or not a request followed.
  def connections
    path = File.join(@dir, "connections")
    File.exist?(path) ? File.size(path) : 0
  end

  def requests
    RecordLog.read(File.join(@dir, "requests")).map { |fields| Request.new(**fields) }
  end

  def stop
    stop_child
    @servers.each(&:close)
    FileUtils.rm_rf(@dir)
  end

  private

  def start_child
    @pid = fork do
      $PROGRAM_NAME = "#{$PROGRAM_NAME} [test receiver]"
      GC.stress = false
      @connections_log = File.open(File.join(@dir, "connections"), "ab")
      @requests_log = File.open(File.join(@dir, "requests"), "ab")
      @lock = Mutex.new
      @servers.map { |server| Thread.new { serve(server) } }.each(&:join)
    ensure
      exit!(0)
    end
  end

  def stop_child
    Process.kill("KILL", @pid)
    Process.wait(@pid)
  rescue Errno::ESRCH, Errno::ECHILD
    nil
  end

  def serve(server)
    loop do
      client = server.accept
      @lock.synchronize { @connections_log.syswrite(".") }
      Thread.new(client) { |socket| answer(socket) }
    end
  rescue IOError, SystemCallError
    nil
  end

  def answer(client)
    data = String.new
    data << client.readpartial(65_536) until data.include?("\r\n\r\n")
    head, body = data.split("\r\n\r\n", 2)
    request_line, *lines = head.split("\r\n")
    method, target, = request_line.split(" ", 3)
    headers = lines.to_h do |line|
      name, value = line.split(":", 2)
      [name.strip.downcase, value.to_s.strip]
    end
    body = body.to_s
    body << client.readpartial(65_536) while body.bytesize < headers["content-length"].to_i
    request = Request.new(method: method, target: target, headers: headers, body: body)
    @lock.synchronize { RecordLog.append(@requests_log, request.to_h) }
    status, extra, text = @responder.call(request)
    response = +"HTTP/1.1 #{status} X\r\nContent-Length: #{text.bytesize}\r\nConnection: close\r\n"
    extra.each { |name, value| response << "#{name}: #{value}\r\n" }
    client.write(response << "\r\n" << text)
  rescue IOError, SystemCallError
    nil # the client went away
  ensure
    client.close
  end
end
