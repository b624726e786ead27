# frozen_string_literal: true

require "spec_helper"

RSpec.describe Integrations::Native::Configuration do
  let(:n) { Integrations::Native }

  after { n.reset_configuration! }

  describe "defaults" do
    it "are in force before anything is configured, and after reset_configuration!" do
      [described_class.new, n.reset_configuration!].each do |config|
        expect(config).to have_attributes(
          timeout: 5, max_concurrency: 64, inline_retries: 1, retry_after_cap: 5, max_redirects: 0,
          redirect_keeps_headers: false, max_response_bytes: 64 * 1024, allow_private_addresses: false,
          allowed_private_hosts: [], allowed_private_cidrs: [], rails_json: :auto, endpoint_resolver: nil,
          max_attempts: 5, on_delivery_failure: nil, queue: nil, on_webhook_failure: nil, webhook_timeout: nil,
          slack_api_url: "https://slack.com/api", openai_api_url: "https://api.openai.com/v1",
          linear_api_url: "https://api.linear.app/graphql"
        )
        # ActiveJob's polynomial back-off.
        expect((1..4).map { |attempt| config.retry_delay.call(attempt) }).to eq([3, 18, 83, 258])
      end
      expect(n.config.timeout).to eq(5)
    end
  end

  describe "ranges" do
    # [setting, lowest accepted, highest accepted, just below, just above]
    [
      [:timeout, 0.001, 600, 0, 600.5],
      [:max_concurrency, 1, 10_000, 0, 10_001],
      [:inline_retries, 0, 5, -1, 6],
      [:retry_after_cap, 0, 3600, -1, 3601],
      [:max_redirects, 0, 20, -1, 21],
      [:max_response_bytes, 0, 64 * 1024 * 1024, -1, (64 * 1024 * 1024) + 1],
      [:max_attempts, 1, 100, 0, 101]
    ].each do |name, lowest, highest, below, above|
      it "#{name}: #{lowest} to #{highest}; outside that, or not a number, ConfigurationError naming it" do
        [lowest, highest].each do |value|
          n.configure { |c| c.public_send(:"#{name}=", value) }
          expect(n.config.public_send(name)).to eq(value)
        end
        [below, above, "5", nil].each do |value|
          expect { n.configure { |c| c.public_send(:"#{name}=", value) } }
            .to raise_error(n::ConfigurationError, /#{name}/), "#{name} = #{value.inspect}"
        end
      end
    end

    it "refuses flags that are not true/false, and callables that cannot be called" do
      expect { n.configure { |c| c.allow_private_addresses = "yes" } }.to raise_error(n::ConfigurationError, /allow_private_addresses/)
      expect { n.configure { |c| c.rails_json = :sometimes } }.to raise_error(n::ConfigurationError, /rails_json/)
      expect { n.configure { |c| c.retry_delay = 5 } }.to raise_error(n::ConfigurationError, /retry_delay/)
      expect { n.configure { |c| c.webhook_timeout = 601 } }.to raise_error(n::ConfigurationError, /webhook_timeout/)
    end

    it "leaves the settings in force untouched when a configure block fails" do
      n.configure { |c| c.timeout = 7 }
      expect { n.configure { |c| (c.timeout = 9) && (c.max_attempts = 0) } }.to raise_error(n::ConfigurationError)
      expect(n.config).to have_attributes(timeout: 7, max_attempts: 5)
    end
  end

  describe "the configuration in force" do
    it "is frozen, so a change outside configure raises instead of silently not reaching the engine" do
      n.configure { |c| c.timeout = 2 }
      config = n.config
      expect(config).to be_frozen
      expect { config.timeout = 30 }.to raise_error(FrozenError)
      expect { config.allow_private_addresses = true }.to raise_error(FrozenError)
      expect { config.allowed_private_hosts << "127.0.0.1" }.to raise_error(FrozenError)
      expect { config.allowed_private_cidrs << "127.0.0.0/8" }.to raise_error(FrozenError)
      expect(n.config).to have_attributes(timeout: 2, allow_private_addresses: false, allowed_private_hosts: [])
    end

    it "is frozen before the first configure too, and after reset_configuration!" do
      expect(n.reset_configuration!).to be_frozen
      expect { n.config.max_attempts = 9 }.to raise_error(FrozenError)
    end

    it "is changed through configure, which yields a thawed copy and keeps the caller's own lists thawed" do
      hosts = ["localhost"]
      n.configure { |c| c.allowed_private_hosts = hosts }
      expect(hosts).not_to be_frozen
      hosts << "127.0.0.1" # the caller's Array; not the one in force
      expect(n.config.allowed_private_hosts).to eq(["localhost"])

      n.configure do |c|
        expect(c).not_to be_frozen
        c.allowed_private_hosts << "127.0.0.2"
        c.max_attempts = 3
      end
      expect(n.config).to have_attributes(allowed_private_hosts: %w[localhost 127.0.0.2], max_attempts: 3)
    end

    it "reaches the engine: the address guard follows allow_private_addresses as configured" do
      receiver = TestReceiver.new
      refused = n.dispatch(url: receiver.url("/guarded"), payload: "{}")
      expect(refused).not_to be_success
      expect(refused.error).to match(/private|loopback|not allowed|refused/i)

      n.configure { |c| c.allow_private_addresses = true }
      expect(n.dispatch(url: receiver.url("/open"), payload: "{}")).to be_success
      expect(receiver.received.map(&:path)).to eq(["/open"])
    ensure
      receiver&.stop
    end
  end
end
