# frozen_string_literal: true

RSpec.describe Integrations::Native::Slack::Event do
  it "answers the url_verification handshake" do
    event = described_class.parse('{"token":"t","challenge":"3eZbrw1aBm2rZgRNFdxV","type":"url_verification"}')
    expect(event).to be_url_verification
    expect(event.challenge).to eq("3eZbrw1aBm2rZgRNFdxV")
  end

  it "returns the thread, text and user of a threaded message (the seed's IncomingMessageService)" do
    body = JSON.generate("type" => "event_callback", "event" => { "type" => "message", "channel" => "C1", "user" => "U2",
                                                                  "text" => "On it! ✅", "ts" => "2.0", "thread_ts" => "1.0",
                                                                  "blocks" => [{ "type" => "rich_text", "elements" => [] }] })
    event = described_class.parse(body)
    expect(event).to be_thread_reply
    expect([event.thread_ts, event.text, event.user, event.channel, event.ts]).to eq(["1.0", "On it! ✅", "U2", "C1", "2.0"])
  end

  it "ignores everything else explicitly, with the reason, and never raises for a String" do
    {
      '{"type":"event_callback","event":{"type":"message","user":"U1","text":"no thread"}}' => "not in a thread",
      '{"type":"event_callback","event":{"type":"app_mention","user":"U1","thread_ts":"1"}}' => "app_mention",
      '{"type":"event_callback","event":{"type":"message","user":"U1","bot_id":"B1","thread_ts":"1"}}' => "bot",
      "not json" => "not a JSON object",
      "\xFF\xFE".b => "not a JSON object",
      "" => "not a JSON object",
    }.each do |body, reason|
      event = described_class.parse(body)
      expect(event).to be_ignored
      expect(event.reason).to include(reason)
    end
    expect { described_class.parse(nil) }.to raise_error(TypeError, /body must be a String/)
  end
end
