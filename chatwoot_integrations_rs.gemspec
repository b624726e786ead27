# frozen_string_literal: true

require_relative "lib/integrations/native/version"

Gem::Specification.new do |spec|
  spec.name = "chatwoot_integrations_rs"
  spec.version = Integrations::Native::VERSION
  spec.authors = ["chatwoot_integrations_rs developers"]
  spec.summary = "Rust core for Chatwoot's integrations: signed webhook delivery, signatures, payloads, providers"
  spec.description = <<~TEXT
    Integrations::Native replaces the hot paths of Chatwoot's integrations with Rust: outgoing webhook
    delivery (concurrent, signed, guarded against SSRF, retried through Sidekiq), provider HTTP,
    signature signing and verification, and payload serialization.
  TEXT
  spec.license = "MIT"
  spec.required_ruby_version = ">= 3.1"

  # Everything cargo needs to build the extension from the gem alone: the workspace manifest and
  # lock file, the core crate and the binding crate. No tests, fixtures or test keys: cargo reads a
  # [[test]] target's file only when asked to build the tests, which an installed gem never does.
  spec.files = Dir[
    "README.md", "LICENSE", "Cargo.toml", "Cargo.lock",
    "src/**/*.rs", "ext/**/*.{rs,rb,toml}",
    "lib/**/*.rb"
  ]
  spec.require_paths = ["lib"]
  spec.extensions = ["ext/chatwoot_integrations_rs/extconf.rb"]
end
