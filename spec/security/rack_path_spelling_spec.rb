# frozen_string_literal: true

require "rack"
require "openssl"

# Hostile input: the signature check must cover every spelling of a protected path that Rails'
# router (ActionDispatch::Journey, Debian's ruby-rails 6.1) routes to the protected action.
#
# Each row of the table is a spelling and the stack it is sent through. For each, the spec first
# proves the spelling matters (without the middleware, or signed, the router really runs the
# protected action), then sends it unsigned through the middleware and expects 401 with the action
# never run. A second table holds spellings considered and found not routed (they must not reach
# the action either way). The controller-level form (Rack::Verification) is run on the same table.
#
# Rails is loaded in a forked child: ActiveSupport changes to_json process-wide, which would change
# other specs' payloads in this process. The child runs every request and hands back what happened.
module RackPathSpelling
  # Where the protected routes are, per stack: the prefix that replaces "/webhooks" in a spelling.
  #  front:      `use VerifySignature` in front of the Rails app (config.ru); "/webhooks/slack" keys.
  #  chat_full:  the app under Rack::URLMap at /chat, the middleware inside the map keyed by the
  #              public path ("/chat/webhooks/slack"), so SCRIPT_NAME + PATH_INFO must be matched.
  #  chat_app:   the same, keyed by the path within the app ("/webhooks/slack").
  #  chat_outer: the middleware in front of the URLMap, keyed by the public path.
  #  hooks:      a Rack app mounted in the Rails routes at /hooks (as an engine is), the middleware
  #              inside it keyed by the public path; the router hands it SCRIPT_NAME "/hooks".
  #  controller: no middleware; the controller verifies (include Rack::Verification).
  STACKS = {
    front: "/webhooks", chat_full: "/chat/webhooks", chat_app: "/chat/webhooks", chat_outer: "/chat/webhooks",
    hooks: "/hooks", controller: "/verified"
  }.freeze
  ALL = STACKS.keys.freeze
  CHAT = %i[chat_full chat_app chat_outer].freeze

  # [route, spelling, stacks where the router sends it to the route]. A spelling is PATH_INFO as
  # the server passes it (raw: Puma and WEBrick's handler do not decode it; a server that decodes
  # could pass a newline), or url: a request URI that Rack splits as a server would.
  ROUTED = [
    [:slack, "/webhooks/slack"],
    [:slack, "/webhooks/slack/"],
    [:slack, "//webhooks/slack"],
    [:slack, "/webhooks//slack"],
    [:slack, "///webhooks///slack///"],
    [:slack, "webhooks/slack", ALL - CHAT], # Rack::URLMap itself needs the leading slash
    [:slack, "/webhooks/slack.json"],
    [:slack, "/webhooks/slack.xml"],
    [:slack, "/webhooks/slack.json/"],
    [:slack, "/webhooks/slack.json;x=1"],
    [:slack, "/webhooks/slack.x%2Fy"],
    [:slack, "/webhooks/slack.json\n"],
    [:slack, "/webhooks/slack.%0A"],
    # Rack::URLMap's `^/chat(.*)` stops at a newline, and finds its mount point on any line.
    [:slack, "/webhooks/slack\n", CHAT],
    [:slack, "/webhooks/slack\nignored", CHAT],
    [:slack, "/x\n/webhooks/slack", CHAT],
    [:slack, { url: "/webhooks/slack?" }],
    [:slack, { url: "/webhooks/slack?x=1" }],
    [:slack, { url: "/webhooks/slack.json?" }],
    [:inbox, "/webhooks/inbox/1"],
    [:inbox, "/webhooks/inbox/1/"],
    [:inbox, "//webhooks//inbox//1//"],
    [:inbox, "/webhooks/inbox/1.json"],
    [:inbox, "/webhooks/inbox/1.json;x"],
    [:inbox, "/webhooks/inbox/1\n"],
    [:inbox, "/webhooks/inbox/1\n/"],
    [:inbox, "/webhooks/inbox/1.json\n"],
    [:inbox, "/webhooks/inbox/1.%0A"],
    [:inbox, "/webhooks/inbox/01"],
    [:inbox, { url: "/webhooks/inbox/1?" }],
  ].freeze

  # [spelling, stacks]: considered, and not routed to the action there (the router is
  # case-sensitive, matches literal segments before decoding, and a post route takes neither HEAD
  # nor GET, nor a POST turned into GET by _method).
  NOT_ROUTED = [
    ["/webhooks/slack\n", ALL - CHAT],
    ["/webhooks/slack\nignored", ALL - CHAT],
    ["/x\n/webhooks/slack", ALL - CHAT],
    ["/Webhooks/slack"],
    ["/WEBHOOKS/SLACK"],
    ["/webhooks/%73lack"],
    ["/webhooks%2Fslack"],
    ["/webhooks/slack;x"],
    ["/webhooks;x/slack"],
    ["/webhooks/./slack"],
    ["/webhooks/x/../slack"],
    ["/webhooks\\slack"],
    ["/webhooks/slack%2Ejson"],
    ["/webhooks/slack.json.xml"],
    ["/webhooks/slack%00"],
    ["/webhooks/slack%20"],
    ["/webhooks/inbox/%31"],
    ["/webhooks/inbox/1;x"],
    ["/webhooks/inbox/1%2F"],
    [{ url: "/webhooks/slack", method: "HEAD" }],
    [{ url: "/webhooks/slack", method: "GET" }],
    [{ url: "/webhooks/slack", form: "_method=get" }],
  ].freeze

  def self.respell(spelling, prefix)
    row = spelling.is_a?(Hash) ? spelling.dup : { path_info: spelling }
    key = row.key?(:url) ? :url : :path_info
    row[key] = row[key].sub("webhooks", prefix.delete_prefix("/"))
    row
  end

  # Under GC_STRESS=1 every call into the extension runs with GC.stress on, and with Rails' heap
  # each of those collections takes ~85 ms, so the whole table would take most of an hour. The
  # stressed run takes a sample of spellings that each need a different normalization; the
  # extension's path function is stressed in full by spec/rack_verify_signature_spec.rb.
  STRESS_SAMPLE = ["/webhooks/slack.json;x=1", "//webhooks//inbox//1//", "/webhooks/inbox/1\n/", "/x\n/webhooks/slack",
                   "/webhooks/%73lack"].freeze

  CASES = STACKS.flat_map do |stack, prefix|
    ROUTED.filter_map do |route, spelling, stacks = ALL|
      { stack: stack, route: route, routed: true }.merge(respell(spelling, prefix)) if stacks.include?(stack)
    end + NOT_ROUTED.filter_map do |spelling, stacks = ALL|
      { stack: stack, route: nil, routed: false }.merge(respell(spelling, prefix)) if stacks.include?(stack)
    end
  end.then do |cases|
    next cases unless ENV["GC_STRESS"] == "1"

    cases.select { |row| STRESS_SAMPLE.any? { |sample| respell(sample, STACKS[row[:stack]]).values.include?(row[:path_info]) } }
  end.freeze

  SIGNING = { slack: "slack-secret", inbox: "inbox-1" }.freeze
  BODY = '{"event":"message_created","id":1}'

  # Runs in the child: boots a minimal Rails app with the protected routes, then every case.
  module Child
    module_function

    def run(cases)
      require "action_controller/railtie"
      app = boot
      { outcomes: cases.to_h { |row| [row, outcomes(app, row)] }, journey: journey_mismatches }
    end

    # The router's own view of a path, which Regexp routes are tried on, must be Journey's
    # normalize_path byte for byte: random paths over the bytes it treats specially.
    def journey_mismatches
      rng = Random.new(RSpec.configuration.seed)
      alphabet = ["/", "/", "%", "a", "A", "f", "F", "0", "9", "g", ".", ";", "\n", "x", "\xFF".b]
      samples = Array.new(ENV["GC_STRESS"] == "1" ? 20 : 3000) { Array.new(rng.rand(0..12)) { alphabet.sample(random: rng) }.join.b }
      samples.filter_map do |path|
        journey = ActionDispatch::Journey::Router::Utils.normalize_path(path.dup)
        ours = Integrations::Native::Signature._native_request_paths("", path).last.first
        [path, journey, ours] unless journey.b == ours.b
      end
    end

    def boot
      ran = Child.const_set(:RAN, [])
      app_class = Class.new(Rails::Application) do
        config.root = __dir__
        config.eager_load = false
        config.logger = Logger.new(nil)
        config.secret_key_base = "k" * 64
        config.hosts.clear
        config.active_support.deprecation = :silence
      end
      Child.const_set(:SpellingApp, app_class)
      app_class.initialize!

      webhooks = Class.new(ActionController::API) do
        define_method(:slack) { ran << [:slack, params[:format]] && head(:ok) }
        define_method(:inbox) { ran << [:inbox, params[:id]] && head(:ok) }
      end
      Object.const_set(:SpellingWebhooksController, webhooks)

      verified = Class.new(ActionController::API) do
        include Integrations::Native::Rack::Verification

        verify_signature scheme: :slack, secret: "slack-secret", only: :slack
        # The router's own params: the secret follows the id the action will act on.
        verify_signature scheme: :chatwoot, secret: -> { "inbox-#{Integer(params[:id], 10)}" }, only: :inbox
        define_method(:slack) { ran << [:slack, params[:format]] && head(:ok) }
        define_method(:inbox) { ran << [:inbox, params[:id]] && head(:ok) }
      end
      Object.const_set(:SpellingVerifiedController, verified)

      inner = ActionDispatch::Routing::RouteSet.new
      inner.draw do
        post "/slack", to: "spelling_webhooks#slack"
        post "/inbox/:id", to: "spelling_webhooks#inbox", constraints: { id: /\d+/ }
      end
      hooks = ::Rack::Builder.new do
        use Integrations::Native::Rack::VerifySignature,
            "/hooks/slack" => { scheme: :slack, secret: "slack-secret" },
            %r{\A/hooks/inbox/\d+\z} => { scheme: :chatwoot, secret: ->(_request) { "inbox-1" } }
        run inner
      end.to_app

      app_class.routes.draw do
        post "/webhooks/slack", to: "spelling_webhooks#slack"
        post "/webhooks/inbox/:id", to: "spelling_webhooks#inbox", constraints: { id: /\d+/ }
        post "/verified/slack", to: "spelling_verified#slack"
        post "/verified/inbox/:id", to: "spelling_verified#inbox", constraints: { id: /\d+/ }
        mount hooks, at: "/hooks"
        mount inner, at: "/barehooks"
      end

      rails = app_class.instance
      protect = lambda do |prefix, inner_app|
        ::Rack::Builder.new do
          use Integrations::Native::Rack::VerifySignature,
              "#{prefix}/slack" => { scheme: :slack, secret: "slack-secret" },
              %r{\A#{prefix}/inbox/\d+\z} => { scheme: :chatwoot, secret: ->(_request) { "inbox-1" } }
          run inner_app
        end.to_app
      end
      {
        front: [protect.("/webhooks", rails), rails],
        chat_full: [::Rack::URLMap.new("/chat" => protect.("/chat/webhooks", rails)), ::Rack::URLMap.new("/chat" => rails)],
        chat_app: [::Rack::URLMap.new("/chat" => protect.("/webhooks", rails)), ::Rack::URLMap.new("/chat" => rails)],
        chat_outer: [protect.("/chat/webhooks", ::Rack::URLMap.new("/chat" => rails)), ::Rack::URLMap.new("/chat" => rails)],
        hooks: [rails, rails, "/barehooks"],
        controller: [rails, nil],
      }
    end

    # What the bare router, a signed request and an unsigned one did: [status, actions run].
    def outcomes(stacks, row)
      with, without, bare_prefix = stacks.fetch(row[:stack])
      bare_row = bare_prefix ? row.merge(row.slice(:url, :path_info).transform_values { |v| v.sub("hooks", bare_prefix[1..]) }) : row
      {
        bare: without && send_request(without, bare_row, signed: false),
        signed: send_request(with, row, signed: true),
        unsigned: send_request(with, row, signed: false),
      }
    end

    def send_request(app, row, signed:)
      body = row[:form] || BODY
      env = ::Rack::MockRequest.env_for(row[:url] || "/", method: row[:method] || "POST", input: body,
                                                          "CONTENT_TYPE" => row[:form] ? "application/x-www-form-urlencoded" : "application/json")
      env["PATH_INFO"] = row[:path_info] if row[:path_info]
      sign(env, row[:route], body) if signed
      RAN.clear
      status, _headers, response = app.call(env)
      text = +""
      response.each { |part| text << part }
      response.close if response.respond_to?(:close)
      [status, RAN.dup, text]
    end

    def sign(env, route, body)
      ts = Time.now.to_i
      if route == :inbox
        env["HTTP_X_CHATWOOT_TIMESTAMP"] = ts.to_s
        env["HTTP_X_CHATWOOT_SIGNATURE"] = Integrations::Native::Signature.sign_chatwoot(secret: SIGNING[:inbox], timestamp: ts, body: body)
      else
        env["HTTP_X_SLACK_REQUEST_TIMESTAMP"] = ts.to_s
        env["HTTP_X_SLACK_SIGNATURE"] = "v0=#{OpenSSL::HMAC.hexdigest("SHA256", SIGNING[:slack], "v0:#{ts}:#{body}")}"
      end
    end
  end
end

RSpec.describe "Rack::VerifySignature behind Rails' real router" do
  def self.in_child
    reader, writer = IO.pipe
    pid = fork do
      reader.close
      writer.write(Marshal.dump(yield))
      writer.close
      exit!(0)
    rescue Exception => e # rubocop:disable Lint/RescueException
      writer.write(Marshal.dump("#{e.class}: #{e.message}\n#{e.backtrace.first(8).join("\n")}"))
      writer.close
      exit!(1)
    end
    writer.close
    data = reader.read
    Process.wait(pid)
    data.empty? ? "child process died" : Marshal.load(data)
  end

  before(:all) do
    result = self.class.in_child { RackPathSpelling::Child.run(RackPathSpelling::CASES) }
    raise result if result.is_a?(String)

    @outcomes = result.fetch(:outcomes)
    @journey = result.fetch(:journey)
  end

  it "tries Regexp routes on the router's own view of the path: Journey's normalize_path, byte for byte" do
    expect(@journey).to eq([])
  end

  def label(row)
    (row[:url] || row[:path_info]).inspect + (row[:method] ? " (#{row[:method]})" : "") + (row[:form] ? " (#{row[:form]})" : "")
  end

  RackPathSpelling::STACKS.each_key do |stack|
    describe "stack #{stack}" do
      RackPathSpelling::CASES.select { |row| row[:stack] == stack && row[:routed] }.each do |row|
        it "refuses #{(row[:url] || row[:path_info]).inspect} unsigned, a spelling the router sends to #{row[:route]}" do
          bare, signed, unsigned = @outcomes.fetch(row).values_at(:bare, :signed, :unsigned)
          if bare
            expect(bare[0..1]).to match([200, [[row[:route], anything]]]), "the router alone: #{bare.inspect}"
          end
          expect(signed[0..1]).to match([200, [[row[:route], anything]]]), "signed: #{signed.inspect}"
          expect(unsigned[1]).to eq([]), "the action ran unsigned: #{unsigned.inspect}"
          expect(unsigned[0]).to eq(401)
          expect(JSON.parse(unsigned[2])).to eq("error" => "invalid_signature", "reason" => "missing")
        end
      end

      it "never runs an action for the spellings the router does not route" do
        rows = RackPathSpelling::CASES.select { |row| row[:stack] == stack && !row[:routed] }
        expect(rows.size).to be >= (ENV["GC_STRESS"] == "1" ? 1 : 19)
        rows.each do |row|
          bare, signed, unsigned = @outcomes.fetch(row).values_at(:bare, :signed, :unsigned)
          expect(bare && bare[0..1]).to eq([404, []]).or(be_nil), "#{label(row)} routed: #{bare.inspect}"
          expect(signed[1]).to eq([]), "#{label(row)} signed ran #{signed.inspect}"
          expect(unsigned[1]).to eq([]), "#{label(row)} unsigned ran #{unsigned.inspect}"
        end
      end
    end
  end
end
