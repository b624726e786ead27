# frozen_string_literal: true

# Dyte / Cloudflare RealtimeKit against a fake API on 127.0.0.1 that checks the credentials and
# bodies and answers with the APIs' JSON.
RSpec.describe Integrations::Native::Dyte do
  let(:n) { Integrations::Native }
  let(:server) { FakeDyte.new }
  let(:settings) { { "account_id" => FakeDyte::ACCOUNT, "app_id" => FakeDyte::APP, "api_token" => FakeDyte::TOKEN } }
  let(:dyte) { described_class.new(hook: Struct.new(:settings).new(settings), api_url: server.url) }

  before { n.configure { |c| c.allowed_private_cidrs = ["127.0.0.1/32"] } }

  after do
    server.stop
    n.reset_configuration!
  end

  it "creates a meeting and answers with what Chatwoot stores on the meeting message" do
    result = dyte.create_meeting(title: "Sam's meeting")
    expect(result[:content_attributes]).to eq("type" => "dyte", "data" => { "meeting_id" => "meeting-1" })
    expect(result[:data]).to include("id" => "meeting-1", "title" => "Sam's meeting")
    request = server.received.last
    expect([request.method, request.path]).to eq(["POST", "/client/v4/accounts/acc-1/realtime/kit/app-1/meetings"])
    expect(server.bodies.last).to eq("title" => "Sam's meeting")
  end

  it "adds the agent as a host, retrying with the older preset name when the app has no such preset, and refreshes tokens" do
    added = dyte.add_participant(meeting_id: "meeting-1", user_id: 7, name: "Sam", picture: "https://chat.acme.com/sam.png")
    expect(added[:data]).to include("token" => "join-token-1", "custom_participant_id" => "user:7")
    expect(server.bodies.last).to eq("custom_participant_id" => "user:7", "name" => "Sam", "picture" => "https://chat.acme.com/sam.png", "preset_name" => "group-call-host")

    server.respond(presets: %w[group_call_host])
    added = dyte.add_participant(meeting_id: "meeting-1", user_id: 7, name: "Sam", picture: "p")
    expect(added[:data]["preset_name"]).to eq("group_call_host")
    expect(server.bodies.last(2).map { |b| b["preset_name"] }).to eq(%w[group-call-host group_call_host])

    server.respond(presets: [])
    failed = dyte.add_participant(meeting_id: "meeting-1", user_id: 7, name: "Sam", picture: "p")
    expect(failed).to eq(error: { "success" => false, "error" => { "code" => 404, "message" => "No preset found with name: group_call_host" } }, error_code: 404)

    expect(dyte.refresh_token(meeting_id: "meeting-1", participant_id: "participant-1")).to eq(data: { "token" => "join-token-2" })
    expect(server.received.last.path).to end_with("/meetings/meeting-1/participants/participant-1/token")
  end

  it "keeps Dyte's v2 API with Basic auth for legacy settings" do
    legacy = described_class.new(hook: Struct.new(:settings).new({ "organization_id" => "org-1", "api_key" => "dyte-key" }), api_url: server.dyte_url)
    expect(legacy.create_meeting(title: "Call")[:content_attributes]).to eq("type" => "dyte", "data" => { "meeting_id" => "meeting-1" })
    expect(server.received.last.path).to eq("/v2/meetings")
    expect(legacy.credentials_problem).to be_nil
    wrong = described_class.new(hook: Struct.new(:settings).new({ "organization_id" => "org-1", "api_key" => "nope" }), api_url: server.dyte_url)
    expect(wrong.create_meeting(title: "Call")[:error_code]).to eq(401)
    expect { described_class.new(hook: Struct.new(:settings).new({})).create_meeting(title: "x") }
      .to raise_error(n::ConfigurationError, /realtimekit credentials required/)
  end

  it "checks credentials on save: an active token and the app in the account (paged), failing open on 5xx and network errors" do
    server.respond(apps: 120)
    expect(dyte.credentials_problem).to be_nil
    expect(server.received.map(&:query).compact).to eq(%w[page_no=1&per_page=50 page_no=2&per_page=50 page_no=3&per_page=50])
    bad_token = described_class.new(hook: Struct.new(:settings).new(settings.merge("api_token" => "wrong")), api_url: server.url)
    expect(bad_token.credentials_problem).to eq("invalid_api_token")
    other_app = described_class.new(hook: Struct.new(:settings).new(settings.merge("app_id" => "app-9")), api_url: server.url)
    expect(other_app.credentials_problem).to eq("app_not_found")
    other_account = described_class.new(hook: Struct.new(:settings).new(settings.merge("account_id" => "acc-9")), api_url: server.url)
    expect(other_account.credentials_problem).to eq("invalid_account_or_permissions")
    server.respond(verify_status: 503)
    expect(dyte.credentials_problem).to be_nil
    unreachable = described_class.new(hook: Struct.new(:settings).new(settings), api_url: closed_port_url)
    expect(unreachable.credentials_problem).to be_nil
  end

  it "joins Chatwoot's newest way: a stored participant's token refreshed, else added, else found in the list" do
    joined = dyte.join(meeting_id: "meeting-1", user_id: 7, name: "Sam", picture: "p", participant_id: "participant-1")
    expect(joined).to eq(data: { "token" => "join-token-2" })
    added = dyte.join(meeting_id: "meeting-1", user_id: 7, name: "Sam", picture: "p", participant_id: "participant-gone")
    expect([added[:data]["token"], added[:participant_id]]).to eq(%w[join-token-1 participant-1])
    missing = dyte.join(meeting_id: "meeting-1", user_id: 9, name: "Kim", picture: "p")
    expect(missing[:data]).to include("custom_participant_id" => "user:9")

    existing = FakeDyte.new
    existing.respond(existing: ["user:7"])
    again = described_class.new(hook: Struct.new(:settings).new(settings), api_url: existing.url)
    found = again.join(meeting_id: "meeting-1", user_id: 7, name: "Sam", picture: "p")
    expect(found).to eq(data: { "token" => "join-token-2" }, participant_id: "participant-1")
    expect(existing.received.map { |r| [r.method, r.path.split("/kit/app-1/").last] })
      .to eq([%w[POST meetings/meeting-1/participants], %w[GET meetings/meeting-1/participants], %w[POST meetings/meeting-1/participants/participant-1/token]])
  ensure
    existing&.stop
  end

  it "never shows the token" do
    expect(dyte.inspect).not_to include(FakeDyte::TOKEN)
  end
end
