# frozen_string_literal: true

module Integrations
  module Native
    module Slack
      # A parsed Slack Events API payload (Chatwoot's Slack integration: the handshake and replies in
      # a thread). Parse the raw body after verifying it with Signature.verify_slack.
      #
      #   event = Integrations::Native::Slack::Event.parse(request.raw_post)
      #   render json: { challenge: event.challenge } if event.url_verification?
      #   conversation = Conversation.find_by(identifier: event.thread_ts) if event.thread_reply?
      Event = Struct.new(:kind, :challenge, :thread_ts, :text, :user, :channel, :ts, :reason, keyword_init: true) do
        # Never raises for a String: junk is an :ignored event with the reason.
        def self.parse(body)
          new(**Slack._native_parse_event(Arguments.string!("body", body)))
        end

        def url_verification?
          kind == :url_verification
        end

        def thread_reply?
          kind == :thread_reply
        end

        def ignored?
          kind == :ignored
        end
      end
    end
  end
end
