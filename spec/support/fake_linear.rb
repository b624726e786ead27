# frozen_string_literal: true

require "json"

# A fake Linear GraphQL API on 127.0.0.1 (a TestReceiver) answering like api.linear.app/graphql:
# it checks the Bearer token, reads the operation by its name, takes every value from the
# variables (a document with a value spliced in is refused, as its variables would not match),
# and validates like Linear's schema (priority an Int 0-4, labelIds [String!]), answering GraphQL
# errors with HTTP 200 or 400 as Linear does.
class FakeLinear
  def initialize(token: "lin_oauth_secret")
    @receiver = TestReceiver.new
    @receiver.respond { |request, _| FakeLinear.answer(request, token) }
  end

  def url
    @receiver.url("/graphql")
  end

  def received
    @receiver.received
  end

  # [operation name, variables] of each request.
  def operations
    received.map { |r| JSON.parse(r.body) }.map { |b| [b["query"][/\A\s*(?:query|mutation)\s+(\w+)/, 1], b["variables"]] }
  end

  def stop
    @receiver.stop
  end

  def self.json(status, body)
    [status, { "Content-Type" => "application/json; charset=utf-8" }, JSON.generate(body)]
  end

  def self.errors(status, message, code)
    json(status, "errors" => [{ "message" => message, "extensions" => { "code" => code, "type" => "invalid input", "userPresentableMessage" => message } }], "data" => nil)
  end

  def self.answer(request, token)
    return errors(400, "Authentication required, not authenticated", "AUTHENTICATION_ERROR") unless request.header("authorization") == "Bearer #{token}"

    body = JSON.parse(request.body)
    query = body["query"].to_s
    variables = body["variables"] || {}
    # Every value must come as a variable: none may appear inside the document.
    spliced = variables.values.flat_map { |v| Hash === v ? v.values : [v] }.grep(String).find { |v| v.size > 2 && query.include?(v) }
    return errors(400, "Value spliced into the document: #{spliced}", "GRAPHQL_VALIDATION_FAILED") if spliced

    name = query[/\A\s*(?:query|mutation)\s+(\w+)/, 1]
    data = respond_to?("op_#{name}", true) ? send("op_#{name}", variables) : nil
    return data if Array === data # an error answer
    return errors(400, "Unknown operation #{name.inspect}", "GRAPHQL_VALIDATION_FAILED") unless data

    json(200, "data" => data)
  end

  # rubocop:disable Naming/MethodName, Naming/MethodParameterName -- named for Linear's GraphQL operations
  def self.op_Teams(_) = { "teams" => { "nodes" => [{ "id" => "team-1", "name" => "Support" }] } }

  def self.op_TeamEntities(v)
    return errors(200, "Entity not found: Team", "INVALID_INPUT") unless v["teamId"] == "team-1"

    { "users" => { "nodes" => [{ "id" => "user-1", "name" => "Sam" }] }, "projects" => { "nodes" => [{ "id" => "proj-1", "name" => "Refunds" }] },
      "workflowStates" => { "nodes" => [{ "id" => "state-1", "name" => "Todo" }] }, "issueLabels" => { "nodes" => [{ "id" => "label-1", "name" => "billing" }] } }
  end

  def self.op_SearchIssues(v)
    { "searchIssues" => { "nodes" => [{ "id" => "issue-1", "title" => "Refund for #{v["term"]}", "description" => nil, "identifier" => "SUP-1",
                                        "url" => "https://linear.app/acme/issue/SUP-1", "state" => { "name" => "Todo", "color" => "#e2e2e2" } }] } }
  end

  def self.op_AttachmentsForURL(v)
    { "attachmentsForURL" => { "nodes" => [{ "id" => "att-1", "title" => "Conversation", "url" => v["url"],
                                             "issue" => { "id" => "issue-1", "identifier" => "SUP-1", "title" => "Refund", "priority" => 2 } }] } }
  end

  def self.op_IssueCreate(v)
    input = v["input"] || {}
    priority = input["priority"]
    return errors(400, "Variable \"$input\" got invalid value #{priority.inspect} at \"input.priority\"; Int cannot represent non-integer value", "GRAPHQL_VALIDATION_FAILED") unless priority.nil? || Integer === priority
    return errors(200, "Argument Validation Error", "INVALID_INPUT") unless priority.nil? || (0..4).cover?(priority)
    return errors(200, "Entity not found: Team", "INVALID_INPUT") unless input["teamId"] == "team-1"

    { "issueCreate" => { "success" => true, "issue" => { "id" => "issue-2", "title" => input["title"], "identifier" => "SUP-2", "url" => "https://linear.app/acme/issue/SUP-2" } } }
  end

  def self.op_AttachmentLinkURL(v)
    { "attachmentLinkURL" => { "success" => true, "attachment" => { "id" => "att-2", "title" => v["title"], "url" => v["url"] } } }
  end

  def self.op_AttachmentDelete(v)
    return errors(200, "Entity not found: Attachment", "INVALID_INPUT") unless v["id"] == "att-2"

    { "attachmentDelete" => { "success" => true } }
  end
  # rubocop:enable Naming/MethodName, Naming/MethodParameterName
end
