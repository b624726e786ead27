# frozen_string_literal: true

require "open3"
require "json"
require "rbconfig"

# Runs Ruby code in a child process inside a new network namespace (`unshare -n`) whose only
# interface is loopback. Specs that must show an address outside loopback is refused (cloud
# metadata, private ranges) run there: if the guard ever let such a request through, it could not
# leave the namespace. The code runs with the gem and TestReceiver loaded; its value is returned
# through JSON. Needs root (CI and bin/test run as root) and util-linux's unshare.
def in_isolated_network(code)
  lib = File.expand_path("../../lib", __dir__)
  script = <<~RUBY
    $LOAD_PATH.unshift(#{lib.inspect})
    require "chatwoot_integrations_rs"
    require "json"
    require #{File.expand_path("receiver.rb", __dir__).inspect}
    value = begin
      #{code}
    end
    $stdout.write(JSON.generate(value))
  RUBY
  out, err, status = Open3.capture3("unshare", "--net", "sh", "-c", 'ip link set lo up && exec "$0" -e "$1"', RbConfig.ruby, script)
  raise "isolated run failed (#{status}): #{err}" unless status.success?

  JSON.parse(out)
end
