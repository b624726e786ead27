# frozen_string_literal: true

require "json"

# The Linear client against a fake GraphQL server on 127.0.0.1 that checks the OAuth token and
# answers like Linear (data, or HTTP 200 with an errors array).
RSpec.describe Integrations::Native::Linear do
  let(:n) { Integrations::Native }
  let(:server) { TestReceiver.new }
  let(:linear) { described_class.new(token: "lin_oauth_secret", api_url: "http://127.0.0.1:#{server.port}/graphql") }

  before do
    n.configure { |c| c.allowed_private_cidrs = ["127.0.0.1/32"] }
    server.respond do |request, _|
      next [401, {}, JSON.generate("errors" => [{ "message" => "Authentication required, not authenticated" }])] unless request.header("authorization") == "Bearer lin_oauth_secret"

      body = JSON.parse(request.body)
      query = body["query"]
      variables = body["variables"]
      data =
        if query.include?("teams") then { "teams" => { "nodes" => [{ "id" => "t1", "name" => "Support", "key" => "SUP" }] } }
        elsif query.include?("issueCreate")
          next [200, {}, JSON.generate("errors" => [{ "message" => "Argument Validation Error", "extensions" => { "code" => "INVALID_INPUT" } }], "data" => nil)] if variables.dig("input", "title").to_s.empty?

          { "issueCreate" => { "success" => true, "issue" => { "id" => "i1", "identifier" => "SUP-1", "title" => variables.dig("input", "title"), "url" => "https://linear.app/acme/issue/SUP-1" } } }
        elsif query.include?("searchIssues") then { "searchIssues" => { "nodes" => [{ "id" => "i1", "identifier" => "SUP-1", "title" => "Refund for #{variables["term"]}" }] } }
        elsif query.include?("attachmentLinkURL") then { "attachmentLinkURL" => { "success" => true, "attachment" => { "id" => "a1", "title" => variables["title"], "url" => variables["url"] } } }
        end
      [200, { "Content-Type" => "application/json" }, JSON.generate("data" => data)]
    end
  end

  after do
    server.stop
    n.reset_configuration!
  end

  it "lists teams, creates, searches and links issues with the OAuth token" do
    expect(linear.teams).to eq([{ "id" => "t1", "name" => "Support", "key" => "SUP" }])
    created = linear.create_issue(team_id: "t1", title: "Refund not received", description: "Customer waited 10 days")
    expect(created.dig("issue", "identifier")).to eq("SUP-1")
    sent = JSON.parse(server.received.last.body)
    expect(sent["variables"]).to eq("input" => { "teamId" => "t1", "title" => "Refund not received", "description" => "Customer waited 10 days" })
    expect(linear.search_issues("order 1042").first["title"]).to eq("Refund for order 1042")
    linked = linear.link_issue(issue_id: "i1", url: "https://chat.acme.com/app/accounts/1/conversations/57", title: "Conversation #57")
    expect(linked["attachment"]["url"]).to end_with("/conversations/57")
    expect(server.received.map { |r| r.header("authorization") }.uniq).to eq(["Bearer lin_oauth_secret"])
  end

  it "raises DeliveryError with Linear's messages for GraphQL errors and refused tokens" do
    expect { linear.create_issue(team_id: "t1", title: "") }.to raise_error(n::DeliveryError, "linear: Argument Validation Error")
    other = described_class.new(token: "wrong", api_url: "http://127.0.0.1:#{server.port}/graphql")
    expect { other.teams }.to raise_error(n::DeliveryError, /Authentication required/) { |e| expect(e.message).not_to include("wrong") }
  end

  it "never shows the token" do
    expect(linear.inspect).not_to include("lin_oauth_secret")
    expect { described_class.new(token: nil) }.to raise_error(TypeError, /token must be a String/)
  end
end
