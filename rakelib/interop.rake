# frozen_string_literal: true

# Cross-checks with the schemes' official Python libraries. Needs PyPI, so not part of CI: CI replays
# the committed fixtures (test/interop_fixtures.rs, spec/interop_spec.rb), and spec/interop_spec.rb's
# live dispatch check runs when the virtualenv this creates exists.
INTEROP_VENV = File.expand_path("../tmp/interop-venv", __dir__)
INTEROP_LIBRARIES = %w[standardwebhooks svix slack_sdk stripe twilio].freeze

desc "Regenerate test/fixtures/interop/*.jsonl with the official libraries (standardwebhooks, svix, slack_sdk, stripe, twilio) in tmp/interop-venv"
task :interop do
  root = File.expand_path("..", __dir__)
  python = File.join(INTEROP_VENV, "bin", "python")
  sh "python3", "-m", "venv", INTEROP_VENV unless File.executable?(python)
  sh python, "-m", "pip", "install", "--quiet", "--upgrade", *INTEROP_LIBRARIES
  sh python, File.join(root, "test", "interop", "generate.py"), File.join(root, "test", "fixtures", "interop"), chdir: root
end
