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

  def slack_hook(**overrides)
    FakeChatwoot::Hook.new(app_id: "slack", active: true, settings: {}, access_token: "xoxb-secret-token", reference_id: "C0123", **overrides)
  end

  def agent_message(content = "We refunded the duplicate charge.", conversation: self.conversation)
    FakeChatwoot::Message.new(content: content, message_type: :outgoing, sender: FakeChatwoot::Sender.new("Sam"), conversation: conversation)
  end

  # A fake chat.postMessage: checks the token, answers like Slack.
  def slack_answers(ok: true, error: nil, status: 200, headers: {})
    slack.respond do |request, _|
      if request.header("authorization") != "Bearer xoxb-secret-token"
        [200, {}, JSON.generate("ok" => false, "error" => "not_authed")]
      elsif status != 200
        [status, headers, JSON.generate("ok" => false, "error" => "ratelimited")]
      else
        [200, { "Content-Type" => "application/json" }, JSON.generate(ok ? { "ok" => true, "ts" => "1764367600.000100", "channel" => "C0123" } : { "ok" => false, "error" => error })]
      end
    end
  end

  describe "Slack" do
    it "posts a new message and returns the ts as the conversation identifier" do
      slack_answers
      outcome = described_class.new(hook: slack_hook, message: agent_message).perform
      expect(outcome).to be_identifier
      expect(outcome.identifier).to eq("1764367600.000100")
      request = slack.received.last
      expect(request.path).to eq("/api/chat.postMessage")
      expect(request.header("authorization")).to eq("Bearer xoxb-secret-token")
      expect(request.header("content-type")).to start_with("application/json")
      expect(JSON.parse(request.body)).to eq("channel" => "C0123", "text" => "*Sam*: We refunded the duplicate charge.")
    end

    it "needs only what Slack uses from the conversation (no id, no contact)" do
      slack_answers
      minimal = Struct.new(:identifier, :account, :messages).new(nil, account, [])
      expect(described_class.new(hook: slack_hook, message: agent_message(conversation: minimal)).perform).to be_identifier
    end

    it "replies in the thread once the conversation has an identifier, and names an unknown sender Agent" do
      slack_answers
      threaded = FakeChatwoot::Conversation.new(id: 1, identifier: "1764367600.000100", account: account, messages: [])
      message = FakeChatwoot::Message.new(content: "Done", message_type: :outgoing, sender: nil, conversation: threaded)
      outcome = described_class.new(hook: slack_hook(settings: { "channel_id" => "C999" }), message: message).perform
      expect(outcome).to be_noop
      expect(JSON.parse(slack.received.last.body)).to eq("channel" => "C999", "text" => "*Agent*: Done",
                                                         "thread_ts" => "1764367600.000100", "unfurl_links" => true)
    end

    it "asks to disable the hook on Slack's re-authorization errors" do
      %w[invalid_auth account_inactive is_archived missing_scope channel_not_found not_in_channel token_revoked].each do |error|
        slack_answers(ok: false, error: error)
        outcome = described_class.new(hook: slack_hook, message: agent_message).perform
        expect([outcome.kind, outcome.reason]).to eq([:disable_hook, error])
      end
    end

    it "retries on HTTP 429 with Retry-After, and on 5xx" do
      slack_answers(status: 429, headers: { "Retry-After" => "30" })
      outcome = described_class.new(hook: slack_hook, message: agent_message).perform
      expect([outcome.kind, outcome.retry_after]).to eq([:retry, 30.0])
      slack_answers(status: 503)
      expect(described_class.new(hook: slack_hook, message: agent_message).perform).to be_retry
    end

    it "raises DeliveryError for other Slack errors, never showing the token" do
      slack_answers(ok: false, error: "msg_too_long")
      expect { described_class.new(hook: slack_hook, message: agent_message).perform }
        .to raise_error(n::DeliveryError, "slack: msg_too_long") { |e| expect(e.message).not_to include("xoxb") }
    end

    it "does nothing for incoming messages or an inactive hook, without a request" do
      incoming = FakeChatwoot::Message.new(content: "hi", message_type: :incoming, conversation: conversation)
      expect(described_class.new(hook: slack_hook, message: incoming).perform).to be_noop
      expect(described_class.new(hook: slack_hook(active: false), message: agent_message).perform).to be_noop
      expect(slack.received).to be_empty
    end

    it "refuses a hook without a token or channel before any request" do
      expect { described_class.new(hook: slack_hook(access_token: nil), message: agent_message).perform }
        .to raise_error(n::ConfigurationError, /access_token/)
      expect { described_class.new(hook: slack_hook(reference_id: nil), message: agent_message).perform }
        .to raise_error(n::ConfigurationError, /channel/)
      expect(slack.received).to be_empty
    end

    it "times out a hung Slack as :retry, and a killed call leaves the service usable" do
      silent = FaultServer.new(:silent)
      n.configure { |c| c.slack_api_url = silent.url.delete_suffix("/hook"); c.timeout = 0.5 }
      expect(described_class.new(hook: slack_hook, message: agent_message).perform).to be_retry

      n.configure { |c| c.timeout = 30 }
      before = silent.connections
      thread = Thread.new { described_class.new(hook: slack_hook, message: agent_message).perform }
      expect(wait_for(timeout: 10) { silent.connections > before }).to be(true) # the call is on the wire
      thread.kill
      expect(thread.join(1)).to eq(thread)

      slack_answers
      n.configure { |c| c.slack_api_url = "http://127.0.0.1:#{slack.port}/api" }
      expect(described_class.new(hook: slack_hook, message: agent_message).perform).to be_identifier
    ensure
      silent&.stop
    end
  end

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
      mixed = [
        FakeChatwoot::Message.new(content: "Hi, my order is late", message_type: :incoming),
        FakeChatwoot::Message.new(content: "Thanks for writing! We reply within a day.", message_type: :template),
        FakeChatwoot::Message.new(content: "internal: VIP, refund without asking", message_type: :outgoing, private: true),
        FakeChatwoot::Message.new(content: "Conversation was assigned to Sam", message_type: :activity),
        *Array.new(9) { |i| FakeChatwoot::Message.new(content: "c#{i}", message_type: i.even? ? :incoming : :outgoing) },
        FakeChatwoot::Message.new(content: "note after", message_type: :outgoing, private: true),
      ]
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

  it "never shows a token in an outcome's inspect" do
    slack_answers(ok: false, error: "invalid_auth")
    outcome = described_class.new(hook: slack_hook, message: agent_message).perform
    expect(outcome.inspect).not_to include("xoxb")
  end
end
