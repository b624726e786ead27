# frozen_string_literal: true

# A Slack send through SendService beside the same request the Ruby way (JSON encoding + Net::HTTP,
# a connection per call and a kept-alive one), against the local nginx standing in for Slack.
require "net/http"
require "json"

url, stop_nginx = Bench.start_nginx
unless url
  puts "SendService: skipped (nginx not installed)"
  puts
  return
end

api = url.sub(%r{/hook\z}, "/api")
N.configure do |c|
  c.allowed_private_cidrs = ["127.0.0.1/32"]
  c.slack_api_url = api
end
Account = Struct.new(:name)
Sender = Struct.new(:name)
Conversation = Struct.new(:identifier, :account, :messages)
Hook = Struct.new(:app_id, :settings, :access_token, :reference_id) { def active? = true }
Message = Struct.new(:content, :sender, :conversation) do
  def incoming? = false
  def outgoing? = true
end
hook = Hook.new("slack", {}, "xoxb-bench-token", "C0123")
message = Message.new("We refunded the duplicate charge for order #1042.", Sender.new("Sam"), Conversation.new(nil, Account.new("Acme"), []))
uri = URI("#{api}/chat.postMessage")
headers = { "Authorization" => "Bearer xoxb-bench-token", "Content-Type" => "application/json; charset=utf-8" }
outcome = N::SendService.new(hook: hook, message: message).perform
raise "bench Slack answered #{outcome.inspect}" unless outcome.identifier?

ruby_send = lambda do |http|
  body = JSON.generate("channel" => hook.reference_id, "text" => "*#{message.sender.name}*: #{message.content}")
  response = http ? http.post(uri.path, body, headers) : Net::HTTP.post(uri, body, headers)
  JSON.parse(response.body)["ts"]
end
keep_alive = Net::HTTP.start(uri.host, uri.port)
Bench.table("Slack chat.postMessage, one send at a time (sends/s)", [
  ["Net::HTTP.post + JSON (a connection per send)", Bench.rate { ruby_send.call(nil) }],
  ["Net::HTTP keep-alive + JSON", Bench.rate { ruby_send.call(keep_alive) }],
  ["N::SendService#perform", Bench.rate { N::SendService.new(hook: hook, message: message).perform }],
])
keep_alive.finish
N.reset_configuration!
stop_nginx.call
