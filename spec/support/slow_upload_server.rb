# frozen_string_literal: true

require "socket"
require "tempfile"

# An upload URL's server on 127.0.0.1 that reads a request body slowly (16 KiB every 0.1 s) and
# never answers: an upload to it stays under way. From a forked child (like TestReceiver), it
# records how many bytes it read and whether the client closed the connection. After #drain! it
# reads at full speed, so the end of a closed connection (behind what the kernel buffered) shows.
class SlowUploadServer
  def initialize
    @server = TCPServer.new("127.0.0.1", 0)
    @read = Tempfile.new("slow-upload-read")
    @closed = Tempfile.new("slow-upload-closed")
    @drain = Tempfile.new("slow-upload-drain")
    @pid = fork do
      GC.stress = false
      loop do
        socket = @server.accept
        Thread.new(socket) { |s| serve(s) }
      end
    ensure
      exit!(0)
    end
  end

  def base = "http://127.0.0.1:#{@server.addr[1]}"

  def read_bytes = File.read(@read.path).to_i

  def closed? = File.size(@closed.path).positive?

  def drain! = @drain.syswrite(".")

  def stop
    Process.kill("KILL", @pid)
    Process.wait(@pid)
  rescue Errno::ESRCH, Errno::ECHILD
    nil
  ensure
    @server.close
    @read.close!
    @closed.close!
    @drain.close!
  end

  private

  def serve(socket)
    total = 0
    loop do
      total += socket.readpartial(16 * 1024).bytesize
      File.write(@read.path, total.to_s)
      sleep 0.1 if File.empty?(@drain.path)
    end
  rescue EOFError, Errno::ECONNRESET
    @closed.syswrite(".")
  ensure
    socket.close unless socket.closed?
  end
end
