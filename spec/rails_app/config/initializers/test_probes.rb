# frozen_string_literal: true

# Test-only probes (not part of what a deployment adds): the spec reads what the app saw from files.
if (events_file = ENV["EVENTS_FILE"])
  # Every gem event, one JSON line each.
  %w[deliver.integrations_native provider.integrations_native].each do |name|
    ActiveSupport::Notifications.subscribe(name) do |event|
      line = JSON.generate({ "name" => event.name, "pid" => Process.pid }.merge(event.payload.transform_keys(&:to_s)))
      File.write(events_file, "#{line}\n", mode: "a")
    end
  end
end

if (failures_file = ENV["FAILURES_FILE"])
  # After the app's own failure callbacks: the spec waits for this line.
  Integrations::Native.configure do |c|
    c.on_delivery_failure = ->(result) { File.write(failures_file, "#{result.delivery_id}\n", mode: "a") }
  end
end
