# frozen_string_literal: true

require "json"

# SendService against fake Slack and OpenAI servers on 127.0.0.1 that speak the real APIs' JSON and
# check the auth header and request body like the real ones would.
RSpec.describe Integrations::Native::SendService do
  let(:n) { Integrations::Native }
  let(:slack) { TestReceiver.new }
  let(:openai) { TestReceiver.new }
  let(:account) { FakeChatwoot::Account.new("Acme Support") }
  let(:history) do
    Array.new(12) { |i| FakeChatwoot::Message.new(content: "m#{i}", message_type: i.even? ? :incoming : :outgoing) }
  end
  let(:conversation) { FakeChatwoot::Conversation.new(id: 57, identifier: nil, account: account, messages: history) }

  before do
    n.configure do |c|
      c.allowed_private_cidrs = ["127.0.0.1/32"]
      c.slack_api_url = "http://127.0.0.1:#{slack.port}/api"
      c.openai_api_url = "http://127.0.0.1:#{openai.port}/v1"
    end
  end

  after do
    slack.stop
    openai.stop
    n.reset_configuration!
  end

  def agent_message(content = "We refunded the duplicate charge.", conversation: self.conversation)
    FakeChatwoot::Message.new(content: content, message_type: :outgoing, sender: FakeChatwoot::Sender.new("Sam"), conversation: conversation)
  end

  # Slack's SendService rules (Chatwoot's SendOnSlackService) are in spec/slack_outgoing_spec.rb.

  describe "OpenAI" do
    def openai_hook(settings = { "api_key" => "sk-test-key" })
      FakeChatwoot::Hook.new(app_id: "openai", active: true, settings: settings)
    end

    let(:customer_message) { FakeChatwoot::Message.new(content: "Where is my refund?", message_type: :incoming, conversation: conversation) }

    def openai_answers(status: 200, content: "Your refund is on its way.", headers: {}, error: nil)
      openai.respond do |request, _|
        next [401, {}, JSON.generate("error" => { "message" => "Incorrect API key", "type" => "invalid_request_error", "code" => "invalid_api_key" })] unless request.header("authorization") == "Bearer sk-test-key"

        body = status == 200 ? { "id" => "chatcmpl-1", "object" => "chat.completion", "choices" => [{ "index" => 0, "message" => { "role" => "assistant", "content" => content }, "finish_reason" => "stop" }] } : { "error" => { "message" => error || "error", "type" => "server_error", "code" => nil } }
        [status, headers.merge("Content-Type" => "application/json"), JSON.generate(body)]
      end
    end

    it "sends the system prompt and the last 10 messages, and returns the reply" do
      openai_answers
      outcome = described_class.new(hook: openai_hook, message: customer_message).perform
      expect([outcome.kind, outcome.content, outcome.replies]).to eq([:reply, "Your refund is on its way.", ["Your refund is on its way."]])
      request = openai.received.last
      expect(request.path).to eq("/v1/chat/completions")
      body = JSON.parse(request.body)
      expect(body.slice("model", "max_tokens", "temperature")).to eq("model" => "gpt-4", "max_tokens" => 500, "temperature" => 0.7)
      expect(body["messages"].first).to eq("role" => "system", "content" => "You are a helpful customer support assistant for Acme Support.")
      expect(body["messages"].drop(1)).to eq(history.last(10).map { |m| { "role" => m.incoming? ? "user" : "assistant", "content" => m.content } })
    end

    it "sends only chat messages: no private notes, no activity; templates are the assistant's" do
      openai_answers
      mixed = [FakeChatwoot::Message.new(content: "Hi, my order is late", message_type: :incoming),
               FakeChatwoot::Message.new(content: "Thanks for writing! We reply within a day.", message_type: :template),
               FakeChatwoot::Message.new(content: "internal: VIP, refund without asking", message_type: :outgoing, private: true),
               FakeChatwoot::Message.new(content: "Conversation was assigned to Sam", message_type: :activity)]
      mixed += Array.new(9) { |i| FakeChatwoot::Message.new(content: "c#{i}", message_type: i.even? ? :incoming : :outgoing) }
      mixed << FakeChatwoot::Message.new(content: "note after", message_type: :outgoing, private: true)
      chat = FakeChatwoot::Conversation.new(id: 58, identifier: nil, account: account, messages: mixed)
      message = FakeChatwoot::Message.new(content: "c8", message_type: :incoming, conversation: chat)
      described_class.new(hook: openai_hook, message: message).perform
      turns = JSON.parse(openai.received.last.body)["messages"].drop(1)
      expect(turns.map { |t| t["content"] }).to eq(["Thanks for writing! We reply within a day.", *Array.new(9) { |i| "c#{i}" }])
      expect(turns.first["role"]).to eq("assistant")
      expect(turns.map { |t| t["content"] }.join).not_to include("internal", "assigned", "note after")
      # The number lives in Rust; the face has no copy of it.
      expect(n::SendServiceNative::HISTORY).to eq(10)
      expect(described_class.const_defined?(:HISTORY, false)).to be(false)
    end

    it "uses the hook's model and system prompt" do
      openai_answers
      described_class.new(hook: openai_hook("api_key" => "sk-test-key", "model" => "gpt-4o-mini", "system_prompt" => "Be brief."),
                          message: customer_message).perform
      body = JSON.parse(openai.received.last.body)
      expect([body["model"], body["messages"].first["content"]]).to eq(["gpt-4o-mini", "Be brief."])
    end

    it "maps blank, 401, 429 and 5xx answers to outcomes, and other errors to DeliveryError" do
      openai_answers(content: "  ")
      expect(described_class.new(hook: openai_hook, message: customer_message).perform).to be_noop
      outcome = described_class.new(hook: openai_hook("api_key" => "sk-wrong"), message: customer_message).perform
      expect([outcome.kind, outcome.reason]).to eq([:disable_hook, "invalid_api_key"])
      openai_answers(status: 429, headers: { "Retry-After" => "20" }, error: "Rate limit reached")
      expect(described_class.new(hook: openai_hook, message: customer_message).perform.retry_after).to eq(20.0)
      openai_answers(status: 500)
      expect(described_class.new(hook: openai_hook, message: customer_message).perform).to be_retry
      openai_answers(status: 400, error: "model not found")
      expect { described_class.new(hook: openai_hook, message: customer_message).perform }.to raise_error(n::DeliveryError, /model not found/)
    end

    it "ignores outgoing messages and refuses a hook without an api_key" do
      expect(described_class.new(hook: openai_hook, message: agent_message).perform).to be_noop
      expect { described_class.new(hook: openai_hook({}), message: customer_message).perform }
        .to raise_error(n::ConfigurationError, /api_key: API key is required/)
      expect(openai.received).to be_empty
    end
  end

  describe "the generic webhook app" do
    it "delivers the message event, signed with the hook's secret" do
      receiver = TestReceiver.new
      hook = FakeChatwoot::Hook.new(app_id: "webhook", active: true, settings: { "url" => receiver.url, "secret" => "wh-secret" })
      expect(described_class.new(hook: hook, message: agent_message).perform).to be_noop
      request = receiver.received.last
      expect(JSON.parse(request.body)).to eq("content" => "We refunded the duplicate charge.", "event" => "message_created")
      expect(n::Signature.verify_chatwoot(secret: "wh-secret", timestamp: request.header("x-chatwoot-timestamp"),
                                          body: request.body, signature: request.header("x-chatwoot-signature"))).to be(true)
      receiver.respond { [503, { "Retry-After" => "60" }, "busy"] }
      expect(described_class.new(hook: hook, message: agent_message).perform.retry_after).to eq(60.0)
    ensure
      receiver&.stop
    end
  end

  describe "apps" do
    it "refuses unknown apps and invalid settings before any request" do
      expect { described_class.new(hook: FakeChatwoot::Hook.new(app_id: "fax", active: true), message: agent_message).perform }
        .to raise_error(n::ConfigurationError, /unknown app "fax"/)
      bad_webhook = FakeChatwoot::Hook.new(app_id: "webhook", active: true, settings: { "url" => "ftp://x" })
      expect { described_class.new(hook: bad_webhook, message: agent_message).perform }.to raise_error(n::ConfigurationError, /url/)
    end

    it "validates settings field by field, like Chatwoot's settings schema" do
      expect(n::Apps.validate("dialogflow", {})).to eq("project_id" => "Dialogflow Project ID is required",
                                                        "credentials" => "Dialogflow Project Key File is required")
      expect(n::Apps.validate("dialogflow", "project_id" => "p", "credentials" => "{}").keys).to eq(["credentials"])
      expect(n::Apps.validate("openai", "api_key" => "sk")).to eq({})
      expect { n::Apps.validate("fax", {}) }.to raise_error(n::ConfigurationError)
      expect(n::Apps.all.map(&:id)).to include("slack", "dialogflow", "openai", "linear", "webhook", "dyte", "captain")
      expect(n::Apps.find("dialogflow").hook_type).to eq(:inbox)
    end
  end
end
