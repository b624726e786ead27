# frozen_string_literal: true

module Integrations
  module Native
    # Chatwoot's dyte app: Cloudflare RealtimeKit with the newest settings (account_id, app_id,
    # api_token), or Dyte's v2 API with legacy settings (organization_id, api_key). The rules are
    # native (src/providers/dyte.rs). Each call answers Chatwoot's way: { data: … } (a new meeting
    # also gives the content_attributes Chatwoot stores on its message) or { error:, error_code: }.
    #
    #   dyte = Integrations::Native::Dyte.new(hook: hook)
    #   meeting = dyte.create_meeting(title: "Sam's meeting")
    #   # => { data: { "id" => …, … }, content_attributes: { "type" => "dyte", "data" => { "meeting_id" => … } } }
    #   dyte.add_participant(meeting_id: id, user_id: agent.id, name: agent.name, picture: agent.avatar_url)
    #   dyte.refresh_token(meeting_id: id, participant_id: pid)
    #   dyte.credentials_problem   # => nil, or "invalid_api_token" / "invalid_account_or_permissions" / "app_not_found"
    class Dyte
      # api_url: the API root (default: RealtimeKit's or Dyte's, by the settings).
      def initialize(hook:, api_url: nil)
        raise TypeError, "hook must respond to settings (an Integrations::Hook), got #{Arguments.class_name(hook)}" unless Arguments.responds?(hook, :settings)

        @hook = hook
        @api_url = api_url.nil? ? nil : Arguments.utf8_string!("api_url", api_url)
      end

      def create_meeting(title:)
        call("create_meeting", "title" => Arguments.string!("title", title))
      end

      # Adds the agent as a host (custom participant id "user:ID"); the data holds the join token.
      def add_participant(meeting_id:, user_id:, name:, picture:)
        call("add_participant", "meeting_id" => meeting_id.to_s, "user_id" => user_id.to_s, "name" => name.to_s, "picture" => picture.to_s)
      end

      # Chatwoot's newest flow for an agent joining a meeting: participant_id is the one stored on
      # the meeting message (data.participants["user:ID"]), if any. The answer carries the join
      # token, and participant_id: when Chatwoot should store a (new) one.
      def join(meeting_id:, user_id:, name:, picture:, participant_id: nil)
        DyteNative._native_join(input.merge("meeting_id" => meeting_id.to_s, "user_id" => user_id.to_s, "name" => name.to_s,
                                            "picture" => picture.to_s, "participant_id" => participant_id&.to_s))
      end

      def refresh_token(meeting_id:, participant_id:)
        call("refresh_token", "meeting_id" => meeting_id.to_s, "participant_id" => participant_id.to_s)
      end

      # The check Chatwoot makes when the hook is saved (RealtimeKit settings; 5 s per request; a
      # 5xx or an unreachable API counts as valid): nil, or why the credentials are refused.
      def credentials_problem
        DyteNative._native_check(input)
      end

      def inspect
        "#<#{self.class.name} api_url=#{@api_url && Native.redact_url(@api_url).inspect}>"
      end
      alias to_s inspect

      private

      def input
        { "settings" => @hook.settings || {}, "api_url" => @api_url }
      end

      def call(operation, fields)
        DyteNative._native_call(operation, input.merge(fields))
      end
    end
  end
end
