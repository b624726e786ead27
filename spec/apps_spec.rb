# frozen_string_literal: true

require "spec_helper"

# The registry of Chatwoot's integration apps and the check of a hook's settings, as Chatwoot's
# admin screens and Integrations::Hook validation use them.
RSpec.describe Integrations::Native::Apps do
  let(:n) { Integrations::Native }

  describe ".all" do
    it "lists Chatwoot's apps, each with its hook type and settings fields, all frozen" do
      apps = described_class.all
      expect(apps).to be_frozen
      expect(apps.map(&:id)).to include("webhook", "slack", "dialogflow", "openai", "linear")
      expect(apps.map(&:id).uniq.size).to eq(apps.size)
      apps.each do |app|
        expect(app).to be_frozen
        expect(app.name).to be_a(String).and satisfy { |name| !name.empty? }
        expect(%i[account inbox]).to include(app.hook_type)
        expect([true, false]).to include(app.oauth)
        expect(app.fields).to be_frozen
        app.fields.each { |field| expect([field.name, field.label, field.required]).to match([String, String, be(true).or(be(false))]) }
      end
      expect(described_class.all).to equal(apps) # built once
    end

    it "knows Dialogflow as an inbox app with its two required fields" do
      dialogflow = described_class.find("dialogflow")
      expect(dialogflow.hook_type).to eq(:inbox)
      expect(dialogflow.fields.select(&:required).map(&:name)).to eq(%w[project_id credentials])
    end
  end

  describe ".find" do
    it "finds by String or Symbol id, and answers nil for an unknown id or nil" do
      expect(described_class.find("openai")).to equal(described_class.find(:openai))
      expect(described_class.find(:openai).name).to eq("OpenAI")
      expect(described_class.find("no_such_app")).to be_nil
      expect(described_class.find(nil)).to be_nil
    end

    it "refuses an id that is neither with a TypeError naming it" do
      expect { described_class.find(42) }.to raise_error(TypeError, "app_id must be a String or Symbol, got Integer")
    end
  end

  describe ".validate" do
    it "answers each missing required field with Chatwoot's message, and nothing for valid settings" do
      expect(described_class.validate("dialogflow", {})).to eq(
        "project_id" => "Dialogflow Project ID is required",
        "credentials" => "Dialogflow Project Key File is required"
      )
      expect(described_class.validate(:openai, { "api_key" => "sk-test" })).to eq({})
      expect(described_class.validate("openai", nil)).to eq("api_key" => "API key is required")
    end

    it "checks what a field holds, not only that it is there" do
      errors = described_class.validate("dialogflow", { "project_id" => "acme", "credentials" => { "type" => "user" } })
      expect(errors.keys).to eq(["credentials"])
      expect(errors["credentials"]).to match(/service account/)
    end

    it "raises ConfigurationError for an unknown app, without echoing a long id" do
      expect { described_class.validate("nope", {}) }.to raise_error(n::ConfigurationError, 'unknown app "nope"')
      expect { described_class.validate("x" * 100, {}) }.to raise_error(n::ConfigurationError, "unknown app (an id of 100 bytes)")
    end

    it "raises TypeError for settings that are no Hash, and SerializationError naming a field that is no JSON data" do
      expect { described_class.validate("openai", "api_key=x") }.to raise_error(TypeError, "settings must be a Hash, got String")
      expect { described_class.validate("openai", { "api_key" => (+"\xFF").force_encoding(Encoding::UTF_8) }) }
        .to raise_error(n::SerializationError, /at settings.*api_key.*UTF-8/)
    end
  end
end
