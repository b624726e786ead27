# frozen_string_literal: true

# Shared by the bench files: timing, tables, and a local nginx receiver.
require "socket"
require "tmpdir"
require "fileutils"

module Bench
  module_function

  def now
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end

  # Runs the block for about `seconds` and returns operations per second.
  def rate(seconds: 1.0, &block)
    n = 0
    batch = 1
    start = now
    loop do
      batch.times(&block)
      n += batch
      elapsed = now - start
      return n / elapsed if elapsed >= seconds

      batch *= 2 if batch < 4096
    end
  end

  # Runs the block once (it performs `count` operations) and returns operations per second.
  def throughput(count)
    start = now
    yield
    count / (now - start)
  end

  # Prints rows of [name, ops/s], with each row's ratio to the first.
  def table(title, rows, unit: "ops/s")
    base = rows.first[1]
    puts title
    rows.each { |name, ops| puts format("  %-52s %12.0f %s  %7.2fx", name, ops, unit, ops / base) }
    puts
  end

  def rss_mb
    File.read("/proc/self/status")[/VmRSS:\s+(\d+)/, 1].to_i / 1024.0
  end

  def free_port
    server = TCPServer.new("127.0.0.1", 0)
    server.addr[1]
  ensure
    server&.close
  end

  # Waits (up to 2.5 s) until something listens on the loopback port.
  def wait_for_port(port)
    50.times do
      TCPSocket.new("127.0.0.1", port).close
      return true
    rescue SystemCallError
      sleep 0.05
    end
    false
  end

  # A local nginx that answers every request with 200 "ok": the fastest receiver we can start,
  # so the sender is what is measured. Returns [url, stop_proc] or nil when nginx is absent.
  def start_nginx
    nginx = ["/usr/sbin/nginx", "nginx"].find { |path| system("#{path} -v", out: File::NULL, err: File::NULL) }
    return nil unless nginx

    dir = Dir.mktmpdir("bench-nginx")
    port = free_port
    File.write(File.join(dir, "nginx.conf"), <<~CONF)
      worker_processes 1;
      pid #{dir}/nginx.pid;
      error_log #{dir}/error.log;
      events { worker_connections 4096; }
      http {
        access_log off;
        keepalive_requests 1000000;
        client_body_temp_path #{dir};
        server {
          listen 127.0.0.1:#{port};
          location / { return 200 "ok"; }
          # A Slack chat.postMessage stand-in for the SendService bench.
          location /api/chat.postMessage { default_type application/json; return 200 '{"ok":true,"channel":"C0123","ts":"1764367600.000100"}'; }
        }
      }
    CONF
    pid = Process.spawn(nginx, "-p", dir, "-c", File.join(dir, "nginx.conf"), "-g", "daemon off;", err: File::NULL)
    wait_for_port(port)
    stop = lambda do
      Process.kill("TERM", pid)
      Process.wait(pid)
      FileUtils.rm_rf(dir)
    end
    ["http://127.0.0.1:#{port}/hook", stop]
  end
end
