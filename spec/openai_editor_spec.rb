# frozen_string_literal: true

require "json"

# Stand-ins for the models process_event reads (hook.account.labels / conversations.find_by).
module OpenAIEditorModels
  Label = Struct.new(:title)
  Conversations = Struct.new(:list) do
    def find_by(display_id:) = list.find { |c| c.display_id == display_id }
  end
  Account = Struct.new(:labels, :conversations)
  Conversation = Struct.new(:id, :display_id, :last_activity_at, :messages, keyword_init: true)
  Hook = Struct.new(:settings, :account)
  # A cache with Rails.cache's read/write, recording what was written and for how long.
  Store = Struct.new(:data, :writes) do
    def read(key) = data[key]

    def write(key, value, expires_in:)
      writes << [key, expires_in]
      data[key] = value
    end
  end
end

# Chatwoot's OpenAI editor events (Hook#process_event) against a fake OpenAI on 127.0.0.1 that
# checks the key and the request body and answers with the chat completions JSON.
RSpec.describe "Integrations::Native::OpenAI.process_event" do
  let(:n) { Integrations::Native }
  let(:openai) { FakeOpenAI.new }

  def message(type, content, sender: "Ann", private: false)
    FakeChatwoot::Message.new(content: content, message_type: type, sender: FakeChatwoot::Sender.new(sender), private: private)
  end

  def conversation(messages, last_activity_at: Time.at(1_764_000_000))
    OpenAIEditorModels::Conversation.new(id: 41, display_id: 7, last_activity_at: last_activity_at, messages: messages)
  end

  def hook(settings = { "api_key" => "sk-test-key", "label_suggestion" => true }, conversations: [])
    OpenAIEditorModels::Hook.new(settings, OpenAIEditorModels::Account.new([OpenAIEditorModels::Label.new("billing"), OpenAIEditorModels::Label.new("bug")], OpenAIEditorModels::Conversations.new(conversations)))
  end

  # process("shorten", content: "x", model: "m"): the event's data and process_event's keywords.
  def process(name, data = {}, **options)
    data = data.merge(options.except(:hook, :conversation, :labels, :cache, :model))
    options = options.select { |k, _| %i[hook conversation labels cache model].include?(k) }
    n::OpenAI.process_event(hook: options.delete(:hook) || hook, event: { name: name, data: data }, **options)
  end

  before do
    n.configure do |c|
      c.allowed_private_cidrs = ["127.0.0.1/32"]
      c.openai_api_url = openai.url
    end
  end

  after do
    openai.stop
    n.reset_configuration!
  end

  it "rewrites the agent's draft: {model, messages: [system, user]} with the installation's model" do
    expect(process("shorten", content: "We are very sorry for the long delay with your refund.", model: nil))
      .to eq(message: "Sure, here it is.")
    request = openai.received.last
    expect([request.method, request.path, request.header("authorization")]).to eq(["POST", "/v1/chat/completions", "Bearer sk-test-key"])
    body = JSON.parse(request.body)
    expect(body.keys.sort).to eq(%w[messages model])
    expect(body["model"]).to eq("gpt-4o-mini")
    expect(body["messages"].map { |m| m["role"] }).to eq(%w[system user])
    expect(body["messages"][1]["content"]).to eq("We are very sorry for the long delay with your refund.")
    process("make_formal", { content: "hey" }, model: "gpt-4.1")
    expect(openai.completions.last["model"]).to eq("gpt-4.1")
    # Each event has its own instruction.
    %w[rephrase fix_spelling_grammar expand make_friendly simplify].each { |e| process(e, content: "x") }
    expect(openai.completions.map { |b| b["messages"][0]["content"] }.uniq.size).to eq(7)
  end

  it "summarizes the conversation found by display id: customer and agent lines, oldest first, no notes or activity" do
    chat = conversation([message(:incoming, "My parcel never arrived", sender: "Jo"),
                         message(:outgoing, "VIP customer, be generous", sender: "Sam", private: true),
                         message(:activity, "Sam self-assigned this conversation"),
                         message(:template, "Rate our service"),
                         message(:outgoing, "We have sent a new one", sender: "Sam")])
    expect(process("summarize", { conversation_display_id: 7 }, hook: hook(conversations: [chat]))).to eq(message: "Sure, here it is.")
    expect(openai.completions.last["messages"][1]["content"]).to eq("Customer Jo: My parcel never arrived\nAgent Sam: We have sent a new one\n")
    process("reply_suggestion", { conversation_display_id: 7 }, hook: hook(conversations: [chat]))
    expect(openai.completions.last["messages"].drop(1)).to eq([{ "role" => "user", "content" => "My parcel never arrived" },
                                                               { "role" => "assistant", "content" => "We have sent a new one" }])
    expect(process("summarize", conversation_display_id: 999)).to be_nil
  end

  it "suggests labels only under Chatwoot's conditions, strips a 'Labels:' prefix, and caches the answer for a day" do
    openai.respond(answer: "Labels: billing")
    store = OpenAIEditorModels::Store.new({}, [])
    three = conversation(Array.new(3) { |i| message(:incoming, "question #{i}") })
    expect(process("label_suggestion", {}, conversation: three, cache: store)).to eq(message: "billing")
    expect(openai.completions.last["messages"][1]["content"]).to end_with("Labels:\nbilling, bug")
    key = "OPEN_AI_CONVERSATION_KEY::V1::label_suggestion::41::1764000000"
    expect(store.writes).to eq([[key, 86_400]])
    expect(process("label_suggestion", {}, conversation: three, cache: store)).to eq(message: "billing")
    expect(openai.completions.size).to eq(1) # the second answer came from the cache
    newer = conversation(three.messages, last_activity_at: Time.at(1_764_000_060))
    process("label_suggestion", {}, conversation: newer, cache: store)
    expect(openai.completions.size).to eq(2) # a new message: a new key

    two = conversation(Array.new(2) { |i| message(:incoming, "q#{i}") })
    long_last_agent = conversation(Array.new(21) { |i| message(:incoming, "q#{i}") } + [message(:outgoing, "a")])
    too_long = conversation(Array.new(101) { |i| message(:incoming, "q#{i}") })
    [two, long_last_agent, too_long].each { |c| expect(process("label_suggestion", {}, conversation: c)).to be_nil }
    off = hook({ "api_key" => "sk-test-key", "label_suggestion" => false })
    expect(process("label_suggestion", {}, conversation: three, hook: off)).to be_nil
    expect(openai.completions.size).to eq(2)
    expect(process("label_suggestion", {}, conversation: conversation(three.messages + [message(:outgoing, "ok")]))).to eq(message: "billing")
  end

  it "answers provider errors as {error:, error_code:} and never caches them; unknown events are nil" do
    openai.respond { |_body| [429, "Rate limit reached for gpt-4o-mini"] }
    store = OpenAIEditorModels::Store.new({}, [])
    three = conversation(Array.new(3) { |i| message(:incoming, "question #{i}") })
    result = process("label_suggestion", {}, conversation: three, cache: store)
    expect(result[:error_code]).to eq(429)
    expect(result[:error].dig("error", "message")).to eq("Rate limit reached for gpt-4o-mini")
    expect(store.writes).to be_empty
    wrong = hook({ "api_key" => "sk-wrong" })
    expect(process("shorten", { content: "x" }, hook: wrong)).to include(error_code: 401)
    expect(process("improve", content: "x")).to be_nil
    expect { process("shorten", { content: "x" }, hook: hook({})) }.to raise_error(n::ConfigurationError, /api_key/)
    expect { n::OpenAI.process_event(hook: hook, event: "shorten") }.to raise_error(TypeError, /event must be a Hash/)
  end

  it "answers a provider that does not answer with an error, never raising" do
    silent = FaultServer.new(:silent)
    n.configure { |c| c.openai_api_url = silent.url.delete_suffix("/hook"); c.timeout = 0.3 }
    result = process("shorten", content: "x")
    expect(result.keys).to eq(%i[error error_code])
    expect([result[:error], result[:error_code]]).to match([/timed out/, nil])
  ensure
    silent&.stop
  end

  it "checks a key on save with GET /v1/models: invalid only on 401, an unreachable OpenAI counts as valid" do
    expect(n::OpenAI.valid_key?("sk-test-key")).to be(true)
    expect(n::OpenAI.valid_key?("sk-wrong")).to be(false)
    expect(openai.received.map { |r| [r.method, r.path, r.header("authorization")] })
      .to eq([["GET", "/v1/models", "Bearer sk-test-key"], ["GET", "/v1/models", "Bearer sk-wrong"]])
    openai.respond { |_| raise "not used" }
    n.configure { |c| c.openai_api_url = closed_port_url }
    expect(n::OpenAI.valid_key?("sk-test-key")).to be(true)
    expect { n::OpenAI.valid_key?(nil) }.to raise_error(TypeError, /api_key/)
  end
end
