# frozen_string_literal: true

RSpec.describe Integrations::Native do
  it "has a version" do
    expect(Integrations::Native::VERSION).to match(/\A\d+\.\d+\.\d+/)
  end

  it "defines every error class under Error" do
    %i[SignatureError SerializationError DeliveryError ConfigurationError InternalError].each do |name|
      klass = Integrations::Native.const_get(name)
      expect(klass.ancestors).to include(Integrations::Native::Error)
    end
    expect(Integrations::Native::Error.superclass).to eq(StandardError)
  end

  it "turns a Rust panic into an InternalError instead of aborting the process" do
    # Quietly: the deliberate panic prints no Rust panic message or backtrace into the test run.
    expect do
      expect { Integrations::Native.__panic_for_tests__("kaboom") }
        .to raise_error(Integrations::Native::InternalError, /kaboom/)
    end.not_to output.to_stderr_from_any_process
    # The process is alive and the extension still answers.
    expect(Integrations::Native::Signature.hmac_sha256_hex("k", "b")).to be_a(String)
  end
end
