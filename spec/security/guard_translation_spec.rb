# frozen_string_literal: true

require_relative "support/raw_listener"

# Hostile input: IPv6 forms that carry a refused IPv4 address are refused, with no connection
# attempted. Every form here carries 127.0.0.1 and nothing else, so a regression could only reach
# this machine; a listener on 127.0.0.1 and ::1 (one port) counts the connections: none may arrive.
# (Every other address of the IANA special-purpose registries is checked, without connecting, by
# the unit tests in src/dispatch/guard/classes.rs.)
RSpec.describe "The address guard and IPv6 forms of 127.0.0.1" do
  let(:n) { Integrations::Native }
  let(:listener) { RawListener.new }

  let(:forms) do
    {
      "local-use NAT64, RFC 8215" => "[64:ff9b:1::7f00:1]",
      "local-use NAT64, dotted" => "[64:ff9b:1::127.0.0.1]",
      "SIIT, RFC 2765" => "[::ffff:0:7f00:1]",
      "SIIT, dotted" => "[::ffff:0:127.0.0.1]",
      "NAT64 well-known prefix" => "[64:ff9b::7f00:1]",
      "IPv4-compatible" => "[::127.0.0.1]",
      "6to4" => "[2002:7f00:1::7f00:1]",
      "Teredo, client and server 127.0.0.1" => "[2001:0:7f00:1:0:0:80ff:fffe]",
    }
  end
  let(:mapped) { { "IPv4-mapped" => "[::ffff:127.0.0.1]", "IPv4-mapped, hex" => "[::ffff:7f00:1]" } }

  after do
    listener.stop
    n.reset_configuration!
  end

  def refused!(form, host)
    result = n.dispatch(url: "http://#{host}:#{listener.port}/hook", payload: { "id" => 1 }, secret: "k")
    expect(result.error).to include("refused by the address guard").and(include("127.0.0.1")), "#{form} #{host}: #{result.error}"
    expect([result.success?, result.retryable?, result.attempts]).to eq([false, false, 0]), form
  end

  it "listens on 127.0.0.1 and ::1 and counts what arrives (the control)" do
    n.configure { |c| c.allowed_private_cidrs = ["127.0.0.1/32"] }
    expect(n.dispatch(url: listener.url, payload: {})).to be_success
    expect(listener.connections).to eq(1)
    warn "no IPv6 loopback on this machine: the ::1 listener is not running" unless listener.ipv6?
  end

  it "refuses every form by default, before any connection" do
    forms.merge(mapped).each { |form, host| refused!(form, host) }
    expect(listener.connections).to eq(0)
  end

  it "refuses every translation form when 127.0.0.1 itself is allowed: only the mapped form is that address" do
    n.configure { |c| c.allowed_private_cidrs = ["127.0.0.1/32"] }
    forms.each { |form, host| refused!(form, host) }
    expect(listener.connections).to eq(0)

    mapped.each_value { |host| expect(n.dispatch(url: "http://#{host}:#{listener.port}/hook", payload: {})).to be_success }
    expect(listener.connections).to eq(mapped.size)
  end

  it "refuses a redirect to any of the forms" do
    # The listener answers in its own process: /first/N redirects to the N-th form.
    hosts = forms.values
    listener.respond do |request|
      [307, { "Location" => "http://#{hosts[request.target[%r{\A/first/(\d+)\z}, 1].to_i]}:#{listener.port}/next" }, ""]
    end
    n.configure do |c|
      c.allowed_private_cidrs = ["127.0.0.1/32"]
      c.max_redirects = 1
    end
    forms.each_key.with_index do |form, index|
      result = n.dispatch(url: listener.url("/first/#{index}"), payload: {})
      expect(result.error).to include("refused by the address guard"), "#{form}: #{result.error}"
    end
    expect(listener.requests.map(&:target)).to eq(Array.new(forms.size) { |index| "/first/#{index}" })
    expect(listener.connections).to eq(forms.size)
  end

  it "names the IPv4 address a form carries" do
    result = n.dispatch(url: "http://[64:ff9b:1::7f00:1]:#{listener.port}/", payload: {})
    expect(result.error).to include("64:ff9b:1::7f00:1 (an IPv6 form of 127.0.0.1) is a loopback address")
  end
end
