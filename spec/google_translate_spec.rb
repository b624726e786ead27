# frozen_string_literal: true

require "json"

# Google Translate against a fake Google on 127.0.0.1 (token endpoint, Translation v3 and
# Dialogflow ES), which verifies the service account's JWT and checks the token and bodies.
RSpec.describe Integrations::Native::GoogleTranslate do
  let(:n) { Integrations::Native }
  let(:google) { FakeGoogle.new }
  let(:hook) { Struct.new(:settings).new({ "project_id" => "acme-bot", "credentials" => google.credentials }) }
  let(:translate) { described_class.new(hook: hook, api_url: google.url) }
  let(:inbox) { Struct.new(:kind) { def email? = kind == :email }.new(:web) }
  let(:model) { Struct.new(:content, :message_type, :conversation, :content_attributes, :inbox, keyword_init: true) { def incoming? = message_type == :incoming } }
  let(:conversation_class) { Struct.new(:additional_attributes) }

  def message(content, type: :incoming, language: nil, attributes: {}, inbox: self.inbox)
    model.new(content: content, message_type: type, conversation: conversation_class.new(language ? { "conversation_language" => language } : {}),
              content_attributes: attributes, inbox: inbox)
  end

  before { n.configure { |c| c.allowed_private_cidrs = ["127.0.0.1/32"]; c.google_token_url = google.token_url } }

  after do
    google.stop
    n.reset_configuration!
  end

  def bodies(path) = google.api_requests.select { |r| r.path.end_with?(path) }.map { |r| JSON.parse(r.body) }

  it "detects the language of an incoming message from its first 1,500 characters, once per conversation" do
    expect(translate.detect_language(message("Hola, gracias #{"x" * 2000}"))).to eq("es")
    expect(bodies(":detectLanguage").last).to eq("content" => "Hola, gracias #{"x" * 1486}", "mimeType" => "text/plain")
    expect(google.api_requests.last.path).to eq("/v3/projects/acme-bot:detectLanguage")
    expect(translate.detect_language(message("Hola", type: :outgoing))).to be_nil
    expect(translate.detect_language(message("Hola", language: "es"))).to be_nil
    expect(translate.detect_language(message(""))).to be_nil
    expect(google.api_requests.size).to eq(1)
  end

  it "translates a message, skipping a language it has, and merges the result as Chatwoot stores it" do
    result = translate.translate(message("Where is my order?", attributes: { "translations" => { "es" => "¿Dónde está mi pedido?" } }), target_language: "pt_BR")
    expect(result).to eq(content: "[pt-BR] Where is my order?", translations: { "es" => "¿Dónde está mi pedido?", "pt-BR" => "[pt-BR] Where is my order?" })
    expect(bodies(":translateText").last).to eq("contents" => ["Where is my order?"], "targetLanguageCode" => "pt-BR", "mimeType" => "text/plain")
    expect(translate.translate(message("Hi", attributes: { "translations" => { "es" => "Hola" } }), target_language: "es")).to be_nil
    long = translate.translate(message("a" * 30_500), target_language: "fr")
    expect(long[:content].size).to eq("[fr] ".size + 30_000)
    expect(google.api_requests.size).to eq(2)
  end

  it "translates an email's HTML body, retrying once as plain text when Google refuses the HTML" do
    email = { "email" => { "html_content" => { "full" => "<p>Where is <b>my</b> order?</p>" }, "text_content" => { "full" => "Where is my order? (text)" } } }
    mail = message("Where is my order?", attributes: email, inbox: Struct.new(:kind) { def email? = true }.new(:email))
    expect(translate.translate(mail, target_language: "es")[:content]).to eq("[es] <p>Where is <b>my</b> order?</p>")
    expect(bodies(":translateText").last["mimeType"]).to eq("text/html")
    google.respond(html_fails: true)
    expect(translate.translate(mail, target_language: "es")[:content]).to eq("[es] Where is my order?")
    expect(bodies(":translateText").last(2).map { |b| b["mimeType"] }).to eq(%w[text/html text/plain])
  end

  it "shares one token among many calls, Dialogflow's included, for the same service account" do
    3.times { translate.detect_language(message("Hola")) }
    2.times { |i| translate.translate(message("Hi #{i}"), target_language: "es") }
    n.configure { |c| c.dialogflow_api_url = google.url }
    dialogflow = FakeChatwoot::Hook.new(app_id: "dialogflow", active: true, settings: { "project_id" => "acme-bot", "credentials" => JSON.generate(google.credentials) })
    conversation = FakeChatwoot::Conversation.new(id: 57, account: FakeChatwoot::Account.new("Acme"), messages: [], status: "pending")
    incoming = FakeChatwoot::Message.new(content: "Hola", message_type: :incoming, conversation: conversation)
    expect(n::SendService.new(hook: dialogflow, message: incoming).perform.content).to eq("You said Hola")
    expect([google.token_requests, google.api_requests.size]).to eq([1, 6])
  end

  it "raises ConfigurationError for unusable settings and DeliveryError with Google's message for a refused call" do
    bad = described_class.new(hook: Struct.new(:settings).new({ "project_id" => "acme-bot" }), api_url: google.url)
    expect { bad.detect_language(message("Hola")) }.to raise_error(n::ConfigurationError, /credentials/)
    expect { translate.translate(message("Hi"), target_language: "not a language") }.to raise_error(n::DeliveryError, /Target language is invalid/)
    expect(google.received.map(&:path)).not_to include(a_string_matching(/acme-bot:detectLanguage/))
  end
end
