# frozen_string_literal: true

require "logger"
require "pp" # rubocop:disable Lint/RedundantRequireStatement -- PP.pp needs it; only Kernel#pp loads it by itself
require "stringio"

# Hostile input: every object of the gem that holds a hook, token, secret or URL must keep it
# out of everything Ruby builds from the object: inspect, to_s, pp, format("%p"), and the messages
# of NoMethodError and NameError (Ruby 3.1 builds those with inspect).
RSpec.describe "Secrets held by the gem's objects" do
  let(:n) { Integrations::Native }

  before(:all) do
    @receiver = TestReceiver.new
    @receiver.respond { [500, {}, "down"] }
    @redis = TestRedis.new
    require "sidekiq/api"
    Sidekiq.configure_client { |c| c.redis = { url: @redis.url } }
  end

  after(:all) do
    @receiver&.stop
    @redis&.stop
  end

  after { n.reset_configuration! }

  secret = "sEcReT#{rand(1 << 40).to_s(36)}Vq"

  # Everything Ruby shows of `object`, as a log line, an error page or a console would.
  def renderings(object)
    texts = [object.inspect, object.to_s, "#{object}", format("%p", object), format("%s", object), PP.pp(object, +""),
             [object].inspect, { k: object }.inspect]
    begin
      object.no_such_method_for_this_spec
    rescue NoMethodError => e
      texts << e.message << e.full_message << e.inspect
    end
    begin
      object.instance_eval { no_such_local_or_method_for_this_spec }
    rescue NameError => e
      texts << e.message << e.full_message
    end
    texts
  end

  objects = {
    "SendService (hook settings and access token)" => lambda do |_|
      hook = FakeChatwoot::Hook.new(app_id: "openai", active: true, settings: { "api_key" => secret },
                                    access_token: secret, reference_id: "C1")
      Integrations::Native::SendService.new(hook: hook, message: FakeChatwoot::Message.new(content: "hi"))
    end,
    "Linear (token, and an api_url with credentials and a token)" => lambda do |_|
      Integrations::Native::Linear.new(token: secret, api_url: "https://u:#{secret}@127.0.0.1:9/graphql?access_token=#{secret}")
    end,
    "Configuration (URLs with credentials, a callable holding a secret)" => lambda do |_|
      holder = Struct.new(:token) { def call(*) = nil }.new(secret)
      Integrations::Native::Configuration.new.tap do |c|
        c.slack_api_url = "https://u:#{secret}@127.0.0.1:9/api"
        c.openai_api_url = " http://u:#{secret}@127.0.0.1:9/v1"
        c.linear_api_url = "https://127.0.0.1:9/graphql?token=#{secret}"
        c.endpoint_resolver = holder
        c.on_delivery_failure = ->(_result) { secret }
        c.logger = Logger.new(StringIO.new)
        c.instance_variable_set(:@some_secret_added_later, secret) # a setting this spec does not know of
      end
    end,
    "DeliveryResult (URL credentials, query token, signing secret)" => lambda do |receiver|
      url = "ht\ttp://u:#{secret}@127.0.0.1:#{receiver.port}/hook?token=#{secret}"
      Integrations::Native.dispatch(url: url, payload: {}, secret: secret)
    end,
    "DeliveryResult built with the keyword constructor" => lambda do |_|
      Integrations::Native::DeliveryResult.new(url: "http://u:#{secret}@h/?t=#{secret}", status: nil, attempts: 0,
                                               duration: 0.0, error: nil, retryable: false, response_excerpt: "",
                                               delivery_id: "d")
    end,
    "Rack::VerifySignature (route secrets)" => lambda do |_|
      Integrations::Native::Rack::VerifySignature.new(->(_env) { [200, {}, []] },
                                                      { "/webhooks/slack" => { scheme: :slack, secret: secret },
                                                        %r{\A/webhooks/inbox/\d+\z} => { scheme: :chatwoot, secret: ->(_r) { secret } } })
    end,
    "DurableDelivery::Unresolved (an endpoint that could not be resolved)" => lambda do |_|
      Integrations::Native::WebhookJob.new.send(:resolve, Integrations::Native.config, "http://u:#{secret}@h/", "d")
    end,
  }

  objects.each do |name, build|
    it "#{name}: never in inspect, to_s, pp, %p, or a NoMethodError/NameError message" do
      object = build.call(@receiver)
      texts = renderings(object)
      expect(texts.size).to be >= 12
      texts.each { |text| expect(text).not_to include(secret), text }
    end
  end

  it "a DeliveryResult still says where it went and what happened" do
    n.configure { |c| c.allowed_private_cidrs = ["127.0.0.1/32"] }
    result = n.dispatch(url: "http://u:#{secret}@127.0.0.1:#{@receiver.port}/hook?token=#{secret}", payload: {})
    expect(result.inspect).to include("url=\"http://127.0.0.1:#{@receiver.port}/hook?token=[REDACTED]\"", "status=500")
  end

  it "the Configuration shows its harmless settings" do
    shown = Integrations::Native::Configuration.new.tap { |c| c.slack_api_url = "https://u:#{secret}@slack.example/api" }.inspect
    expect(shown).to include("timeout=5", "queue=nil", "slack_api_url=\"https://slack.example/api\"",
                             "allowed_private_hosts=[]", "retry_delay=#<Proc>")
  end

  describe "WebhookJob's log line when an endpoint cannot be resolved" do
    let(:log) { StringIO.new }

    before do
      Sidekiq.redis(&:flushdb)
      n.configure do |c|
        c.allowed_private_cidrs = ["127.0.0.1/32"]
        c.logger = Logger.new(log)
      end
    end

    it "never shows an inline endpoint's secret, nor a URL passed as an id" do
      # An inline endpoint whose reading fails, and an id that is a URL with credentials.
      failing = Class.new(Hash) do
        def key?(*) = raise(KeyError, "cannot read")
        def transform_keys(*) = raise(KeyError, "cannot read")
      end
      inline = failing[{ "url" => @receiver.url("/x"), "secret" => secret }]
      results = Integrations::Native::WebhookJob.new.perform([inline, "http://u:#{secret}@127.0.0.1/", { "url" => @receiver.url("/ok") }],
                                                             {}, "message_created")
      expect(results[0..1]).to all(be_invalid)
      expect(results[0].error).to include("cannot resolve endpoint (an inline endpoint)").and include("cannot read")
      expect(results[1].error).to include("no endpoint_resolver")
      expect(results[2].status).to eq(500)
      expect(log.string).to include("cannot resolve endpoint")
      text = (results.flat_map { |r| renderings(r) } + [log.string]).join("\n")
      expect(text).not_to include(secret)
    end
  end
end
