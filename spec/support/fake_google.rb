# frozen_string_literal: true

require "json"
require "openssl"
require "base64"
require "uri"

# A fake Google on 127.0.0.1 (a TestReceiver): the OAuth token endpoint (it verifies the RS256 JWT
# assertion with the service account's public key, its iss, aud and scope, as Google does),
# Dialogflow ES v2 detectIntent, and Cloud Translation v3 detectLanguage and translateText, each
# checking the Bearer token it issued and the request body, answering with the APIs' JSON.
class FakeGoogle
  TOKEN = "ya29.fake-google-token"
  SCOPE = "https://www.googleapis.com/auth/cloud-platform"

  attr_reader :rsa

  def initialize
    @rsa = OpenSSL::PKey::RSA.generate(2048)
    @receiver = TestReceiver.new
    respond
  end

  # html_fails: translateText refuses text/html requests with INVALID_ARGUMENT.
  def respond(html_fails: false)
    public_key = @rsa.public_key
    token_url = self.token_url
    email = client_email
    @receiver.respond { |request, _| FakeGoogle.answer(request, public_key, token_url, email, html_fails) }
  end

  def client_email = "bot@acme-bot.iam.gserviceaccount.com"

  def credentials
    { "type" => "service_account", "project_id" => "acme-bot", "private_key_id" => "k1", "client_email" => client_email,
      "private_key" => @rsa.private_to_pem, "token_uri" => "https://oauth2.googleapis.com/token" }
  end

  def url = @receiver.url("")
  def token_url = @receiver.url("/token")
  def received = @receiver.received
  def token_requests = received.count { |r| r.path == "/token" }
  def api_requests = received.reject { |r| r.path == "/token" }
  def stop = @receiver.stop

  def self.json(status, body) = [status, { "Content-Type" => "application/json; charset=UTF-8" }, JSON.generate(body)]

  def self.error(status, code, message) = json(status, "error" => { "code" => status, "message" => message, "status" => code })

  def self.b64url(part) = Base64.urlsafe_decode64(part + ("=" * ((4 - part.size % 4) % 4)))

  def self.answer(request, public_key, token_url, email, html_fails)
    return token(request, public_key, token_url, email) if request.path == "/token"
    return error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.") unless request.header("authorization") == "Bearer #{TOKEN}"

    body = JSON.parse(request.body)
    case request.path
    when %r{\A/v3/projects/acme-bot:detectLanguage\z}
      return error(400, "INVALID_ARGUMENT", "Invalid request.") unless String === body["content"] && body["mimeType"] == "text/plain"

      json(200, "languages" => [{ "languageCode" => body["content"].match?(/hola|gracias/i) ? "es" : "en", "confidence" => 1.0 }])
    when %r{\A/v3/projects/acme-bot:translateText\z}
      contents = body["contents"]
      return error(400, "INVALID_ARGUMENT", "Target language is invalid.") unless body["targetLanguageCode"].to_s.match?(/\A[a-z]{2,3}(-[A-Za-z]+)?\z/)
      return error(400, "INVALID_ARGUMENT", "Invalid request.") unless Array === contents && contents.size == 1 && %w[text/plain text/html].include?(body["mimeType"])
      return error(400, "INVALID_ARGUMENT", "Unsupported HTML.") if html_fails && body["mimeType"] == "text/html"

      json(200, "translations" => [{ "translatedText" => "[#{body["targetLanguageCode"]}] #{contents[0]}", "detectedLanguageCode" => "en" }])
    when %r{\A/v2/projects/acme-bot/agent/sessions/[^/]+:detectIntent\z}
      text = body.dig("queryInput", "text", "text")
      json(200, "responseId" => "r-1", "queryResult" => { "queryText" => text, "fulfillmentMessages" => [{ "text" => { "text" => ["You said #{text}"] } }] })
    else error(404, "NOT_FOUND", "Requested entity was not found.")
    end
  end

  def self.token(request, public_key, token_url, email)
    form = URI.decode_www_form(request.body).to_h
    header, claims, signature = form["assertion"].to_s.split(".")
    payload = JSON.parse(b64url(claims.to_s))
    valid = form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer" && JSON.parse(b64url(header))["alg"] == "RS256" &&
            public_key.verify("SHA256", b64url(signature), "#{header}.#{claims}") &&
            payload["iss"] == email && payload["aud"] == token_url && payload["scope"] == SCOPE && payload["exp"] - payload["iat"] == 3600
    return json(400, "error" => "invalid_grant", "error_description" => "Invalid JWT Signature.") unless valid

    json(200, "access_token" => TOKEN, "expires_in" => 3599, "token_type" => "Bearer")
  rescue JSON::ParserError, ArgumentError
    json(400, "error" => "invalid_grant", "error_description" => "Invalid JWT.")
  end
end
