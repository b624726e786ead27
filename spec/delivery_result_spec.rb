# frozen_string_literal: true

require "spec_helper"

# DeliveryResult as callers meet it: what dispatch answers for each way a delivery ends (against a
# real receiver), and the keyword constructor for results built by hand.
RSpec.describe Integrations::Native::DeliveryResult do
  let(:n) { Integrations::Native }

  def receiver
    @receiver ||= TestReceiver.new
  end

  before { n.configure { |c| c.allowed_private_cidrs = ["127.0.0.1/32"] } }
  after do
    @receiver&.stop
    n.reset_configuration!
  end

  it "describes a delivered webhook: 2xx, one attempt, the response's start, a delivery id; frozen" do
    receiver.respond { [201, {}, "created"] }
    result = n.dispatch(url: receiver.url("/ok"), payload: { "a" => 1 }, delivery_id: "dlv-1")
    expect(result).to be_a(described_class).and be_frozen
    expect([result.success?, result.retryable?, result.invalid?]).to eq([true, false, false])
    expect([result.status, result.attempts, result.error, result.retry_after]).to eq([201, 1, nil, nil])
    expect([result.response_excerpt, result.delivery_id, result.url]).to eq(["created", "dlv-1", receiver.url("/ok")])
    expect(result.duration).to be_a(Float).and be >= 0
    expect(result.inspect).to start_with("#<Integrations::Native::DeliveryResult success url=")
    expect(result.to_s).to eq(result.inspect)
  end

  it "describes a failure worth retrying (5xx) and one that is not (4xx), each with the receiver's status" do
    receiver.respond { |request, _| request.path == "/down" ? [503, {}, "down"] : [404, {}, "no such hook"] }
    n.configure { |c| c.inline_retries = 0 }
    down = n.dispatch(url: receiver.url("/down"), payload: {})
    gone = n.dispatch(url: receiver.url("/gone"), payload: {})
    expect([down.success?, down.retryable?, down.status, down.response_excerpt]).to eq([false, true, 503, "down"])
    expect([gone.success?, gone.retryable?, gone.status, gone.response_excerpt]).to eq([false, false, 404, "no such hook"])
    [down, gone].each do |result|
      expect(result.error).to be_a(String).and include(result.status.to_s)
      expect(result.invalid?).to be(false)
      expect(result.inspect).to include("failure", "error=")
    end
  end

  it "carries a Retry-After too long to wait in process, for the job queue" do
    receiver.respond { [429, { "Retry-After" => "90" }, "slow down"] }
    result = n.dispatch(url: receiver.url, payload: {})
    expect([result.retryable?, result.status, result.retry_after]).to eq([true, 429, 90.0])
  end

  it "marks an endpoint that could not be used as invalid: nothing sent, no retry" do
    results = n.dispatch(endpoints: [{ url: "ftp://127.0.0.1/x" }, { url: receiver.url("/fine") }], payload: {})
    bad, good = results
    expect([bad.invalid?, bad.success?, bad.retryable?, bad.attempts, bad.status]).to eq([true, false, false, 0, nil])
    expect(bad.error).to match(/scheme|http/i)
    expect(good).to be_success
    expect(receiver.received.map(&:path)).to eq(["/fine"])
  end

  it "shows a URL without its user info, query values or fragment, wherever it is shown" do
    receiver.respond { [200, {}, "ok"] }
    secret_url = "#{receiver.url("/hook").sub("http://", "http://user:pw-s3cret@")}?token=q-s3cret#f-s3cret"
    result = n.dispatch(url: secret_url, payload: {})
    expect(result).to be_success
    [result.url, result.redacted_url, result.inspect, result.to_s].each do |shown|
      expect(shown).not_to include("s3cret")
    end
    expect(result.url).to start_with("http://127.0.0.1:")
  end

  describe ".new (results built by hand, in tests)" do
    it "takes the fields by keyword, redacts the URL as dispatch does, and freezes" do
      result = described_class.new(url: "https://u:pw-s3cret@example.com/h?k=s3cret", status: 500, attempts: 2,
                                   duration: 0.25, error: "HTTP 500", retryable: true, response_excerpt: "oops",
                                   delivery_id: "d-1", retry_after: 3.0)
      expect(result).to be_frozen
      expect(result.url).not_to include("s3cret")
      expect(result.url).to start_with("https://example.com/h")
      expect([result.success?, result.retryable?, result.invalid?, result.retry_after]).to eq([false, true, false, 3.0])
      expect(result.inspect).to include("failure", "attempts=2", "duration=0.250s", 'delivery_id="d-1"', 'error="HTTP 500"')
      expect(described_class.new(url: "https://example.com", status: nil, attempts: 0, duration: 0.0, error: "bad",
                                 retryable: false, response_excerpt: "", delivery_id: nil, invalid: true)).to be_invalid
    end

    it "requires every field but retry_after and invalid" do
      expect { described_class.new(url: "https://example.com") }.to raise_error(ArgumentError, /missing keywords?/)
    end
  end
end
