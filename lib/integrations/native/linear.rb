# frozen_string_literal: true

module Integrations
  module Native
    # A thin client for Linear's GraphQL API with the integration's OAuth token (hook.access_token).
    # GraphQL errors (which Linear sends as HTTP 200 with an `errors` array) raise DeliveryError with
    # Linear's messages; the call releases the GVL and can be interrupted.
    #
    #   linear = Integrations::Native::Linear.new(token: hook.access_token)
    #   linear.teams                                     # => [{ "id" => …, "name" => …, "key" => … }]
    #   linear.create_issue(team_id: id, title: "Refund not received", description: "…")
    #   linear.search_issues("refund")
    #   linear.link_issue(issue_id: id, url: conversation_url, title: "Chatwoot conversation #57")
    class Linear
      def initialize(token:, api_url: Native.config.linear_api_url)
        @token = Arguments.string!("token", token)
        @api_url = Arguments.utf8_string!("api_url", api_url)
      end

      def teams
        query("query { teams { nodes { id name key } } }").dig("teams", "nodes")
      end

      def create_issue(team_id:, title:, description: nil, assignee_id: nil, priority: nil, label_ids: nil, state_id: nil)
        input = { teamId: team_id, title: title, description: description, assigneeId: assignee_id, priority: priority,
                  labelIds: label_ids, stateId: state_id }.compact
        query(<<~GRAPHQL, input: input).fetch("issueCreate")
          mutation IssueCreate($input: IssueCreateInput!) {
            issueCreate(input: $input) { success issue { id identifier title url } }
          }
        GRAPHQL
      end

      def search_issues(term)
        query(<<~GRAPHQL, term: Arguments.string!("term", term)).dig("searchIssues", "nodes")
          query SearchIssues($term: String!) {
            searchIssues(term: $term) { nodes { id identifier title description url } }
          }
        GRAPHQL
      end

      def link_issue(issue_id:, url:, title:)
        query(<<~GRAPHQL, issueId: issue_id, url: url, title: title).fetch("attachmentLinkURL")
          mutation AttachmentLinkURL($url: String!, $issueId: String!, $title: String) {
            attachmentLinkURL(url: $url, issueId: $issueId, title: $title) { success attachment { id title url } }
          }
        GRAPHQL
      end

      # Any GraphQL query or mutation; returns the answer's data (Hashes with String keys).
      def query(graphql, **variables)
        self.class._native_graphql(@api_url, @token, graphql, variables)
      end

      # Never the token; the URL as Native.redact_url shows it.
      def inspect
        "#<#{self.class.name} api_url=#{Native.redact_url(@api_url).inspect}>"
      end
      alias to_s inspect
    end
  end
end
