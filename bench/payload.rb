# frozen_string_literal: true

# Payload serialization on a realistic Chatwoot message_created payload (about 3.5 KB of JSON):
# N::Payload.dump beside JSON.generate, Oj (compat mode) and ActiveSupport's to_json, and Rails mode
# beside ActiveSupport. Oj and ActiveSupport rows need Debian's ruby-oj and ruby-activesupport.
require "json"
require "time"

message = JSON.parse(File.read(File.expand_path("../test/fixtures/message_created.json", __dir__)))
# Rails models hand over Ruby objects, not strings: timestamps as Time, ids as Integers.
message["created_at"] = Time.utc(2026, 11, 28, 22, 5, 7, 123_000)
message["conversation"]["messages"] = Array.new(6) do |i|
  { "id" => 4815 + i, "content" => "Message #{i}: the order <#1042> & a refund — ça va? 😀", "message_type" => i.even? ? 1 : 0,
    "created_at" => 1_764_367_500 + i, "private" => false, "sender" => { "id" => 3, "name" => "Sam Agent", "type" => "user" },
    "attachments" => [], "content_attributes" => { "in_reply_to" => nil } }
end
plain = JSON.parse(JSON.generate(message.merge("created_at" => message["created_at"].iso8601(3))))
puts "Payload: #{JSON.generate(plain).bytesize} bytes of JSON (a message_created webhook)"

rows = [["JSON.generate", Bench.rate { JSON.generate(plain) }]]
begin
  require "oj"
  rows << ["Oj.dump(mode: :compat)", Bench.rate { Oj.dump(plain, mode: :compat) }]
rescue LoadError
  puts "  (oj not installed: its row is left out)"
end
rows << ["N::Payload.dump", Bench.rate { N::Payload.dump(plain) }]
Bench.table("Serialize a webhook body, JSON.generate format (ops/s)", rows)

begin
  require "active_support"
  require "active_support/json"
  require "active_support/core_ext/time"
  raise "N::Payload.dump(rails: true) differs from to_json" unless N::Payload.dump(message, rails: true) == message.to_json

  Bench.table("Serialize a webhook body, Rails format: what Chatwoot sends today (ops/s)", [
    ["ActiveSupport: message.to_json", Bench.rate { message.to_json }],
    ["N::Payload.dump(message, rails: true)", Bench.rate { N::Payload.dump(message, rails: true) }],
  ])
rescue LoadError
  puts "Rails format: skipped (ruby-activesupport not installed)"
  puts
end
