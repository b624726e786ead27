# frozen_string_literal: true

# Sidekiq reads REDIS_URL itself. Poll the scheduled set often, so a re-enqueued delivery comes round
# within a second or two in the spec.
Redis.silence_deprecations = true if Redis.respond_to?(:silence_deprecations=)
Sidekiq.options[:poll_interval_average] = 0.5
