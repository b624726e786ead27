# frozen_string_literal: true

require "rack/test"
require "openssl"
require "json"

# Slack's Events API end to end: a Rack app shaped like Chatwoot's webhooks controller (as the
# README shows it) behind Rack::VerifySignature (scheme :slack), applying what Slack::Event,
# Slack.reply and Slack.unfurl return to an in-memory stand-in for Chatwoot's models, against the
# fake Slack (users.info, conversations.members, chat.unfurl).
RSpec.describe "Slack incoming (Events API)" do
  include Rack::Test::Methods

  let(:n) { Integrations::Native }
  let(:fake) { FakeSlack.new }
  let(:signing_secret) { "slack-signing-secret" }
  # Chatwoot's side: conversations by identifier, account users by email, the hook.
  let(:store) do
    {
      conversations: { "1764300000.000100" => { account_id: 3, display_id: 42, messages: [] } },
      users: { "agent.ann@example.com" => "user-ann" },
      hook: { status: "enabled", account_id: 3, token: FakeSlack::TOKEN, channel: FakeSlack::CHANNEL },
      cards: {
        %w[3 42] => { name: "Ann Lee", email: "ann@example.com", phone_number: nil, company_name: "Acme",
                      inbox_name: "Website Support", inbox_type: "Website" },
      },
    }
  end

  # The controller: parse, then apply what the gem returns (a few lines in a Chatwoot controller).
  def events_endpoint(store)
    lambda do |env|
      native = Integrations::Native
      event = native::Slack::Event.parse(env["rack.input"].read)
      hook = store[:hook]
      answer =
        if event.url_verification?
          { challenge: event.challenge }
        elsif event.thread_reply? && hook[:channel] == event.channel
          reply = native::Slack.reply(event, token: hook[:token])
          if reply.outcome&.disable_hook?
            hook[:status] = "disabled"
            nil
          elsif (conversation = store[:conversations][reply.conversation_identifier])
            unless conversation[:messages].any? { |m| m[:external_source_id_slack] == reply.duplicate_key }
              conversation[:messages] << reply.message_params.merge(sender: store[:users][reply.sender_email&.downcase])
            end
            { status: "success" }
          end
        elsif event.link_shared?
          lookup = ->(link) { link.account_id == hook[:account_id].to_s ? store[:cards][[link.account_id, link.display_id]] : nil }
          store[:unfurl] = native::Slack.unfurl(event, token: hook[:token], conversations: lookup)
          nil
        end
      [200, { "content-type" => "application/json" }, [JSON.generate(answer)]]
    end
  end

  let(:app) do
    Integrations::Native::Rack::VerifySignature.new(events_endpoint(store), "/api/v1/integrations/webhooks" => { scheme: :slack, secret: signing_secret })
  end

  before do
    n.configure do |c|
      c.allowed_private_cidrs = ["127.0.0.1/32"]
      c.slack_api_url = fake.api_url
    end
  end

  after do
    fake.stop
    n.reset_configuration!
  end

  def deliver(payload, secret: signing_secret)
    body = JSON.generate(payload)
    ts = Time.now.to_i.to_s
    signature = "v0=#{OpenSSL::HMAC.hexdigest("SHA256", secret, "v0:#{ts}:#{body}")}"
    post "/api/v1/integrations/webhooks", body, "CONTENT_TYPE" => "application/json", "HTTP_X_SLACK_REQUEST_TIMESTAMP" => ts,
                                                "HTTP_X_SLACK_SIGNATURE" => signature
    last_response
  end

  def callback(event)
    { "token" => "legacy", "team_id" => "T1", "type" => "event_callback", "event_id" => "Ev1", "event" => event }
  end

  def reply_event(text: "Sure, refunding now", ts: "1764300050.000200", user: "U2", **extra)
    { "type" => "message", "channel" => "C0123", "user" => user, "text" => text, "ts" => ts, "thread_ts" => "1764300000.000100",
      "blocks" => [{ "type" => "rich_text", "block_id" => "b1", "elements" => [] }] }.merge(extra)
  end

  def messages = store[:conversations]["1764300000.000100"][:messages]

  it "answers url_verification with the challenge, and only with Slack's signature" do
    handshake = { "token" => "t", "challenge" => "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type" => "url_verification" }
    response = deliver(handshake)
    expect(response.status).to eq(200)
    expect(JSON.parse(response.body)).to eq("challenge" => "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    expect(deliver(handshake, secret: "wrong").status).to eq(401)
    expect(deliver(callback(reply_event), secret: "wrong").status).to eq(401)
    expect(messages).to be_empty
    expect(fake.received).to be_empty
  end

  it "ignores everything Chatwoot ignores, each with its reason, and calls Slack for none of them" do
    rich = [{ "type" => "rich_text", "elements" => [] }]
    {
      reply_event.except("user") => "without a user",
      reply_event.merge("user" => "", "bot_id" => "B1") => "without a user",
      reply_event.merge("bot_id" => "B1") => "bot",
      reply_event.merge("subtype" => "message_changed") => "message_changed",
      reply_event.merge("subtype" => "bot_message") => "bot_message",
      reply_event.except("thread_ts") => "not in a thread",
      reply_event.merge("blocks" => [{ "type" => "section" }]) => "no rich_text block",
      reply_event.except("blocks") => "no rich_text block",
      reply_event.except("blocks").merge("text" => "Attached File!", "files" => [{ "url_private" => "https://x/f" }]) => "echo",
      { "type" => "reaction_added", "user" => "U2", "reaction" => "+1" } => "reaction_added",
      { "type" => "app_mention", "user" => "U2", "blocks" => rich, "thread_ts" => "1" } => "app_mention",
      { "type" => "link_shared", "user" => "U2", "channel" => "C0123", "links" => [] } => "without links",
    }.each do |event, reason|
      parsed = n::Slack::Event.parse(JSON.generate(callback(event)))
      expect(parsed).to be_ignored
      expect(parsed.reason).to include(reason)
      response = deliver(callback(event))
      expect([response.status, response.body]).to eq([200, "null"])
    end
    expect(n::Slack::Event.parse('{"type":"app_rate_limited"}').reason).to include("app_rate_limited")
    expect(messages).to be_empty
    expect(fake.received).to be_empty
  end

  it "creates the reply in the thread's conversation: outgoing, Slack's escaping undone, sent by the agent users.info names" do
    text = "Refund &amp; credit for <@U9> in <#C7|billing>, see <https://docs.example/r|the policy> &lt;3"
    response = deliver(callback(reply_event(text: text)))
    expect(JSON.parse(response.body)).to eq("status" => "success")
    expect(messages).to eq([{ message_type: :outgoing, content: "Refund & credit for @U9 in #billing, see the policy <3",
                              private: false, external_source_id_slack: "1764300050.000200", sender: "user-ann" }])
    lookup = fake.received("users.info").last
    expect(lookup.header("authorization")).to eq("Bearer #{FakeSlack::TOKEN}")
    expect(FakeSlack.form(lookup)).to eq("user" => "U2")
  end

  it "makes `note:` and `private:` replies private notes, keeping the prefix" do
    deliver(callback(reply_event(text: "  NOTE: customer is VIP", ts: "1764300051.000001")))
    deliver(callback(reply_event(text: "private: check ledger", ts: "1764300052.000001")))
    deliver(callback(reply_event(text: "not a note: public", ts: "1764300053.000001")))
    expect(messages.map { |m| [m[:content], m[:private]] }).to eq([["  NOTE: customer is VIP", true], ["private: check ledger", true],
                                                                   ["not a note: public", false]])
  end

  it "skips a duplicate (same event ts) and still answers success" do
    2.times { expect(JSON.parse(deliver(callback(reply_event)).body)).to eq("status" => "success") }
    expect(messages.size).to eq(1)
  end

  it "creates the message without a sender when Slack has no email for the user, or no such user" do
    deliver(callback(reply_event(user: "U3", ts: "1764300060.000001")))
    deliver(callback(reply_event(user: "U404", ts: "1764300061.000001")))
    expect(messages.map { |m| m[:sender] }).to eq([nil, nil])
  end

  it "answers null for a thread no conversation has" do
    response = deliver(callback(reply_event.merge("thread_ts" => "1999999999.000000")))
    expect(response.body).to eq("null")
  end

  it "disables the hook when users.info lacks its scope (missing_scope)" do
    fake.fail("users.info", error: "missing_scope")
    event = n::Slack::Event.parse(JSON.generate(callback(reply_event)))
    outcome = n::Slack.reply(event, token: FakeSlack::TOKEN).outcome
    expect([outcome.kind, outcome.reason]).to eq([:disable_hook, "missing_scope"])
    deliver(callback(reply_event))
    expect(store[:hook][:status]).to eq("disabled")
    expect(messages).to be_empty
  end

  it "asks to retry when Slack is unavailable, and raises DeliveryError (no token) for other errors" do
    event = n::Slack::Event.parse(JSON.generate(callback(reply_event)))
    fake.fail("users.info", status: 503)
    expect(n::Slack.reply(event, token: FakeSlack::TOKEN).outcome).to be_retry
    fake.fail("users.info", error: "fatal_error")
    expect { n::Slack.reply(event, token: FakeSlack::TOKEN) }.to raise_error(n::DeliveryError, "slack: fatal_error")
    expect { n::Slack.reply(event, token: 42) }.to raise_error(TypeError, /token must be a String/)
    expect { n::Slack.reply(nil, token: FakeSlack::TOKEN) }.to raise_error(TypeError, /thread reply/)
  end

  describe "link_shared" do
    let(:url) { "https://chat.example.com/app/accounts/3/conversations/42" }

    def shared(*urls, channel: "C0123")
      callback("type" => "link_shared", "channel" => channel, "user" => "U2", "message_ts" => "1764300070.000100", "unfurl_id" => "C0123.1764300070.000100.abc",
               "source" => "conversations_history", "links" => urls.map { |u| { "domain" => "chat.example.com", "url" => u } })
    end

    it "checks the bot is in the channel, then sends chat.unfurl with the conversation card as a JSON string" do
      other_account = "https://chat.example.com/app/accounts/9/conversations/42"
      response = deliver(shared(url, other_account))
      expect(response.body).to eq("null")
      expect(store[:unfurl]).to be_noop
      members, unfurl = fake.received.to_h { |r| [r.path, r] }.values_at("/api/conversations.members", "/api/chat.unfurl")
      expect(FakeSlack.form(members)).to eq("channel" => "C0123")
      form = FakeSlack.form(unfurl)
      expect(unfurl.header("authorization")).to eq("Bearer #{FakeSlack::TOKEN}")
      expect(form.keys).to contain_exactly("unfurl_id", "source", "unfurls")
      expect(form.values_at("unfurl_id", "source")).to eq(["C0123.1764300070.000100.abc", "conversations_history"])
      expect(JSON.parse(form["unfurls"])).to eq(
        url => { "blocks" => [
          { "type" => "section", "fields" => [
            { "type" => "mrkdwn", "text" => "*Name:*\nAnn Lee" },
            { "type" => "mrkdwn", "text" => "*Email:*\nann@example.com" },
            { "type" => "mrkdwn", "text" => "*Phone number:*\n---" },
            { "type" => "mrkdwn", "text" => "*Company name:*\nAcme" },
            { "type" => "mrkdwn", "text" => "*Inbox name:*\nWebsite Support" },
            { "type" => "mrkdwn", "text" => "*Inbox type:*\nWebsite" },
          ] },
          { "type" => "actions", "elements" => [
            { "type" => "button", "text" => { "type" => "plain_text", "text" => "Open conversation", "emoji" => true },
              "url" => url, "action_id" => "button-action" },
          ] },
        ] }
      )
    end

    it "accepts a card object as well as a Hash" do
      card = Struct.new(:name, :email, :phone_number, :company_name, :inbox_name, :inbox_type).new("Bo", nil, "+1 555", nil, "Mail", "Email")
      event = n::Slack::Event.parse(JSON.generate(shared(url)))
      expect(n::Slack.unfurl(event, token: FakeSlack::TOKEN, conversations: ->(_) { card })).to be_noop
      fields = JSON.parse(FakeSlack.form(fake.received("chat.unfurl").last)["unfurls"])[url]["blocks"][0]["fields"].map { |f| f["text"] }
      expect(fields).to eq(["*Name:*\nBo", "*Email:*\n---", "*Phone number:*\n+1 555", "*Company name:*\n---", "*Inbox name:*\nMail",
                            "*Inbox type:*\nEmail"])
      expect { n::Slack.unfurl(event, token: FakeSlack::TOKEN, conversations: nil) }.to raise_error(TypeError, /conversations must respond to call/)
    end

    it "sends nothing when no link is one of the account's conversations, or the bot cannot see the channel" do
      deliver(shared("https://chat.example.com/app/accounts/9/conversations/1"))
      expect(store[:unfurl].reason).to eq("no conversation to unfurl")
      expect(fake.received).to be_empty
      deliver(shared(url, channel: "C999"))
      expect(store[:unfurl].reason).to eq("slack conversations.members: channel_not_found")
      expect(fake.received("chat.unfurl")).to be_empty
    end

    it "treats a missing links:write scope as a warning: the hook stays enabled" do
      fake.fail("chat.unfurl", error: "missing_scope")
      deliver(shared(url))
      expect([store[:unfurl].kind, store[:unfurl].reason]).to eq([:noop, "slack chat.unfurl: missing_scope"])
      expect(store[:hook][:status]).to eq("enabled")
    end
  end
end
