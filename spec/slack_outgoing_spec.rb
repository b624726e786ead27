# frozen_string_literal: true

require "json"

# SendService for app "slack" against a fake Slack (spec/support/fake_slack.rb) that checks the
# Bearer token and the chat.postMessage body like Slack does: Chatwoot's SendOnSlackService rules,
# texts and outcomes.
RSpec.describe "Slack outgoing (SendService, app slack)" do
  let(:n) { Integrations::Native }
  let(:slack) { FakeSlack.new }
  let(:account) { SlackModels::Account.new(3, "Acme") }
  let(:inbox) { SlackModels::Inbox.new("Website Support", "Website", "Channel::WebWidget") }
  let(:email_inbox) { SlackModels::Inbox.new("Billing Mail", "Email", "Channel::Email") }
  let(:contact) { SlackModels::Sender.new("Ann Lee", SlackModels::Avatar.new(SlackModels::Blob.new("blob123"))) }
  let(:agent) { SlackModels::Sender.new("Sam", nil) }

  before do
    n.configure do |c|
      c.allowed_private_cidrs = ["127.0.0.1/32"]
      c.slack_api_url = slack.api_url
      c.frontend_url = "https://chat.example.com"
    end
  end

  after do
    slack.stop
    n.reset_configuration!
  end

  def conversation(identifier: nil, inbox: self.inbox, attributes: {})
    SlackModels::Conversation.new(id: 900, display_id: 42, account_id: 3, identifier: identifier, additional_attributes: attributes,
                                  inbox: inbox, account: account, messages: [])
  end

  def hook(**overrides)
    SlackModels::Hook.new(app_id: "slack", active: true, settings: {}, access_token: FakeSlack::TOKEN, reference_id: FakeSlack::CHANNEL,
                          **overrides)
  end

  def message(content = "My card was charged twice", type: "incoming", sender: contact, sender_type: "Contact", conversation: self.conversation, **rest)
    SlackModels::Message.new(content: content, message_type: type, sender: sender, sender_type: sender_type, conversation: conversation,
                             inbox: conversation.inbox, content_attributes: {}, external_source_ids: {}, private: false, **rest)
  end

  def perform(message, hook: self.hook)
    n::SendService.new(hook: hook, message: message).perform
  end

  def posted
    requests = slack.received("chat.postMessage")
    expect(requests.size).to eq(1)
    expect(requests.first.header("authorization")).to eq("Bearer #{FakeSlack::TOKEN}")
    expect(requests.first.header("content-type")).to start_with("application/json")
    JSON.parse(requests.first.body)
  end

  describe "the first post (a customer message starts the thread)" do
    it "carries the inbox header and the conversation link, posts as the contact, and returns the thread ts and the message's Slack id" do
      outcome = perform(message)
      body = posted
      expect(body).to eq(
        "channel" => "C0123",
        "text" => "\n*Inbox:* Website Support (Website)\n<https://chat.example.com/app/accounts/3/conversations/42|Click here> " \
                  "to view the conversation.\n\nMy card was charged twice",
        "username" => "Ann Lee (Contact)",
        "icon_url" => "https://chat.example.com/slack_uploads?blob_key=blob123&sender_type=contact",
        "unfurl_links" => false
      )
      expect(outcome).to be_identifier
      expect(outcome.identifier).to match(/\A1764367600\.\d{6}\z/)
      expect(outcome.external_source_id).to eq("cw-origin-#{outcome.identifier}")
    end

    it "adds the subject line for email inboxes" do
      email = message("Please refund", conversation: conversation(inbox: email_inbox),
                                       content_attributes: { "email" => { "subject" => "Refund request #7" } })
      perform(email)
      expect(posted["text"]).to eq("\n*Inbox:* Billing Mail (Email)\n<https://chat.example.com/app/accounts/3/conversations/42|Click here> " \
                                   "to view the conversation.\n*Subject:* Refund request #7\n\n\nPlease refund")
    end

    it "reads frontend_url from FRONTEND_URL when it is not configured" do
      n.configure { |c| c.frontend_url = nil }
      previous = ENV.fetch("FRONTEND_URL", nil)
      ENV["FRONTEND_URL"] = "https://env.example"
      perform(message)
      expect(posted["text"]).to include("<https://env.example/app/accounts/3/conversations/42|Click here>")
    ensure
      ENV["FRONTEND_URL"] = previous
    end
  end

  describe "later posts (in the thread)" do
    let(:threaded) { conversation(identifier: "1764300000.000100") }

    it "posts an agent's reply as content only, in the thread with link unfurling, and keeps the identifier" do
      outcome = perform(message("We refunded it.", type: "outgoing", sender: agent, sender_type: "User", conversation: threaded))
      expect(posted).to eq("channel" => "C0123", "text" => "We refunded it.", "username" => "Sam (Agent)",
                           "icon_url" => "https://chat.example.com/slack_uploads?blob_key=&sender_type=agent",
                           "thread_ts" => "1764300000.000100", "unfurl_links" => true)
      expect(outcome).to be_noop
      expect(outcome.identifier).to be_nil
      expect(outcome.external_source_id).to match(/\Acw-origin-1764367600\.\d{6}\z/)
    end

    it "prefixes private notes, italicises activity messages (as System), and names a sender-less template Bot" do
      perform(message("check the ledger", type: "outgoing", sender: agent, sender_type: "User", conversation: threaded, private: true))
      perform(message("Conversation was resolved by Sam", type: "activity", sender: nil, sender_type: nil, conversation: threaded))
      perform(message("Rate us!", type: "template", sender: nil, sender_type: nil, conversation: threaded))
      bodies = slack.received("chat.postMessage").map { |r| JSON.parse(r.body) }
      expect(bodies.map { |b| [b["text"], b["username"]] }).to eq([
                                                                    ["private: check the ledger", "Sam (Agent)"],
                                                                    ["_Conversation was resolved by Sam_", "System"],
                                                                    ["Rate us!", "Bot"],
                                                                  ])
      expect(bodies.last["icon_url"]).to end_with("sender_type=bot")
    end

    it "strips HTML, simplifies mentions, escapes for Slack and prefers processed_message_content" do
      html = "<p>Hi <strong>[@Sam](mention://user/7/Sam)</strong>, see &quot;R&amp;D&quot; &lt;b&gt;</p>"
      perform(message(html, type: "outgoing", sender: agent, sender_type: "User", conversation: threaded))
      perform(message("raw {{contact.name}}", conversation: threaded, processed_message_content: "raw Ann"))
      texts = slack.received("chat.postMessage").map { |r| JSON.parse(r.body)["text"] }
      expect(texts).to eq(['Hi @Sam, see "R&amp;D" &lt;b&gt;', "raw Ann"])
    end

    it "falls back to the settings' channel_id when the hook has no reference_id" do
      perform(message(conversation: threaded), hook: hook(reference_id: nil, settings: { "channel_id" => "C0123" }))
      expect(posted["channel"]).to eq("C0123")
    end
  end

  describe "when it skips (no request at all)" do
    it "skips replies and templates until the conversation has a thread, messages from Slack, tweets and a disabled hook" do
      tweet = conversation(inbox: SlackModels::Inbox.new("X", "Twitter", "Channel::TwitterProfile"), attributes: { "type" => "tweet" })
      {
        message("reply", type: "outgoing", sender: agent, sender_type: "User") => /thread/,
        message("template", type: "template", sender: nil, sender_type: nil) => /thread/,
        message("from slack", conversation: conversation(identifier: "1.0"), external_source_ids: { "slack" => "1764.1" }) => /Slack id/,
        message("a tweet", conversation: tweet) => /tweet/,
        message("<p> </p>", conversation: conversation(identifier: "1.0")) => /no text/,
      }.each do |skipped, reason|
        outcome = perform(skipped)
        expect(outcome).to be_noop
        expect(outcome.reason).to match(reason)
      end
      expect(perform(message, hook: hook(active: false)).reason).to eq("the hook is not active")
      expect(slack.received).to be_empty
    end

    it "still posts a direct message (not a tweet) from a Twitter inbox" do
      dm = conversation(inbox: SlackModels::Inbox.new("X", "Twitter", "Channel::TwitterProfile"), attributes: { "type" => "direct_message" })
      expect(perform(message(conversation: dm))).to be_identifier
    end

    it "refuses a hook without a token or channel before any request" do
      expect { perform(message, hook: hook(access_token: nil)) }.to raise_error(n::ConfigurationError, /access_token/)
      expect { perform(message, hook: hook(reference_id: nil)) }.to raise_error(n::ConfigurationError, /channel/)
      expect(slack.received).to be_empty
    end
  end

  describe "Slack's errors" do
    it "asks to disable the hook (Chatwoot prompts reauthorization) for each re-authorization error" do
      %w[invalid_auth account_inactive is_archived missing_scope channel_not_found not_in_channel token_revoked].each do |error|
        slack.fail("chat.postMessage", error: error)
        outcome = perform(message)
        expect([outcome.kind, outcome.reason]).to eq([:disable_hook, error])
      end
    end

    it "disables for a real wrong token and an unknown channel (the fake checks both)" do
      expect(perform(message, hook: hook(access_token: "xoxb-revoked")).reason).to eq("invalid_auth")
      expect(perform(message, hook: hook(reference_id: "C999")).reason).to eq("channel_not_found")
    end

    it "retries on 429 (with Retry-After), ratelimited, 5xx and timeouts" do
      slack.fail("chat.postMessage", status: 429, headers: { "Retry-After" => "30" })
      outcome = perform(message)
      expect([outcome.kind, outcome.retry_after]).to eq([:retry, 30.0])
      slack.fail("chat.postMessage", error: "ratelimited")
      expect(perform(message)).to be_retry
      [500, 502, 503].each do |status|
        slack.fail("chat.postMessage", status: status)
        expect(perform(message)).to be_retry
      end
    end

    it "raises DeliveryError for other Slack errors, never showing the token" do
      slack.fail("chat.postMessage", error: "msg_too_long")
      expect { perform(message) }.to raise_error(n::DeliveryError, "slack: msg_too_long") { |e| expect(e.message).not_to include("xoxb") }
      slack.fail("chat.postMessage", error: "invalid_auth")
      expect(perform(message).inspect).not_to include("xoxb")
    end

    it "times out a hung Slack as :retry, and a killed call leaves the service usable" do
      silent = FaultServer.new(:silent)
      n.configure { |c| c.slack_api_url = silent.url.delete_suffix("/hook"); c.timeout = 0.5 }
      expect(perform(message)).to be_retry

      n.configure { |c| c.timeout = 30 }
      before = silent.connections
      thread = Thread.new { perform(message) }
      expect(wait_for(timeout: 10) { silent.connections > before }).to be(true) # the call is on the wire
      thread.kill
      expect(thread.join(1)).to eq(thread)

      n.configure { |c| c.slack_api_url = slack.api_url }
      expect(perform(message)).to be_identifier
    ensure
      silent&.stop
    end
  end
end
