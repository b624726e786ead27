# frozen_string_literal: true

module Integrations
  module Native
    # Linear's GraphQL API as Chatwoot's Linear integration uses it, with the hook's token (OAuth
    # access token, or an older personal API key). The documents are native
    # (src/providers/linear.rs) and every value travels as a GraphQL variable. Success is a 2xx
    # with non-null data; otherwise DeliveryError with Linear's messages. Issue input is checked
    # before any request (ArgumentError naming the field). Calls release the GVL and can be
    # interrupted.
    #
    #   linear = Integrations::Native::Linear.new(token: hook.access_token)
    #   linear.teams                                 # => [{ "id" => …, "name" => … }]
    #   linear.team_entities(team_id)                # => { "users" => …, "projects" => …, "workflowStates" => …, "issueLabels" => … }
    #   linear.create_issue(team_id: id, title: "Refund not received", priority: 2, label_ids: ["…"])
    #   linear.search_issues("refund")
    #   linear.link_issue(issue_id: id, url: conversation_url, title: "Chatwoot conversation #57", create_as_user: agent.name)
    #   linear.linked_issues(conversation_url)
    #   linear.unlink_issue(attachment_id)
    class Linear
      def initialize(token:, api_url: Native.config.linear_api_url)
        @token = Arguments.string!("token", token)
        @api_url = Arguments.utf8_string!("api_url", api_url)
      end

      def teams
        operation("teams").dig("teams", "nodes")
      end

      # The team's users, projects, workflow states and labels, for the issue form.
      def team_entities(team_id)
        operation("team_entities", teamId: Arguments.string!("team_id", team_id))
      end

      # priority: 0 (none) to 4 (low); label_ids: an Array of Strings. create_as_user and
      # display_icon_url show the agent as the issue's creator.
      def create_issue(team_id:, title:, description: nil, assignee_id: nil, priority: nil, label_ids: nil, project_id: nil,
                       state_id: nil, create_as_user: nil, display_icon_url: nil)
        input = { teamId: team_id, title: title, description: description, assigneeId: assignee_id, priority: priority,
                  labelIds: label_ids, projectId: project_id, stateId: state_id, createAsUser: create_as_user,
                  displayIconUrl: display_icon_url }
        operation("create_issue", input: input).fetch("issueCreate")
      end

      def search_issues(term)
        operation("search_issues", term: Arguments.string!("term", term)).dig("searchIssues", "nodes")
      end

      # The issues linked to a URL (a conversation's), with their details.
      def linked_issues(url)
        operation("linked_issues", url: Arguments.string!("url", url)).dig("attachmentsForURL", "nodes")
      end

      # Links the issue to url (the conversation), the agent shown as the link's creator.
      def link_issue(issue_id:, url:, title:, create_as_user: nil, display_icon_url: nil)
        operation("link_issue", issueId: issue_id, url: url, title: title, createAsUser: create_as_user,
                                displayIconUrl: display_icon_url).fetch("attachmentLinkURL")
      end

      # Removes a link made by link_issue (its attachment id).
      def unlink_issue(link_id)
        operation("unlink_issue", id: Arguments.string!("link_id", link_id)).fetch("attachmentDelete")
      end

      # Any GraphQL query or mutation, its values as variables; returns the answer's data.
      def query(graphql, **variables)
        self.class._native_graphql(@api_url, @token, graphql, variables)
      end

      # Never the token; the URL as Native.redact_url shows it.
      def inspect
        "#<#{self.class.name} api_url=#{Native.redact_url(@api_url).inspect}>"
      end
      alias to_s inspect

      private

      def operation(name, **variables)
        self.class._native_operation(@api_url, @token, name, variables)
      end
    end
  end
end
