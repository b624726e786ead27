# frozen_string_literal: true

require "openssl"
require "base64"
require_relative "support/raw_listener"

# Hostile input: a redirect to another origin (here the same host on another port) carries only
# the headers the gem sets, signed for the request it makes, unless c.redirect_keeps_headers; and an
# allowed_private_hosts entry "host:port" opens that port only.
RSpec.describe "Redirects to another origin, and allowed_private_hosts with a port" do
  let(:n) { Integrations::Native }
  # Started on first use only: stopping a WEBrick that never served anything waits for its poll loop.
  # The endpoint's origin, and another origin (127.0.0.1, another port).
  def first = @first ||= TestReceiver.new
  def second = @second ||= TestReceiver.new
  let(:caller_headers) { { "X-Api-Key" => "caller-key", "Authorization" => "Bearer caller-token", "Cookie" => "session=caller" } }
  let(:secret) { "whsec_#{Base64.strict_encode64("standard-key")}" }
  let(:body) { JSON.generate("event" => "message_created", "id" => 7) }

  def hmac(key, text)
    OpenSSL::HMAC.digest("SHA256", key, text)
  end

  # Checked with OpenSSL, not with the gem: what a receiver of each scheme verifies.
  def signed?(scheme, request)
    h = ->(name) { request.header(name) }
    case scheme
    when :chatwoot
      h["x-chatwoot-signature"] == "sha256=#{hmac(secret, "#{h["x-chatwoot-timestamp"]}.#{request.body}").unpack1("H*")}"
    when :hex_body
      h["x-chatwoot-signature"] == hmac(secret, request.body).unpack1("H*")
    when :standard
      key = Base64.strict_decode64(secret.delete_prefix("whsec_"))
      h["webhook-signature"] == "v1,#{Base64.strict_encode64(hmac(key, "#{h["webhook-id"]}.#{h["webhook-timestamp"]}.#{request.body}"))}"
    end
  end

  before do
    final = second.url("/final") # here: the responder runs in the receiver's own process
    first.respond do |request, _|
      case request.path
      when %r{\A/(30[12378])\z} then [Regexp.last_match(1).to_i, { "Location" => final }, ""]
      when "/same-origin" then [307, { "Location" => "/final" }, ""]
      else [200, {}, "first"]
      end
    end
    n.configure do |c|
      c.allowed_private_cidrs = ["127.0.0.1/32"]
      c.max_redirects = 3
    end
  end

  after do
    [@first, @second, @other_port].compact.each(&:stop)
    n.reset_configuration!
  end

  describe "a cross-origin hop" do
    cases = {
      307 => ["POST", true], 308 => ["POST", true], # the body repeated
      301 => ["GET", false], 302 => ["GET", false], 303 => ["GET", false] # a bodiless GET
    }
    %i[chatwoot hex_body standard].each do |scheme|
      cases.each do |status, (method, repeated)|
        it "after #{status} (#{scheme}): no caller header arrives, the gem's do, and the signature verifies there" do
          result = n.dispatch(url: first.url("/#{status}"), payload: body, secret: secret, scheme: scheme, headers: caller_headers)
          expect(result).to be_success
          asked = first.received.last
          hop = second.received.last
          expect([hop.method, hop.path, hop.body]).to eq([method, "/final", repeated ? body : ""])
          expect(asked.header("x-api-key")).to eq("caller-key") # the endpoint's own origin gets them
          %w[x-api-key authorization cookie].each { |name| expect(hop.header(name)).to be_nil, name }
          expect(hop.header("user-agent")).to start_with("chatwoot_integrations_rs/")
          expect(hop.header("content-type")).to eq(repeated ? "application/json" : nil)
          id_header = scheme == :standard ? "webhook-id" : "x-chatwoot-delivery"
          expect(hop.header(id_header)).to eq(result.delivery_id)
          expect(signed?(scheme, asked)).to be(true)
          expect(signed?(scheme, hop)).to be(true), "#{scheme} #{status}: #{hop.headers}"
        end
      end
    end

    it "keeps the caller's headers with c.redirect_keeps_headers = true" do
      n.configure { |c| c.redirect_keeps_headers = true }
      result = n.dispatch(url: first.url("/307"), payload: body, secret: secret, headers: caller_headers)
      expect(result).to be_success
      hop = second.received.last
      expect(%w[x-api-key authorization cookie].map { |name| hop.header(name) }).to eq(caller_headers.values)
      expect(signed?(:chatwoot, hop)).to be(true)
    end

    it "leaves a same-origin hop alone" do
      result = n.dispatch(url: first.url("/same-origin"), payload: body, secret: secret, headers: caller_headers)
      expect(result).to be_success
      hop = first.received.last
      expect([hop.path, hop.header("x-api-key"), hop.header("cookie")]).to eq(["/final", "caller-key", "session=caller"])
      expect(second.received).to be_empty
    end

    it "takes only true or false for redirect_keeps_headers" do
      expect { n.configure { |c| c.redirect_keeps_headers = "yes" } }.to raise_error(n::ConfigurationError, /redirect_keeps_headers/)
      expect(n.config.redirect_keeps_headers).to be(false)
    end
  end

  describe "allowed_private_hosts with a port" do
    # Another port on 127.0.0.1 (and ::1): counts the connections that arrive.
    def other_port = @other_port ||= RawListener.new

    before do
      n.reset_configuration! # no CIDR: the host:port entry is the only opening
    end

    it "opens that port of the host, and no other" do
      n.configure { |c| c.allowed_private_hosts = ["127.0.0.1:#{first.port}"] }
      expect(n.dispatch(url: first.url("/hook"), payload: {})).to be_success
      refused = n.dispatch(url: other_port.url, payload: {})
      expect(refused.error).to include("refused by the address guard")
      expect([refused.retryable?, refused.attempts]).to eq([false, 0])
      expect(n.dispatch(url: second.url, payload: {}).error).to include("refused by the address guard")
      expect(other_port.connections).to eq(0)
      expect(second.received).to be_empty
    end

    it "refuses a redirect to another port of the allowed host" do
      n.configure do |c|
        c.allowed_private_hosts = ["127.0.0.1:#{first.port}"]
        c.max_redirects = 3
      end
      elsewhere = other_port.url
      first.respond { [307, { "Location" => elsewhere }, ""] }
      expect(n.dispatch(url: first.url, payload: {}).error).to include("refused by the address guard")
      expect(other_port.connections).to eq(0)
    end

    it "checks names through the resolver on the port connected to" do
      n.configure { |c| c.allowed_private_hosts = ["LocalHost.:#{first.port}"] }
      expect(n.dispatch(url: "http://localhost:#{first.port}/hook", payload: {})).to be_success
      expect(n.dispatch(url: "http://localhost:#{other_port.port}/hook", payload: {}).error).to include("localhost resolves to")
      expect(n.dispatch(url: first.url, payload: {}).error).to include("refused by the address guard") # the name, not the address
      expect(other_port.connections).to eq(0)
    end

    it "opens every port of a host given without one" do
      n.configure { |c| c.allowed_private_hosts = ["127.0.0.1"] }
      expect([first, second].map { |r| n.dispatch(url: r.url, payload: {}).success? }).to eq([true, true])
    end

    it "refuses entries that are not a host or host:port" do
      ["127.0.0.1:0", "127.0.0.1:65536", "host:http", "[::1", "host/path", "user@host", ""].each do |entry|
        expect { n.configure { |c| c.allowed_private_hosts = [entry] } }
          .to raise_error(n::ConfigurationError, /allowed_private_hosts/), entry
      end
    end
  end
end
