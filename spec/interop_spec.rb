# frozen_string_literal: true

require "json"
require "rack"
require "tmpdir"
require "timeout"

# The cases `rake interop` generated with the schemes' official Python libraries
# (test/fixtures/interop/*.jsonl, see test/interop/generate.py), replayed through the Ruby face:
# every signature the gem makes equals the library's, and every verdict is the library's, valid and
# tampered, except where a case names its deviation (the gem stricter on purpose). Standard and
# Twilio cases go through Rack.verify!, the middleware's own path, so header families (svix-* and
# webhook-*) and the raw form body are read as a real request carries them.
RSpec.describe "interop with the official libraries" do
  fixtures = File.expand_path("../test/fixtures/interop", __dir__)
  n = Integrations::Native

  load_cases = lambda do |scheme|
    lines = File.readlines(File.join(fixtures, "#{scheme}.jsonl"), chomp: true, encoding: "UTF-8")
    [JSON.parse(lines.first).fetch("meta"), lines.drop(1).map { |line| JSON.parse(line) }]
  end
  body_of = ->(kase) { Hash === kase["body"] ? kase["body"]["repeat"] * kase["body"]["times"] : kase["body"] }
  request_for = lambda do |body, headers, content_type = "application/json", url = "https://example.com/hook"|
    env = headers.transform_keys { |name| "HTTP_#{name.upcase.tr("-", "_")}" }
    Rack::Request.new(Rack::MockRequest.env_for(url, method: "POST", input: body, "CONTENT_TYPE" => content_type, **env))
  end
  verdict = lambda do |&check|
    check.call
  rescue n::SignatureError
    false
  end

  # Checks every verify case; answers the disagreements (at most 10 shown).
  agree = lambda do |cases, &ours|
    wrong = []
    cases.each do |kase|
      got = ours.(kase)
      wrong << "gem #{got}, expected #{kase["expect"]}: #{kase.to_json[0, 300]}" unless got == kase["expect"]
      wrong << "expected differs from the library without a deviation: #{kase.to_json[0, 300]}" if kase["expect"] != kase["library"] && !kase["deviation"]
    end
    wrong
  end

  %w[standard stripe slack twilio].each do |scheme|
    it "records the library versions in #{scheme}.jsonl and holds hundreds of cases, valid and tampered" do
      meta, cases = load_cases.(scheme)
      expect(meta["libraries"]).to be_a(Hash).and(satisfy { |libs| libs.values.all? { |v| v.match?(/\A\d+\.\d+/) } })
      verifies = cases.select { |c| c["kind"] == "verify" }
      expect(verifies.size).to be >= 500
      expect(verifies.count { |c| c["library"] }).to be > 50
      expect(verifies.count { |c| !c["library"] }).to be > 50
    end
  end

  it "signs Standard Webhooks exactly as the library does, for every secret form (padded, unpadded, newline, prefix-less)" do
    _, cases = load_cases.(:standard)
    signs = cases.select { |c| c["kind"] == "sign" }
    expect(signs.map { |c| c["secret_form"] }.compact.uniq.sort).to eq(%w[bare bare_unpadded whsec whsec_newline whsec_unpadded])
    wrong = signs.filter_map do |kase|
      args = { secret: kase["secret"], id: kase["id"], timestamp: kase["timestamp"], body: body_of.(kase) }
      if kase["error"]
        begin
          n::Signature.sign_standard(**args)
          "accepted #{kase["secret"].inspect}"
        rescue ArgumentError
          nil
        end
      else
        got = n::Signature.sign_standard(**args)
        "#{kase["secret"].inspect}: #{got} != #{kase["signature"]}" unless got == kase["signature"]
      end
    end
    expect(wrong).to be_empty, wrong.first(10).join("\n")
  end

  it "verifies Standard Webhooks and Svix requests as the libraries do (svix-* and webhook-* headers, through Rack.verify!)" do
    _, cases = load_cases.(:standard)
    verifies = cases.select { |c| c["kind"] == "verify" }
    expect(verifies.count { |c| c["headers"].key?("svix-id") && c["library"] }).to be > 20
    wrong = agree.(verifies) do |kase|
      body = body_of.(kase)
      request = request_for.(body, kase["headers"])
      # Rack.verify! reads the clock: its window is widened to reach the generation's fixed clock,
      # and the window itself is checked by verify_standard! with that clock as now:.
      widened = Time.now.to_i - kase["now"] + 360
      verdict.() do
        n::Rack.verify!(request, scheme: :standard, secret: kase["secret"], tolerance: widened) &&
          n::Signature.verify_standard!(secret: kase["secret"], body: body, now: kase["now"],
                                        id: kase["headers"]["svix-id"] || kase["headers"]["webhook-id"],
                                        timestamp: kase["headers"]["svix-timestamp"] || kase["headers"]["webhook-timestamp"],
                                        signature: kase["headers"]["svix-signature"] || kase["headers"]["webhook-signature"])
      end
    end
    expect(wrong).to be_empty, wrong.first(10).join("\n")
  end

  it "verifies Stripe-Signature headers as Stripe's verifier does" do
    _, cases = load_cases.(:stripe)
    wrong = agree.(cases) do |kase|
      n::Signature.verify_stripe(secret: kase["secret"], body: body_of.(kase), header: kase["header"], now: kase["now"])
    end
    expect(wrong).to be_empty, wrong.first(10).join("\n")
  end

  it "verifies Slack signatures as slack_sdk does" do
    _, cases = load_cases.(:slack)
    wrong = agree.(cases) do |kase|
      n::Signature.verify_slack(signing_secret: kase["secret"], timestamp: kase["timestamp"], body: body_of.(kase),
                                signature: kase["signature"], now: kase["now"])
    end
    expect(wrong).to be_empty, wrong.first(10).join("\n")
  end

  it "verifies Twilio requests as twilio-python does: raw form bodies with repeated values, JSON bodies, HMAC-SHA256" do
    _, cases = load_cases.(:twilio)
    expect(cases.count { |c| c["library"] && c["body"].scan("MediaUrl=").size > 1 }).to be > 10
    expect(cases.count { |c| c["library"] && c["signature_settings"] }).to be > 20
    wrong = agree.(cases) do |kase|
      headers = { "X-Twilio-Signature" => kase["signature"] }
      headers["X-Twilio-Webhooks-Signature-Settings"] = kase["signature_settings"] if kase["signature_settings"]
      request = request_for.(kase["body"], headers, kase["content_type"])
      url = kase["url"]
      verdict.() { n::Rack.verify!(request, scheme: :twilio, secret: kase["auth_token"], url: ->(_request) { url }) }
    end
    expect(wrong).to be_empty, wrong.first(10).join("\n")
  end

  # Where the libraries raise on junk, the gem's non-bang form answers false (above) and its bang
  # form names the part that was malformed.
  it "names the malformed part for the junk the libraries raise on" do
    expected_part = {
      "double_space_after_match" => :signature, "double_space_before_match" => :signature,
      "entry_without_comma" => :signature, "only_other_versions" => :signature, "noncanonical_timestamp" => :timestamp,
      "non_integer_timestamp" => :timestamp, "no_prefix" => :signature, "no_t" => :timestamp, "no_v1" => :signature,
      "space_after_comma" => :signature,
    }
    bang = {
      standard: lambda do |kase|
        h = kase["headers"]
        n::Signature.verify_standard!(secret: kase["secret"], body: body_of.(kase), now: kase["now"],
                                      id: h["svix-id"] || h["webhook-id"],
                                      timestamp: h["svix-timestamp"] || h["webhook-timestamp"],
                                      signature: h["svix-signature"] || h["webhook-signature"])
      end,
      stripe: ->(kase) { n::Signature.verify_stripe!(secret: kase["secret"], body: body_of.(kase), header: kase["header"], now: kase["now"]) },
      slack: lambda do |kase|
        n::Signature.verify_slack!(signing_secret: kase["secret"], timestamp: kase["timestamp"], body: body_of.(kase),
                                   signature: kase["signature"], now: kase["now"])
      end,
    }
    seen = Hash.new(0)
    wrong = bang.flat_map do |scheme, call|
      load_cases.(scheme).last.filter_map do |kase|
        part = expected_part[kase["case"]]
        next unless part && kase["kind"] == "verify" && !kase["expect"]

        seen[kase["case"]] += 1
        begin
          call.(kase)
          "#{scheme} #{kase["case"]}: verified"
        rescue n::SignatureError => e
          "#{scheme} #{kase["case"]}: #{e.reason}/#{e.part.inspect}" unless [e.reason, e.part] == [:malformed, part]
        end
      end
    end
    expect(seen.keys).to include("double_space_after_match", "non_integer_timestamp", "no_t", "no_v1", "space_after_comma")
    expect(wrong).to be_empty, wrong.first(10).join("\n")
  end

  describe "dispatch(scheme: :standard) to a receiver verifying with the official libraries" do
    before { n.configure { |c| c.allowed_private_cidrs = ["127.0.0.1/32"] } }
    after { n.reset_configuration! }

    venv_python = File.expand_path("../tmp/interop-venv/bin/python", __dir__)
    receiver_script = File.expand_path("../test/interop/receiver.py", __dir__)

    # Secrets as an operator pastes them: padded, unpadded (a 23-byte key), with the newline of a
    # secrets file, and without the whsec_ prefix.
    key = Random.new(15).bytes(23)
    encoded = [key].pack("m0")
    { "whsec_ padded" => "whsec_#{encoded}", "whsec_ unpadded" => "whsec_#{encoded.delete("=")}",
      "whsec_ with a trailing newline" => "whsec_#{encoded}\n", "prefix-less" => encoded }.each do |form, secret|
      it "is accepted by standardwebhooks and svix with a #{form} secret" do
        unless File.executable?(venv_python)
          skip "tmp/interop-venv is missing (run `rake interop` to create it): no official library to verify with"
        end

        Dir.mktmpdir("interop") do |dir|
          File.write(File.join(dir, "secret"), secret)
          IO.popen([venv_python, receiver_script, File.join(dir, "secret")], err: File::NULL) do |io|
            port = Timeout.timeout(30) { Integer(io.gets) }
            url = "http://127.0.0.1:#{port}/hook"
            results = 3.times.map do |i|
              n.dispatch(url: url, payload: { "event" => "message_created", "text" => "héllo #{i} 😀" }, secret: secret, scheme: :standard)
            end
            expect(results.map(&:status)).to eq([204, 204, 204]), results.map { |r| [r.status, r.error, r.response_excerpt].inspect }.join("\n")
            # The same receiver refuses a message signed under another key.
            other = n.dispatch(url: url, payload: { "a" => 1 }, secret: "whsec_#{[Random.new(1).bytes(23)].pack("m0")}", scheme: :standard)
            expect(other.status).to eq(401)
          ensure
            Process.kill("TERM", io.pid)
          end
        end
      end
    end
  end
end
