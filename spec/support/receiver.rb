# frozen_string_literal: true

require "webrick"
require "socket"

# A real HTTP receiver on 127.0.0.1 (WEBrick in this process). Each request is recorded; the
# response comes from the block given to #respond (status, headers, body), default 200 "ok".
# It runs in a Ruby thread of this process, so a dispatch that kept the GVL would deadlock here.
class TestReceiver
  Request = Struct.new(:method, :path, :headers, :body, keyword_init: true) do
    def header(name)
      headers[name.downcase]&.first
    end
  end

  attr_reader :requests

  def initialize
    @requests = Queue.new
    @log = []
    @lock = Mutex.new
    @responder = ->(_request, _index) { [200, {}, "ok"] }
    @server = WEBrick::HTTPServer.new(BindAddress: "127.0.0.1", Port: 0, Logger: WEBrick::Log.new(File::NULL),
                                      AccessLog: [], DoNotReverseLookup: true)
    @server.mount_proc("/") { |req, res| handle(req, res) }
    @thread = Thread.new { @server.start }
  end

  def port
    @server.listeners.first.addr[1]
  end

  def url(path = "/hook")
    "http://127.0.0.1:#{port}#{path}"
  end

  # The block gets (request, index of this request) and returns [status, headers, body].
  def respond(&block)
    @responder = block
  end

  def received
    @lock.synchronize { @log.dup }
  end

  def stop
    @server.shutdown
    @thread.join(5)
  end

  private

  def handle(req, res)
    request = Request.new(method: req.request_method, path: req.path, headers: req.header, body: String.new(req.body.to_s, encoding: Encoding::UTF_8))
    index = @lock.synchronize { @log << request; @log.size - 1 }
    status, headers, body = @responder.call(request, index)
    res.status = status
    headers.each { |k, v| res[k] = v }
    res.body = body
  end
end

# A loopback port with nothing listening.
def closed_port_url
  server = TCPServer.new("127.0.0.1", 0)
  port = server.addr[1]
  server.close
  "http://127.0.0.1:#{port}/hook"
end
