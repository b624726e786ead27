# frozen_string_literal: true

Rails.application.routes.draw do
  post "/api/v1/integrations/webhooks", to: "webhooks#create"
  post "/webhooks/:name", to: "webhooks#create"
end
