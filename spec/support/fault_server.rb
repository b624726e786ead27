# frozen_string_literal: true

require "socket"
require "tempfile"

# A receiver on 127.0.0.1 that misbehaves on purpose, one way per server:
#   :reset    answers a status and part of the body, then resets the connection (RST)
#   :reset_early resets the connection (RST) before answering anything
#   :trickle  sends its status line one byte every half second
#   :huge     answers 50 MB of body
#   :garbage  answers bytes that are not HTTP
#   :hangup   closes the connection without answering
#   :silent   accepts, reads the request and never answers (a hung receiver)
# Like TestReceiver it serves from a forked child on a listener the parent keeps, so GC stress or a
# busy test process cannot change how it behaves.
class FaultServer
  MODES = %i[reset reset_early trickle huge garbage hangup silent].freeze

  def initialize(mode)
    raise ArgumentError, "mode must be one of #{MODES}" unless MODES.include?(mode)

    @mode = mode
    @server = TCPServer.new("127.0.0.1", 0)
    @accepted = Tempfile.new("fault-server")
    @pid = fork do
      GC.stress = false
      loop do
        socket = @server.accept
        @accepted.syswrite(".")
        Thread.new(socket) { |s| serve(s) }
      end
    ensure
      exit!(0)
    end
  end

  def url
    "http://127.0.0.1:#{@server.addr[1]}/hook"
  end

  # Connections accepted so far (a waiting test knows its request is on the wire).
  def connections
    File.size(@accepted.path)
  end

  def stop
    Process.kill("KILL", @pid)
    Process.wait(@pid)
  rescue Errno::ESRCH, Errno::ECHILD
    nil
  ensure
    @server.close
    @accepted.close!
  end

  private

  def read_request(socket)
    head = +""
    head << socket.readpartial(4096) until head.include?("\r\n\r\n")
    length = head[/content-length:\s*(\d+)/i, 1].to_i
    body = head.split("\r\n\r\n", 2)[1].to_s
    body << socket.readpartial(4096) while body.bytesize < length
  rescue EOFError, Errno::ECONNRESET
    nil
  end

  def serve(socket)
    read_request(socket)
    case @mode
    when :reset
      socket.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial")
      socket.setsockopt(Socket::SOL_SOCKET, Socket::SO_LINGER, [1, 0].pack("ii"))
    when :reset_early
      socket.setsockopt(Socket::SOL_SOCKET, Socket::SO_LINGER, [1, 0].pack("ii"))
    when :trickle
      "HTTP/1.1 200 OK\r\n".each_char { |c| socket.write(c); sleep 0.5 }
    when :huge
      socket.write("HTTP/1.1 200 OK\r\nContent-Length: #{50 * 1024 * 1024}\r\n\r\n")
      chunk = "x" * (1024 * 1024)
      50.times { socket.write(chunk) }
    when :garbage
      socket.write("THIS IS NOT HTTP\r\n\r\n#{"\x00\xff" * 100}")
    when :hangup
      nil
    when :silent
      sleep # until #stop kills the process
    end
  rescue Errno::EPIPE, Errno::ECONNRESET, IOError
    nil
  ensure
    socket.close unless socket.closed?
  end
end
