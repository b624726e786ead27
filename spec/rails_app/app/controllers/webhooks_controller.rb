# frozen_string_literal: true

# Answers what the middleware left in the env, so the spec can see it went through the Rails stack.
class WebhooksController < ActionController::Base
  skip_forgery_protection

  def create
    render json: { verified: request.env["integrations_native.verified"], bytes: request.raw_post.bytesize }
  end
end
