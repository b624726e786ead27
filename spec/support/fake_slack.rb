# frozen_string_literal: true

require "json"
require "digest"
require "uri"
require_relative "receiver"

# A fake Slack on 127.0.0.1 (a TestReceiver: a real HTTP server in a forked child) speaking the Web
# API's JSON: chat.postMessage, users.info, conversations.members, chat.unfurl, the external upload
# flow (files.getUploadURLExternal, the upload URL it hands out, files.completeUploadExternal) and
# url_private downloads. Like Slack, it answers HTTP 200 with {"ok": false, "error": …} for a missing
# or wrong Bearer token, an unknown channel or user and malformed arguments; #fail makes a method
# answer a chosen error (or HTTP status) instead.
class FakeSlack
  TOKEN = "xoxb-fake-bot-token"
  CHANNEL = "C0123"
  USERS = { "U2" => "agent.ann@example.com", "U3" => nil }.freeze
  # url_private downloads: path => [content type, bytes].
  FILES = {
    "/files-pri/T1-F1/photo.png" => ["image/png", "\x89PNG\r\n\x1A\n#{"p" * 64}".b],
    "/files-pri/T1-F2/report.pdf" => ["application/pdf", "%PDF-1.7 #{"d" * 100}".b],
  }.freeze

  def initialize
    @faults = {}
    @receiver = TestReceiver.new(&responder)
  end

  def port = @receiver.port

  def api_url = "http://127.0.0.1:#{port}/api"

  def file_url(path) = "http://127.0.0.1:#{port}#{path}"

  # Makes `method` answer {"ok": false, "error": error}, or HTTP `status` (with headers) instead.
  def fail(method, error: nil, status: 200, headers: {})
    @faults[method] = { error: error, status: status, headers: headers }.freeze
    @receiver.respond(&responder)
  end

  # Makes the upload URLs it hands out point at `base` ("http://127.0.0.1:port", another server).
  def upload_to(base)
    @faults[:upload_base] = base
    @receiver.respond(&responder)
  end

  # Requests answered so far, optionally only those for one Web API method (or raw path).
  def received(method = nil)
    all = @receiver.received
    return all unless method

    path = method.start_with?("/") ? method : "/api/#{method}"
    all.select { |r| r.path == path }
  end

  # A request's form fields (Web API read methods and files.* take form encoding).
  def self.form(request)
    URI.decode_www_form(request.body).to_h
  end

  def stop = @receiver.stop

  private

  def responder
    faults = @faults.dup.freeze
    ->(request, index) { FakeSlack.answer(request, index, faults) }
  end

  class << self
    def answer(request, index, faults)
      method = request.path.delete_prefix("/api/")
      if (fault = faults[method])
        return [fault[:status], fault[:headers], ""] if fault[:status] != 200

        return slack(ok: false, error: fault[:error])
      end
      return upload(request) if request.path.start_with?("/upload/")
      return download(request) if request.path.start_with?("/files-pri/")
      return slack(ok: false, error: "not_authed") if request.header("authorization").nil?
      return slack(ok: false, error: "invalid_auth") if request.header("authorization") != "Bearer #{TOKEN}"

      case method
      when "chat.postMessage" then post_message(request, index)
      when "users.info" then users_info(request)
      when "conversations.members" then members(request)
      when "chat.unfurl" then unfurl(request)
      when "files.getUploadURLExternal" then upload_url(request, index, faults[:upload_base])
      when "files.completeUploadExternal" then complete_upload(request)
      else slack(ok: false, error: "unknown_method")
      end
    end

    private

    def slack(**body)
      [200, { "Content-Type" => "application/json; charset=utf-8" }, JSON.generate(body)]
    end

    def json_body(request)
      return nil unless request.header("content-type").to_s.start_with?("application/json")

      JSON.parse(request.body)
    rescue JSON::ParserError
      nil
    end

    def form_body(request)
      return nil unless request.header("content-type").to_s.start_with?("application/x-www-form-urlencoded")

      FakeSlack.form(request)
    end

    def post_message(request, index)
      body = json_body(request) or return slack(ok: false, error: "invalid_arguments")
      return slack(ok: false, error: "no_text") if body["text"].to_s.empty?
      return slack(ok: false, error: "channel_not_found") if body["channel"] != CHANNEL

      ts = format("1764367600.%06d", index + 100)
      message = { "type" => "message", "text" => body["text"], "username" => body["username"], "ts" => ts }
      message["thread_ts"] = body["thread_ts"] if body["thread_ts"]
      slack(ok: true, channel: CHANNEL, ts: ts, message: message)
    end

    def users_info(request)
      form = form_body(request) or return slack(ok: false, error: "invalid_arguments")
      return slack(ok: false, error: "user_not_found") unless USERS.key?(form["user"])

      profile = { "real_name" => "Ann" }
      profile["email"] = USERS[form["user"]] if USERS[form["user"]]
      slack(ok: true, user: { id: form["user"], name: "ann", profile: profile })
    end

    def members(request)
      form = form_body(request) or return slack(ok: false, error: "invalid_arguments")
      return slack(ok: false, error: "channel_not_found") if form["channel"] != CHANNEL

      slack(ok: true, members: %w[U2 UBOT], response_metadata: { next_cursor: "" })
    end

    def unfurl(request)
      form = form_body(request) or return slack(ok: false, error: "invalid_arguments")
      return slack(ok: false, error: "invalid_arguments") if form["unfurl_id"].to_s.empty? || form["source"].to_s.empty?

      JSON.parse(form["unfurls"].to_s)
      slack(ok: true)
    rescue JSON::ParserError
      slack(ok: false, error: "invalid_unfurls_format")
    end

    # The upload URL is on the host the request came to (this server), unless `base` says otherwise.
    def upload_url(request, index, base)
      form = form_body(request) or return slack(ok: false, error: "invalid_arguments")
      return slack(ok: false, error: "invalid_arguments") if form["filename"].to_s.empty? || form["length"].to_s !~ /\A\d+\z/

      id = "F#{index + 1000}"
      slack(ok: true, upload_url: "#{base || "http://#{request.header("host")}"}/upload/#{id}?length=#{form["length"]}", file_id: id)
    end

    # The upload URL takes the raw bytes (or a multipart form with them), no token. The recorded
    # body becomes its size and digest, so a large upload does not fill the request log.
    def upload(request)
      bytes = request.body.b
      request.body = JSON.generate("size" => bytes.bytesize, "sha256" => Digest::SHA256.hexdigest(bytes),
                                   "content_type" => request.header("content-type"))
      [200, { "Content-Type" => "text/plain" }, "OK - #{bytes.bytesize}"]
    end

    def complete_upload(request)
      form = form_body(request) or return slack(ok: false, error: "invalid_arguments")
      files = JSON.parse(form["files"].to_s)
      return slack(ok: false, error: "invalid_arguments") unless files.is_a?(Array) && files.all? { |f| f["id"].to_s.start_with?("F") }
      return slack(ok: false, error: "channel_not_found") if form["channel_id"] && form["channel_id"] != CHANNEL

      slack(ok: true, files: files.map { |f| { id: f["id"], title: f["title"] } })
    rescue JSON::ParserError
      slack(ok: false, error: "invalid_arguments")
    end

    # Like Slack, a refused download (wrong token, a file of another workspace: /denied/) is a
    # redirect to the login page.
    def download(request)
      return [302, { "Location" => "/login" }, ""] if request.header("authorization") != "Bearer #{TOKEN}" || request.path.include?("/denied/")

      type, bytes = FILES[request.path]
      return [404, {}, "not found"] unless bytes

      [200, { "Content-Type" => type }, bytes]
    end
  end
end
