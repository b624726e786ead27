# frozen_string_literal: true

require "json"

# A fake OpenAI API on 127.0.0.1 (a TestReceiver): GET /v1/models and POST /v1/chat/completions,
# answering with the real API's JSON. It checks the Bearer key (401 invalid_api_key otherwise, as
# OpenAI does) and the request body (model and messages with roles and text, else 400).
class FakeOpenAI
  MODELS = { "object" => "list", "data" => [{ "id" => "gpt-4o-mini", "object" => "model", "created" => 1_721_172_741, "owned_by" => "system" }] }.freeze

  # answer: the assistant's text, or a block (body Hash → text or [status, error message]).
  def initialize(key: "sk-test-key", answer: "Sure, here it is.", &block)
    @receiver = TestReceiver.new
    respond(key: key, answer: answer, &block)
  end

  def respond(key: "sk-test-key", answer: "Sure, here it is.", &block)
    @receiver.respond { |request, _| FakeOpenAI.answer(request, key, block || ->(_body) { answer }) }
  end

  def url
    @receiver.url("/v1")
  end

  def received
    @receiver.received
  end

  # The JSON bodies of the chat completions received.
  def completions
    received.select { |r| r.path == "/v1/chat/completions" }.map { |r| JSON.parse(r.body) }
  end

  def stop
    @receiver.stop
  end

  def self.error(status, message, type, code = nil)
    [status, { "Content-Type" => "application/json" }, JSON.generate("error" => { "message" => message, "type" => type, "param" => nil, "code" => code })]
  end

  def self.answer(request, key, answer)
    return error(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key") unless request.header("authorization") == "Bearer #{key}"

    case [request.method, request.path]
    when ["GET", "/v1/models"] then [200, { "Content-Type" => "application/json" }, JSON.generate(MODELS)]
    when ["POST", "/v1/chat/completions"] then completion(request, answer)
    else error(404, "Unknown request URL: #{request.method} #{request.path}.", "invalid_request_error", "unknown_url")
    end
  end

  def self.completion(request, answer)
    body = JSON.parse(request.body)
    messages = body["messages"]
    valid = String === body["model"] && Array === messages && !messages.empty? &&
            messages.all? { |m| %w[system user assistant].include?(m["role"]) && String === m["content"] }
    return error(400, "Invalid request body.", "invalid_request_error") unless valid && request.header("content-type").to_s.start_with?("application/json")

    text = answer.call(body)
    return error(text[0], text[1], "server_error") if Array === text

    [200, { "Content-Type" => "application/json" },
     JSON.generate("id" => "chatcmpl-1", "object" => "chat.completion", "created" => 1_764_000_000, "model" => body["model"],
                   "choices" => [{ "index" => 0, "message" => { "role" => "assistant", "content" => text }, "finish_reason" => "stop" }],
                   "usage" => { "prompt_tokens" => 10, "completion_tokens" => 5, "total_tokens" => 15 })]
  rescue JSON::ParserError
    error(400, "We could not parse the JSON body of your request.", "invalid_request_error")
  end
end
