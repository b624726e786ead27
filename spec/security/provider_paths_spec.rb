# frozen_string_literal: true

require "json"
require "openssl"
require_relative "support/raw_listener"

# Hostile input: values put into a provider URL's path stay one path segment. Dialogflow's
# session is the contact's source_id, which a channel (a website widget, an API inbox) lets anyone
# choose; the hook's project and region are settings. A fake Google token endpoint (TestReceiver)
# issues the token; a fake Dialogflow (RawListener, which records each request target exactly as
# sent, where WEBrick would decode it and resolve its dot segments) answers detectIntent.
RSpec.describe "Provider URL paths" do
  let(:n) { Integrations::Native }
  let(:rsa) { OpenSSL::PKey::RSA.generate(2048) }
  let(:google) { TestReceiver.new }
  let(:dialogflow) { RawListener.new }
  let(:credentials) do
    { "type" => "service_account", "project_id" => "acme-bot", "client_email" => "bot@acme-bot.iam.gserviceaccount.com",
      "private_key" => rsa.private_to_pem, "token_uri" => "https://oauth2.googleapis.com/token" }
  end
  # Chatwoot's conversation, with the contact_inbox whose source_id is the Dialogflow session.
  let(:conversation_class) { Struct.new(:id, :identifier, :account, :messages, :contact_inbox, :status, keyword_init: true) }

  # RFC 3986: everything but the unreserved characters percent-encoded (written here independently
  # of the gem, to check it).
  def segment(text)
    text.b.gsub(/[^A-Za-z0-9\-._~]/n) { |c| format("%%%02X", c.ord) }
  end

  def perform(source_id, settings = {})
    conversation = conversation_class.new(id: 57, identifier: nil, account: FakeChatwoot::Account.new("Acme"), messages: [],
                                          contact_inbox: Struct.new(:source_id).new(source_id), status: "pending")
    message = FakeChatwoot::Message.new(content: "Where is my order?", message_type: :incoming, conversation: conversation)
    hook = FakeChatwoot::Hook.new(app_id: "dialogflow", active: true,
                                  settings: { "project_id" => "acme-bot", "credentials" => JSON.generate(credentials) }.merge(settings))
    n::SendService.new(hook: hook, message: message).perform
  end

  before do
    google.respond { [200, { "Content-Type" => "application/json" }, JSON.generate("access_token" => "ya29.fake-token", "expires_in" => 3599)] }
    dialogflow.respond do |request|
      next [401, {}, "{}"] unless request.headers["authorization"] == "Bearer ya29.fake-token"

      [200, { "Content-Type" => "application/json" }, JSON.generate("queryResult" => { "fulfillmentMessages" => [{ "text" => { "text" => ["ok"] } }] })]
    end
    n.configure do |c|
      c.allowed_private_cidrs = ["127.0.0.1/32"]
      c.google_token_url = "http://127.0.0.1:#{google.port}/token"
      c.dialogflow_api_url = "http://127.0.0.1:#{dialogflow.port}"
    end
  end

  after do
    google.stop
    dialogflow.stop
    n.reset_configuration!
  end

  let(:hostile_sessions) do
    [
      "x/../../../../v2/projects/OTHER/agent/sessions/y",
      "../../../../../../v2/projects/OTHER/agent/sessions/y",
      "a?key=injected",
      "a#fragment",
      "a:detectIntent?x=",
      "a%2F..%2Fb",
      "%2e%2e",
      ".%2E",
      "a/./b",
      "a\\..\\b",
      "//evil.example/x",
      "a b\tc",
      "a@evil.example",
      "Ünïcødé",
      "+15551234567",
      "5f0ac3d4-4c3e-4c1d-9e2a-2d6c9b0c1e7f",
    ]
  end

  it "sends every session id as one segment of the hook's own project's session path" do
    hostile_sessions.each do |source_id|
      before = dialogflow.requests.size
      expect(perform(source_id)).to be_reply
      targets = dialogflow.requests.drop(before).map(&:target)
      expected = ["/v2/projects/acme-bot/agent/sessions/#{segment(source_id)}:detectIntent"]
      expect(targets).to eq(expected), "#{source_id.inspect} arrived as #{targets.inspect}, not #{expected.inspect}"
    end
    expect(dialogflow.requests.map { |r| r.headers["authorization"] }.uniq).to eq(["Bearer ya29.fake-token"])
    expect(google.received.map(&:path)).to eq(["/token"])
  end

  it "keeps the session one segment with a region" do
    expect(perform("x/../../y", "region" => "europe-west1")).to be_reply
    expect(dialogflow.requests.map(&:target))
      .to eq(["/v2/projects/acme-bot/locations/europe-west1/agent/sessions/x%2F..%2F..%2Fy:detectIntent"])
  end

  it "refuses a session id that cannot be a segment (empty or only dots), before any request" do
    ["", ".", "..", "..."].each do |source_id|
      expect { perform(source_id) }.to raise_error(ArgumentError, /source_id/), source_id.inspect
    end
    expect([dialogflow.connections, google.received.size]).to eq([0, 0])
  end

  it "refuses a project id or region outside Google's characters, before any request" do
    ["OTHER/agent/sessions/y/../..", "acme-bot?x=", "acme-bot#", "..", "acme bot", "%2e%2e"].each do |project|
      expect { perform("s", "project_id" => project) }.to raise_error(n::ConfigurationError, /project_id/), project
    end
    ["evil.example/#", "evil.example", "europe-west1/../..", "EUROPE", "eu?x=", "-eu"].each do |region|
      expect { perform("s", "region" => region) }.to raise_error(n::ConfigurationError, /region/), region
    end
    expect([dialogflow.connections, google.received.size]).to eq([0, 0])
  end
end
