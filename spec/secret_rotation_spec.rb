# frozen_string_literal: true

require "json"
require "timeout"
require "tmpdir"

# Secret rotation: `secret:` takes an Array, newest first. :standard sends one `v1,`
# signature per secret, so a receiver that knows only the old secret or only the new one accepts
# the delivery; :chatwoot and :hex_body carry one signature and sign with the newest.
RSpec.describe "secret rotation" do
  let(:n) { Integrations::Native }
  let(:newest) { "whsec_#{[Random.new(21).bytes(24)].pack("m0")}" }
  let(:older) { "whsec_#{[Random.new(22).bytes(24)].pack("m0")}" }
  let(:payload) { { "event" => "message_created", "text" => "héllo" } }

  before do
    n.configure { |c| c.allowed_private_cidrs = ["127.0.0.1/32"] }
    @receiver = TestReceiver.new
    @receiver.respond { [200, {}, "ok"] }
  end

  after do
    @receiver.stop
    n.reset_configuration!
  end

  def verifies_standard?(request, secret)
    n::Signature.verify_standard(secret: secret, id: request.header("webhook-id"), timestamp: request.header("webhook-timestamp"),
                                 body: request.body, signature: request.header("webhook-signature"))
  end

  it ":standard signs with every secret; a receiver knowing either one alone verifies it" do
    result = n.dispatch(url: @receiver.url("/hook"), payload: payload, secret: [newest, older], scheme: :standard)
    expect(result.success?).to be(true), result.inspect
    request = @receiver.received.first
    expect(request.header("webhook-signature")).to match(/\Av1,\S+ v1,\S+\z/)
    expect(verifies_standard?(request, newest)).to be(true)
    expect(verifies_standard?(request, older)).to be(true)
    expect(verifies_standard?(request, "whsec_#{[Random.new(23).bytes(24)].pack("m0")}")).to be(false)
  end

  it ":chatwoot and :hex_body sign with the newest secret only" do
    n.dispatch(url: @receiver.url("/cw"), payload: payload, secret: [newest, older], scheme: :chatwoot)
    n.dispatch(url: @receiver.url("/hex"), payload: payload, secret: [newest, older], scheme: :hex_body)
    cw = @receiver.received.find { |r| r.path == "/cw" }
    args = { timestamp: cw.header("x-chatwoot-timestamp"), body: cw.body, signature: cw.header("x-chatwoot-signature") }
    expect(n::Signature.verify_chatwoot(secret: newest, **args)).to be(true)
    expect(n::Signature.verify_chatwoot(secret: older, **args)).to be(false)
    hex = @receiver.received.find { |r| r.path == "/hex" }
    expect(hex.header("x-chatwoot-signature")).to eq(OpenSSL::HMAC.hexdigest("SHA256", newest, hex.body))
  end

  it "refuses secret Arrays that cannot work, as that endpoint's defect; an empty Array is unsigned" do
    expect { n.dispatch(url: @receiver.url("/x"), payload: payload, secret: ["a", 1]) }
      .to raise_error(TypeError, /secret entries must be Strings, got Integer/)
    expect { n.dispatch(url: @receiver.url("/x"), payload: payload, secret: ["a", ""]) }
      .to raise_error(ArgumentError, /secret entries must not be empty/)
    expect { n.dispatch(url: @receiver.url("/x"), payload: payload, secret: Array.new(11) { |i| "s#{i}" }) }
      .to raise_error(ArgumentError, /at most 10 secrets/)
    results = n.dispatch(endpoints: [{ url: @receiver.url("/bad"), secret: [1] }, { url: @receiver.url("/ok"), secret: [] }],
                         payload: payload)
    expect(results.map(&:invalid?)).to eq([true, false])
    expect(@receiver.received.map(&:path)).to eq(["/ok"])
    expect(@receiver.received.first.header("x-chatwoot-signature")).to be_nil
  end

  it "goes through WebhookJob: an inline endpoint's secret list stays JSON-native" do
    results = n::WebhookJob.new.perform([{ "url" => @receiver.url("/job"), "secret" => [newest, older] }], payload, "e")
    expect(results.first.success?).to be(true), results.first.inspect
    expect { n::JobArguments.json_native!("WebhookJob", %w[endpoints payload event], [[{ "url" => "u", "secret" => [newest] }], {}, "e"]) }
      .not_to raise_error
  end

  describe "verified by the official Standard Webhooks libraries, each knowing one secret" do
    venv_python = File.expand_path("../tmp/interop-venv/bin/python", __dir__)
    receiver_script = File.expand_path("../test/interop/receiver.py", __dir__)

    it "is accepted by standardwebhooks and svix with the old secret alone, and with the new one alone" do
      skip "tmp/interop-venv is missing (run `rake interop` to create it)" unless File.executable?(venv_python)

      Dir.mktmpdir("rotation") do |dir|
        [newest, older].each_with_index do |known, index|
          File.write(File.join(dir, "secret#{index}"), known)
          IO.popen([venv_python, receiver_script, File.join(dir, "secret#{index}")], err: File::NULL) do |io|
            port = Timeout.timeout(30) { Integer(io.gets) }
            result = n.dispatch(url: "http://127.0.0.1:#{port}/hook", payload: payload, secret: [newest, older], scheme: :standard)
            expect(result.status).to eq(204), [result.status, result.error, result.response_excerpt].inspect
            lone = n.dispatch(url: "http://127.0.0.1:#{port}/hook", payload: payload, secret: [index.zero? ? older : newest],
                              scheme: :standard)
            expect(lone.status).to eq(401) # the other secret alone is refused: the receiver really checks
          ensure
            Process.kill("TERM", io.pid)
          end
        end
      end
    end
  end
end
