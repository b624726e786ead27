# frozen_string_literal: true

require "json"

# The Linear client against a fake Linear GraphQL API on 127.0.0.1 (spec/support/fake_linear.rb):
# it checks the OAuth token, takes every value from the variables, validates like Linear's schema
# and answers with data, or GraphQL errors.
RSpec.describe Integrations::Native::Linear do
  let(:n) { Integrations::Native }
  let(:server) { FakeLinear.new }
  let(:linear) { described_class.new(token: "lin_oauth_secret", api_url: server.url) }

  before { n.configure { |c| c.allowed_private_cidrs = ["127.0.0.1/32"] } }

  after do
    server.stop
    n.reset_configuration!
  end

  it "lists teams and a team's users, projects, workflow states and labels" do
    expect(linear.teams).to eq([{ "id" => "team-1", "name" => "Support" }])
    entities = linear.team_entities("team-1")
    expect(entities.keys.sort).to eq(%w[issueLabels projects users workflowStates])
    expect(entities.dig("issueLabels", "nodes", 0, "name")).to eq("billing")
    expect(server.operations.last).to eq(["TeamEntities", { "teamId" => "team-1" }])
  end

  it "creates an issue with every field as variables, the agent as its creator, nil fields dropped" do
    created = linear.create_issue(team_id: "team-1", title: "Refund \"not\" received\nsince May", description: "Customer waited 10 days",
                                  assignee_id: "user-1", priority: 2, label_ids: ["label-1"], project_id: "proj-1", state_id: "state-1",
                                  create_as_user: "Sam", display_icon_url: "https://chat.acme.com/sam.png")
    expect(created).to eq("success" => true, "issue" => { "id" => "issue-2", "title" => "Refund \"not\" received\nsince May",
                                                          "identifier" => "SUP-2", "url" => "https://linear.app/acme/issue/SUP-2" })
    name, variables = server.operations.last
    expect(name).to eq("IssueCreate")
    expect(variables).to eq("input" => { "teamId" => "team-1", "title" => "Refund \"not\" received\nsince May", "description" => "Customer waited 10 days",
                                         "assigneeId" => "user-1", "priority" => 2, "labelIds" => ["label-1"], "projectId" => "proj-1",
                                         "stateId" => "state-1", "createAsUser" => "Sam", "displayIconUrl" => "https://chat.acme.com/sam.png" })
    linear.create_issue(team_id: "team-1", title: "Short")
    expect(server.operations.last[1]).to eq("input" => { "teamId" => "team-1", "title" => "Short" })
  end

  it "validates an issue like Chatwoot before any request: team and title, priority 0-4, labels as Strings" do
    [[{ title: "" }, /title is required/], [{ team_id: nil }, /teamId is required/], [{ priority: 5 }, /priority/], [{ priority: -1 }, /priority/],
     [{ priority: "2" }, /priority/], [{ priority: 1.5 }, /priority/], [{ label_ids: "label-1" }, /labelIds/], [{ label_ids: [1] }, /labelIds/]].each do |change, message|
      expect { linear.create_issue(team_id: "team-1", title: "Refund", **change) }.to raise_error(ArgumentError, message)
    end
    expect(server.received).to be_empty
    5.times { |p| expect(linear.create_issue(team_id: "team-1", title: "Refund", priority: p)["success"]).to be(true) }
  end

  it "searches, lists linked issues, links and unlinks a conversation" do
    expect(linear.search_issues("order \"1042\"").first["title"]).to eq("Refund for order \"1042\"")
    url = "https://chat.acme.com/app/accounts/1/conversations/57"
    expect(linear.linked_issues(url).first.dig("issue", "identifier")).to eq("SUP-1")
    linked = linear.link_issue(issue_id: "issue-1", url: url, title: "Conversation #57", create_as_user: "Sam")
    expect(linked["attachment"]).to eq("id" => "att-2", "title" => "Conversation #57", "url" => url)
    expect(server.operations.last).to eq(["AttachmentLinkURL", { "issueId" => "issue-1", "url" => url, "title" => "Conversation #57", "createAsUser" => "Sam" }])
    expect(linear.unlink_issue("att-2")).to eq("success" => true)
    expect(server.operations.map(&:first)).to eq(%w[SearchIssues AttachmentsForURL AttachmentLinkURL AttachmentDelete])
  end

  it "raises DeliveryError with Linear's messages when data is null, and for refused tokens" do
    expect { linear.unlink_issue("att-9") }.to raise_error(n::DeliveryError, "linear: Entity not found: Attachment")
    expect { linear.team_entities("team-9") }.to raise_error(n::DeliveryError, "linear: Entity not found: Team")
    other = described_class.new(token: "wrong", api_url: server.url)
    expect { other.teams }.to raise_error(n::DeliveryError, /Authentication required/) { |e| expect(e.message).not_to include("wrong") }
  end

  it "sends any query with its values as variables" do
    expect(linear.query("query SearchIssues($term: String!) { searchIssues(term: $term) { nodes { id } } }", term: "x")).to include("searchIssues")
  end

  it "never shows the token" do
    expect(linear.inspect).not_to include("lin_oauth_secret")
    expect { described_class.new(token: nil) }.to raise_error(TypeError, /token must be a String/)
  end
end
