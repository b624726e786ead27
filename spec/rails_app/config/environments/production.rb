# frozen_string_literal: true

# Eager loading, as Chatwoot's web and Sidekiq processes run in production.
Rails.application.configure do
  config.cache_classes = true
  config.eager_load = true
  config.consider_all_requests_local = false
end
