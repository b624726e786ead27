# frozen_string_literal: true

require "socket"

# A loopback HTTP listener that shows what TestReceiver (WEBrick) cannot: every TCP connection it
# accepts, and each request's target exactly as it was sent (WEBrick decodes the path and resolves
# its dot segments before a handler sees it, and refuses some targets outright). Binds 127.0.0.1
# and, when the machine has IPv6 loopback, ::1 on the same port. One request per connection,
# answered with `Connection: close`.
class RawListener
  Request = Struct.new(:method, :target, :headers, :body, keyword_init: true)

  attr_reader :port

  def initialize
    @servers = [TCPServer.new("127.0.0.1", 0)]
    @port = @servers.first.addr[1]
    begin
      @servers << TCPServer.new("::1", @port)
    rescue SystemCallError
      nil # no IPv6 loopback here, or the port is taken on it: 127.0.0.1 alone
    end
    @lock = Mutex.new
    @connections = 0
    @requests = []
    @responder = ->(_request) { [200, {}, "ok"] }
    @threads = @servers.map { |server| Thread.new { serve(server) } }
  end

  def ipv6?
    @servers.size > 1
  end

  def url(path = "/hook")
    "http://127.0.0.1:#{@port}#{path}"
  end

  # The block gets a Request and returns [status, headers, body].
  def respond(&block)
    @responder = block
  end

  # TCP connections accepted, on either address, whether or not a request followed.
  def connections
    @lock.synchronize { @connections }
  end

  def requests
    @lock.synchronize { @requests.dup }
  end

  def stop
    @servers.each(&:close)
    @threads.each { |thread| thread.join(2) }
  end

  private

  def serve(server)
    loop do
      client = server.accept
      @lock.synchronize { @connections += 1 }
      Thread.new(client) { |socket| answer(socket) }
    end
  rescue IOError, SystemCallError
    nil # closed by #stop
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
    @lock.synchronize { @requests << request }
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
