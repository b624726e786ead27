# frozen_string_literal: true

require "json"
require "openssl"

# Apps.validate against Chatwoot's settings schemas (config/integration/apps.yml), app by app:
# required fields, types, and no extra properties where Chatwoot forbids them. The rules are
# native (src/hooks/apps.rs); nothing here is sent anywhere.
RSpec.describe "Integrations::Native::Apps.validate, Chatwoot's schemas" do
  let(:n) { Integrations::Native }
  let(:key) do
    { "type" => "service_account", "client_email" => "bot@acme-bot.iam.gserviceaccount.com", "token_uri" => "https://oauth2.googleapis.com/token",
      "private_key" => OpenSSL::PKey::RSA.generate(1024).private_to_pem }
  end

  it "dialogflow: project_id and credentials (the key file), optional region and language_code, nothing else" do
    expect(n::Apps.validate("dialogflow", "project_id" => "p", "credentials" => key, "region" => "europe-west1", "language_code" => "es")).to eq({})
    expect(n::Apps.validate("dialogflow", "project_id" => "p", "credentials" => key, "webhook_url" => "x"))
      .to eq("webhook_url" => "is not a setting of this app")
    expect(n::Apps.validate("dialogflow", "project_id" => 5, "credentials" => key)).to eq("project_id" => "Dialogflow Project ID must be text")
  end

  it "google_translate: project_id and credentials, nothing else" do
    expect(n::Apps.validate("google_translate", "project_id" => "p", "credentials" => key)).to eq({})
    expect(n::Apps.validate("google_translate", "project_id" => "p").keys).to eq(["credentials"])
    expect(n::Apps.validate("google_translate", "project_id" => "p", "credentials" => key, "auto_translate" => true).keys).to eq(["auto_translate"])
  end

  it "openai: api_key required, label_suggestion a boolean" do
    expect(n::Apps.validate("openai", "api_key" => "sk", "label_suggestion" => true)).to eq({})
    expect(n::Apps.validate("openai", "label_suggestion" => "yes"))
      .to eq("api_key" => "API key is required", "label_suggestion" => "Label suggestions must be true or false")
  end

  it "dyte: RealtimeKit's three settings, or the legacy organization_id and api_key" do
    expect(n::Apps.validate("dyte", "account_id" => "a", "app_id" => "b", "api_token" => "t")).to eq({})
    expect(n::Apps.validate("dyte", "organization_id" => "o", "api_key" => "k")).to eq({})
    expect(n::Apps.validate("dyte", "account_id" => "a")).to eq("app_id" => "RealtimeKit App ID is required", "api_token" => "Cloudflare API Token is required")
    expect(n::Apps.validate("dyte", "account_id" => "a", "app_id" => 1, "api_token" => "t")).to include("app_id" => "RealtimeKit App ID must be text")
  end

  it "linear: connected with OAuth, no settings to fill in" do
    expect(n::Apps.find("linear").oauth).to be(true)
    expect(n::Apps.validate("linear", "token_type" => "Bearer", "expires_in" => 315_705_599, "scope" => "read,write")).to eq({})
  end
end
