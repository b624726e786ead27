# frozen_string_literal: true

require "json"
require "openssl"
require "base64"

# Dialogflow through SendService, against a fake Google token endpoint (which verifies the RS256
# JWT with the key's public half, as Google does) and a fake Dialogflow detectIntent.
RSpec.describe "Integrations::Native::SendService with Dialogflow" do
  let(:n) { Integrations::Native }
  let(:rsa) { OpenSSL::PKey::RSA.generate(2048) }
  let(:google) { TestReceiver.new }
  let(:dialogflow) { TestReceiver.new }
  let(:credentials) do
    { "type" => "service_account", "project_id" => "acme-bot", "client_email" => "bot@acme-bot.iam.gserviceaccount.com",
      "private_key" => rsa.private_to_pem, "token_uri" => "https://oauth2.googleapis.com/token" }
  end
  let(:token_url) { "http://127.0.0.1:#{google.port}/token" }
  let(:conversation) do
    FakeChatwoot::Conversation.new(id: 57, identifier: nil, account: FakeChatwoot::Account.new("Acme"), messages: [], status: "pending")
  end
  let(:message) { FakeChatwoot::Message.new(content: "Where is my order?", message_type: :incoming, conversation: conversation) }

  def hook(settings = {})
    FakeChatwoot::Hook.new(app_id: "dialogflow", active: true,
                           settings: { "project_id" => "acme-bot", "credentials" => JSON.generate(credentials) }.merge(settings))
  end

  def b64url_decode(part)
    Base64.urlsafe_decode64(part + ("=" * ((4 - part.size % 4) % 4)))
  end

  # A token endpoint that checks the JWT like Google: RS256 signature, iss, scope, aud, one-hour life.
  def google_issues_tokens(public_key: rsa.public_key)
    google.respond do |request, _|
      form = URI.decode_www_form(request.body).to_h
      header, claims, signature = form["assertion"].to_s.split(".")
      valid = form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer" &&
              JSON.parse(b64url_decode(header))["alg"] == "RS256" &&
              public_key.verify("SHA256", b64url_decode(signature), "#{header}.#{claims}")
      payload = JSON.parse(b64url_decode(claims))
      valid &&= payload["iss"] == credentials["client_email"] && payload["aud"] == token_url &&
                payload["scope"] == "https://www.googleapis.com/auth/cloud-platform" && payload["exp"] - payload["iat"] == 3600
      if valid
        [200, { "Content-Type" => "application/json" }, JSON.generate("access_token" => "ya29.fake-token", "expires_in" => 3599, "token_type" => "Bearer")]
      else
        [400, { "Content-Type" => "application/json" }, JSON.generate("error" => "invalid_grant", "error_description" => "Invalid JWT Signature.")]
      end
    end
  end

  def dialogflow_answers(messages, status: 200)
    dialogflow.respond do |request, _|
      next [401, {}, JSON.generate("error" => { "code" => 401, "status" => "UNAUTHENTICATED" })] unless request.header("authorization") == "Bearer ya29.fake-token"

      [status, { "Content-Type" => "application/json" }, JSON.generate("responseId" => "r-1", "queryResult" => { "fulfillmentMessages" => messages })]
    end
  end

  before do
    n.configure do |c|
      c.allowed_private_cidrs = ["127.0.0.1/32"]
      c.google_token_url = token_url
      c.dialogflow_api_url = "http://127.0.0.1:#{dialogflow.port}"
    end
  end

  after do
    google.stop
    dialogflow.stop
    n.reset_configuration!
  end

  it "exchanges the service-account JWT for a token, calls detectIntent, and returns the replies" do
    google_issues_tokens
    dialogflow_answers([{ "text" => { "text" => ["Let me check that for you."] } }, { "text" => { "text" => ["It shipped today."] } }])
    outcome = n::SendService.new(hook: hook, message: message).perform
    expect([outcome.kind, outcome.content, outcome.replies]).to eq([:reply, "Let me check that for you.", ["Let me check that for you.", "It shipped today."]])
    request = dialogflow.received.last
    expect(request.path).to eq("/v2/projects/acme-bot/agent/sessions/57:detectIntent")
    expect(JSON.parse(request.body)).to eq("queryInput" => { "text" => { "text" => "Where is my order?", "languageCode" => "en-US" } })
  end

  it "caches the token: one token request for many calls" do
    google_issues_tokens
    dialogflow_answers([{ "text" => { "text" => ["ok"] } }])
    5.times { expect(n::SendService.new(hook: hook, message: message).perform).to be_reply }
    expect(google.received.size).to eq(1)
    expect(dialogflow.received.size).to eq(5)
  end

  it "hands over to a human on a handoff payload, with the replies before it" do
    google_issues_tokens
    dialogflow_answers([{ "text" => { "text" => ["Connecting you to an agent."] } }, { "payload" => { "action" => "handoff" } }])
    outcome = n::SendService.new(hook: hook, message: message).perform
    expect([outcome.kind, outcome.replies]).to eq([:handoff, ["Connecting you to an agent."]])
  end

  it "uses the hook's language and region" do
    google_issues_tokens
    dialogflow_answers([{ "text" => { "text" => ["¡Hola!"] } }])
    n::SendService.new(hook: hook("language_code" => "es", "region" => "europe-west1"), message: message).perform
    request = dialogflow.received.last
    expect(request.path).to eq("/v2/projects/acme-bot/locations/europe-west1/agent/sessions/57:detectIntent")
    expect(JSON.parse(request.body).dig("queryInput", "text", "languageCode")).to eq("es")
  end

  it "asks to disable the hook when Google refuses the credentials" do
    google_issues_tokens(public_key: OpenSSL::PKey::RSA.generate(2048).public_key) # not the key that signed
    outcome = n::SendService.new(hook: hook, message: message).perform
    expect([outcome.kind, outcome.reason]).to eq([:disable_hook, "invalid_credentials"])
    expect(dialogflow.received).to be_empty
  end

  it "does nothing for an answer without text, retries on 5xx, ignores outgoing messages, and refuses bad credentials before any request" do
    google_issues_tokens
    dialogflow_answers([])
    expect(n::SendService.new(hook: hook, message: message).perform).to be_noop
    dialogflow_answers([], status: 503)
    expect(n::SendService.new(hook: hook, message: message).perform).to be_retry
    outgoing = FakeChatwoot::Message.new(content: "hi", message_type: :outgoing, conversation: conversation)
    expect(n::SendService.new(hook: hook, message: outgoing).perform).to be_noop
    bad = FakeChatwoot::Hook.new(app_id: "dialogflow", active: true, settings: { "project_id" => "p", "credentials" => "{}" })
    expect { n::SendService.new(hook: bad, message: message).perform }.to raise_error(n::ConfigurationError, /credentials/)
  end

  describe "Chatwoot's bot rules, before any request" do
    before do
      google_issues_tokens
      dialogflow_answers([{ "text" => { "text" => ["ok"] } }])
    end

    def outcome_for(message, event: "message.created")
      n::SendService.new(hook: hook, message: message, event: event).perform
    end

    it "skips private notes, activity, agents' messages and conversations that are not pending" do
      with = ->(**fields) { FakeChatwoot::Message.new(content: "hi", message_type: :incoming, conversation: conversation, **fields) }
      expect(outcome_for(with.call(private: true)).reason).to match(/private/)
      expect(outcome_for(with.call(message_type: :activity)).reason).to match(/incoming and outgoing/)
      expect(outcome_for(with.call(message_type: :outgoing)).reason).to match(/select/)
      expect(outcome_for(with.call(message_type: :outgoing), event: "message.updated").reason).to match(/select/)
      open = FakeChatwoot::Conversation.new(id: 57, account: FakeChatwoot::Account.new("Acme"), messages: [], status: "open")
      expect(outcome_for(with.call(conversation: open)).reason).to match(/not pending/)
      expect(outcome_for(with.call(content: "  ")).reason).to match(/no text/)
      expect([google.received, dialogflow.received]).to eq([[], []])
    end

    it "sends the value the customer submitted in a select (an outgoing input_select, updated)" do
      select = FakeChatwoot::Message.new(content: "Pick a topic", message_type: :outgoing, conversation: conversation, content_type: "input_select",
                                         content_attributes: { "items" => [{ "title" => "Orders", "value" => "orders" }],
                                                               "submitted_values" => [{ "title" => "Orders", "value" => "orders" }] })
      expect(outcome_for(select, event: "message.updated")).to be_reply
      expect(JSON.parse(dialogflow.received.last.body).dig("queryInput", "text", "text")).to eq("orders")
    end
  end

  it "posts payload cards as message params (an input_select survives), and resolves on a resolve action" do
    google_issues_tokens
    card = { "content" => "What is it about?", "content_type" => "input_select",
             "content_attributes" => { "items" => [{ "title" => "Orders", "value" => "orders" }, { "title" => "Billing", "value" => "billing" }] } }
    dialogflow_answers([{ "text" => { "text" => ["Hi!"] } }, { "payload" => card }])
    outcome = n::SendService.new(hook: hook, message: message).perform
    expect([outcome.kind, outcome.content, outcome.messages]).to eq([:reply, "Hi!", [{ "content" => "Hi!" }, card]])
    dialogflow_answers([{ "text" => { "text" => ["Glad I could help."] } }, { "payload" => { "action" => "resolve" } }])
    outcome = n::SendService.new(hook: hook, message: message).perform
    expect([outcome.kind, outcome.messages]).to eq([:resolve, [{ "content" => "Glad I could help." }]])
  end

  it "asks to disable the hook when Dialogflow denies permission" do
    google_issues_tokens
    dialogflow.respond { [403, { "Content-Type" => "application/json" }, JSON.generate("error" => { "code" => 403, "message" => "IAM permission 'dialogflow.sessions.detectIntent' denied.", "status" => "PERMISSION_DENIED" })] }
    outcome = n::SendService.new(hook: hook, message: message).perform
    expect([outcome.kind, outcome.reason]).to eq([:disable_hook, "permission_denied"])
  end
end
