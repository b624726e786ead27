# frozen_string_literal: true

require "digest"

module Integrations
  module Native
    # Per-endpoint failure streaks for the durable jobs, kept in the Redis Sidekiq already uses: one
    # small Hash per endpoint (when its current streak began, how many failures, which notices were
    # given), with a TTL, so nothing is left behind and no new service is needed. Every update is
    # one Lua script, so two Sidekiq threads (or processes) failing the same endpoint at once count
    # two failures and give each notice once.
    #
    # Only when c.on_endpoint_failing or c.on_endpoint_disabled is set: otherwise the jobs never
    # touch Redis for it. The thresholds are the core's defaults (src/dispatch/retry_schedule.rs),
    # changed by c.endpoint_failing_after and c.endpoint_disable_after.
    class EndpointHealth
      PREFIX = "integrations_native:endpoint_health:"

      # What the callbacks are given. endpoint: the job's reference (a Webhook id, say), or for an
      # inline endpoint its redacted URL; failures: in the current streak; failing_since: when the
      # streak began; gone: the receiver answered 410 Gone; result: the DeliveryResult.
      Streak = Struct.new(:endpoint, :url, :failures, :failing_since, :gone, :result, keyword_init: true) do
        alias_method :gone?, :gone
      end

      # KEYS[1]: the endpoint's Hash. ARGV: now, failing_after, disable_after (seconds), ttl (ms),
      # gone ("1" or "0"). Returns failures, the streak's start (as text: Lua numbers come back
      # truncated), whether to give the failing notice (once per streak), whether to ask the app
      # to disable it (once per streak: on 410 or a streak longer than the window), and whether the
      # app has disabled it.
      FAILURE = <<~LUA
        local key = KEYS[1]
        local now = tonumber(ARGV[1])
        redis.call('HSETNX', key, 'since', ARGV[1])
        local since = redis.call('HGET', key, 'since')
        local failures = redis.call('HINCRBY', key, 'failures', 1)
        local failing = 0
        if failures >= tonumber(ARGV[2]) and redis.call('HSETNX', key, 'failing', '1') == 1 then failing = 1 end
        local ask = 0
        if (ARGV[5] == '1' or now - tonumber(since) >= tonumber(ARGV[3])) and redis.call('HSETNX', key, 'asked', '1') == 1 then
          ask = 1
        end
        local disabled = 0
        if redis.call('HGET', key, 'disabled') == '1' then disabled = 1 end
        redis.call('PEXPIRE', key, ARGV[4])
        return { failures, since, failing, ask, disabled }
      LUA

      # The Redis to keep streaks in: Sidekiq's, when Sidekiq is loaded.
      def self.for(config)
        return nil unless config.on_endpoint_failing || config.on_endpoint_disabled
        return nil unless defined?(::Sidekiq) && ::Sidekiq.respond_to?(:redis)

        new(config, ->(&block) { ::Sidekiq.redis(&block) })
      end

      # The Redis key of an endpoint: by id, or for an inline endpoint by a digest of its URL (the
      # URL may carry a token, which must not sit in a key name).
      def self.key(reference)
        case reference
        when Hash
          url = reference["url"] || reference[:url]
          "#{PREFIX}url:#{Digest::SHA256.hexdigest(url.to_s)}"
        else "#{PREFIX}id:#{reference}"
        end
      end

      def initialize(config, redis)
        @config = config
        @redis = redis
        @scale = DurableDelivery.time_scale
      end

      # Records one job run's results. Returns, by index, whether the app has disabled that endpoint
      # (so the job retries it no more). Successes reset their streaks in one round trip; an
      # endpoint whose input was unusable (nothing was sent) is not the receiver's failure. Redis
      # unreachable costs the bookkeeping, never a delivery's retry: it is logged and skipped.
      def record(results, references)
        successes = []
        stopped = Array.new(results.size, false)
        results.each_with_index do |result, index|
          next if result.invalid?

          if result.success?
            successes << self.class.key(references[index])
          else
            stopped[index] = failure(result, references[index])
          end
        end
        # (Commands through #call, which both redis-rb and Sidekiq 7's redis-client adapter take.)
        @redis.call { |conn| conn.call("DEL", *successes) } unless successes.empty?
        stopped
      rescue StandardError => e
        logger.warn("[chatwoot_integrations_rs] endpoint health not recorded: #{e.class}: #{e.message}")
        stopped || []
      end

      private

      def failure(result, reference)
        key = self.class.key(reference)
        gone = result.status == 410
        window = @config.endpoint_disable_after.to_f * @scale
        # Kept twice the window past the last failure: a streak outlives the retry schedule, and
        # an endpoint silent for that long starts afresh.
        ttl = [(window * 2 * 1000).ceil, 1000].max
        failures, since, failing, ask, disabled = @redis.call do |conn|
          conn.call("EVAL", FAILURE, 1, key, format("%.6f", Time.now.to_f), @config.endpoint_failing_after.to_s, window.to_s,
                    ttl.to_s, gone ? "1" : "0")
        end
        streak = Streak.new(endpoint: shown(reference, result), url: result.url, failures: failures,
                            failing_since: Time.at(Float(since)), gone: gone, result: result)
        notify(:on_endpoint_failing, streak) if failing == 1
        if ask == 1 && notify(:on_endpoint_disabled, streak) == true
          @redis.call { |conn| conn.call("HSET", key, "disabled", "1") }
          return true
        end
        disabled == 1
      end

      def shown(reference, result)
        reference.is_a?(Hash) ? result.url : reference
      end

      # A callback that raises costs neither this endpoint's retry nor the other endpoints
      # anything: it is logged (its class and message; never a secret of ours) and counts as false.
      def notify(name, streak)
        callback = @config.public_send(name)
        callback&.call(streak)
      rescue StandardError => e
        logger.warn("[chatwoot_integrations_rs] #{name} raised #{e.class}: #{e.message}")
        nil
      end

      def logger
        @config.logger || Native.logger
      end
    end
  end
end
