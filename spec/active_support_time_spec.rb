# frozen_string_literal: true

require "openssl"
require "active_support"
require "active_support/time"

# Chatwoot runs with ActiveSupport, which redefines Time.=== to call #is_a? on the value: the
# argument checks must still refuse a BasicObject with TypeError (not NoMethodError), and take
# Rails' Time.current (a TimeWithZone) wherever a Time is taken.
RSpec.describe "time arguments under ActiveSupport" do
  let(:sig) { Integrations::Native::Signature }
  let(:body) { '{"event":"message_created"}' }

  it "refuses a BasicObject as now: or timestamp: with a TypeError naming it" do
    expect { sig.verify_chatwoot(secret: "k", timestamp: "1", body: body, signature: "sha256=00", now: BasicObject.new) }
      .to raise_error(TypeError, /now must be a Time, Integer or nil, got BasicObject/)
    expect { sig.sign_chatwoot(secret: "k", timestamp: BasicObject.new, body: body) }
      .to raise_error(TypeError, /timestamp must be an Integer, String or Time, got BasicObject/)
  end

  it "takes a TimeWithZone as a Time" do
    Time.zone = "Asia/Kolkata"
    now = Time.zone.at(1_700_000_000)
    expect(now).to be_a(ActiveSupport::TimeWithZone)
    signature = sig.sign_chatwoot(secret: "k", timestamp: now, body: body)
    expect(signature).to eq("sha256=#{OpenSSL::HMAC.hexdigest("SHA256", "k", "1700000000.#{body}")}")
    expect(sig.verify_chatwoot(secret: "k", timestamp: "1700000000", body: body, signature: signature, now: now)).to be(true)
  ensure
    Time.zone = nil
  end
end
