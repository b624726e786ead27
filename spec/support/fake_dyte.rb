# frozen_string_literal: true

require "json"
require "base64"

# A fake Cloudflare RealtimeKit (and Dyte v2) API on 127.0.0.1 (a TestReceiver), answering with
# their JSON: it checks the Bearer token (RealtimeKit) or the Basic organization:key pair (Dyte),
# the request bodies, and knows one app and only the presets it is told to.
class FakeDyte
  ACCOUNT = "acc-1"
  APP = "app-1"
  TOKEN = "cf-api-token"

  # presets: the preset names the app has. apps: how many other apps the account lists first.
  # existing: custom participant ids the meeting has already (adding one again fails).
  def initialize(presets: %w[group-call-host], apps: 0, verify_status: 200)
    @receiver = TestReceiver.new
    respond(presets: presets, apps: apps, verify_status: verify_status)
  end

  def respond(presets: %w[group-call-host], apps: 0, verify_status: 200, existing: [])
    @receiver.respond { |request, _| FakeDyte.answer(request, presets, apps, verify_status, existing) }
  end

  def url = @receiver.url("/client/v4")
  def dyte_url = @receiver.url("/v2")
  def received = @receiver.received
  def bodies = received.map { |r| r.body.empty? ? nil : JSON.parse(r.body) }
  def stop = @receiver.stop

  def self.json(status, body) = [status, { "Content-Type" => "application/json" }, JSON.generate(body)]
  def self.failure(status, message) = json(status, "success" => false, "error" => { "code" => status, "message" => message })

  def self.answer(request, presets, apps, verify_status, existing = [])
    basic = "Basic #{Base64.strict_encode64("org-1:dyte-key")}"
    kit = "/client/v4/accounts/#{ACCOUNT}/realtime/kit/#{APP}/"
    path = request.path
    if path.start_with?("/v2/")
      return failure(401, "Unauthorized") unless request.header("authorization") == basic

      rest = path.delete_prefix("/v2/")
    else
      return json(401, "success" => false, "errors" => [{ "code" => 10_000, "message" => "Authentication error" }]) unless request.header("authorization") == "Bearer #{TOKEN}"

      if path == "/client/v4/user/tokens/verify"
        return json(verify_status, "success" => verify_status == 200, "errors" => [], "result" => { "id" => "tok-1", "status" => "active" })
      end

      if path == "/client/v4/accounts/#{ACCOUNT}/realtime/kit/apps"
        page = request.query[/page_no=(\d+)/, 1].to_i
        all = Array.new(apps) { |i| { "id" => "other-#{i}", "name" => "Other #{i}" } } + [{ "id" => APP, "name" => "Support" }]
        return json(200, "success" => true, "data" => all.each_slice(50).to_a[page - 1] || [], "paging" => { "total_count" => all.size, "start_offset" => 0, "end_offset" => 0 })
      end
      return failure(403, "Forbidden") if path.start_with?("/client/v4/accounts/") && !path.start_with?(kit)

      rest = path.delete_prefix(kit)
    end
    body = request.body.empty? ? {} : JSON.parse(request.body)
    case [request.method, rest]
    in ["POST", "meetings"]
      return failure(400, "title is required") unless String === body["title"]

      json(201, "success" => true, "data" => { "id" => "meeting-1", "title" => body["title"], "status" => "ACTIVE", "record_on_start" => false })
    in ["POST", %r{\Ameetings/meeting-1/participants\z}]
      return failure(400, "custom_participant_id is required") unless body["custom_participant_id"].to_s.start_with?("user:")
      return failure(409, "Participant with custom_participant_id #{body["custom_participant_id"]} already exists") if existing.include?(body["custom_participant_id"])
      return failure(404, "No preset found with name: #{body["preset_name"]}") unless presets.include?(body["preset_name"])

      json(201, "success" => true, "data" => { "id" => "participant-1", "name" => body["name"], "picture" => body["picture"],
                                               "custom_participant_id" => body["custom_participant_id"], "preset_name" => body["preset_name"], "token" => "join-token-1" })
    in ["POST", "meetings/meeting-1/participants/participant-1/token"]
      json(200, "success" => true, "data" => { "token" => "join-token-2" })
    in ["GET", "meetings/meeting-1/participants"]
      json(200, "success" => true, "data" => [{ "id" => "participant-0", "custom_participant_id" => "user:1" },
                                              { "id" => "participant-1", "custom_participant_id" => "user:7" }])
    in ["POST", %r{\Ameetings/meeting-1/participants/[^/]+/token\z}]
      failure(404, "Participant not found")
    else failure(404, "Not found")
    end
  end
end
