# frozen_string_literal: true

require "json"
require "digest"
require "stringio"
require "tempfile"

# Files both ways against the fake Slack: a message's attachments through the external-upload flow
# (files.getUploadURLExternal, the upload URL, files.completeUploadExternal), and a thread reply's
# files downloaded with the bot token.
RSpec.describe "Slack files" do
  let(:n) { Integrations::Native }
  let(:fake) { FakeSlack.new }
  let(:inbox) { SlackModels::Inbox.new("Website Support", "Website", "Channel::WebWidget") }

  before do
    n.configure do |c|
      c.allowed_private_cidrs = ["127.0.0.1/32"]
      c.slack_api_url = fake.api_url
      c.frontend_url = "https://chat.example.com"
      c.timeout = 30
    end
  end

  after do
    fake.stop
    n.reset_configuration!
  end

  def message(content, attachments, identifier: nil, type: "incoming")
    conversation = SlackModels::Conversation.new(id: 1, display_id: 42, account_id: 3, identifier: identifier, additional_attributes: {},
                                                 inbox: inbox, messages: [])
    message = SlackModels::Message.new(content: content, message_type: type, sender: SlackModels::Sender.new("Ann", nil),
                                       sender_type: "Contact", conversation: conversation, inbox: inbox, content_attributes: {},
                                       external_source_ids: {}, private: false)
    message.define_singleton_method(:attachments) { attachments }
    message
  end

  def hook = SlackModels::Hook.new(app_id: "slack", active: true, settings: {}, access_token: FakeSlack::TOKEN, reference_id: "C0123")

  def perform(message) = n::SendService.new(hook: hook, message: message).perform

  def uploads = fake.received.select { |r| r.path.start_with?("/upload/") }.map { |r| JSON.parse(r.body) }

  describe "upload (outgoing attachments)" do
    it "uploads several files after the first post and shares them in the thread it started" do
      png = "\x89PNG#{"x" * 3000}".b
      pdf = "%PDF-#{"y" * 70_000}".b
      text = "plain notes\n" * 10
      attachments = [SlackModels::Attachment.new(SlackModels::StoredFile.new("shot.png", "image/png", png)),
                     SlackModels::IoAttachment.new("report.pdf", "application/pdf", StringIO.new(pdf)),
                     SlackModels::IoAttachment.new("notes.txt", "text/plain", StringIO.new(text))]
      outcome = perform(message("see attached", attachments))
      expect(outcome).to be_identifier

      asks = fake.received("files.getUploadURLExternal")
      expect(asks.map { |r| r.header("authorization") }.uniq).to eq(["Bearer #{FakeSlack::TOKEN}"])
      expect(asks.map { |r| FakeSlack.form(r) }).to eq([{ "filename" => "shot.png", "length" => png.bytesize.to_s },
                                                        { "filename" => "report.pdf", "length" => pdf.bytesize.to_s },
                                                        { "filename" => "notes.txt", "length" => text.bytesize.to_s }])
      expect(uploads.map { |u| [u["size"], u["sha256"]] }).to eq([png, pdf, text].map { |b| [b.bytesize, Digest::SHA256.hexdigest(b)] })
      upload_requests = fake.received.select { |r| r.path.start_with?("/upload/") }
      expect(upload_requests.map { |r| r.header("authorization") }).to all(be_nil) # the upload URL is its own credential

      complete = fake.received("files.completeUploadExternal")
      expect(complete.size).to eq(1)
      form = FakeSlack.form(complete.first)
      expect(JSON.parse(form.delete("files"))).to eq([{ "id" => "F1001", "title" => "shot.png" }, { "id" => "F1003", "title" => "report.pdf" },
                                                      { "id" => "F1005", "title" => "notes.txt" }])
      expect(form).to eq("channel_id" => "C0123", "initial_comment" => "Attached File!", "thread_ts" => outcome.identifier)
    end

    it "shares files alone (no text) in the existing thread without a chat.postMessage" do
      attachments = [SlackModels::IoAttachment.new("a.png", "image/png", StringIO.new("png-bytes")), SlackModels::IoAttachment.new("b.png", "image/png", StringIO.new("more"))]
      outcome = perform(message("", attachments, identifier: "1764300000.000100", type: "outgoing"))
      expect([outcome.kind, outcome.reason]).to eq([:noop, "shared 2 file(s)"])
      expect(fake.received("chat.postMessage")).to be_empty
      expect(FakeSlack.form(fake.received("files.completeUploadExternal").first)["thread_ts"]).to eq("1764300000.000100")
    end

    it "keeps the post's outcome when the files fail afterwards (a retry would post the text twice)" do
      fake.fail("files.completeUploadExternal", error: "missing_scope")
      outcome = perform(message("hello", [SlackModels::IoAttachment.new("a.png", "image/png", StringIO.new("png"))]))
      expect(outcome).to be_identifier
      expect(outcome.reason).to eq("files not shared: slack: missing_scope")
      fake.fail("files.getUploadURLExternal", status: 503)
      only_files = perform(message("", [SlackModels::IoAttachment.new("a.png", "image/png", StringIO.new("png"))], identifier: "1.0", type: "outgoing"))
      expect(only_files).to be_retry
    end

    it "refuses an attachment it cannot read, naming it" do
      bad = message("x", [SlackModels::Attachment.new(Object.new)])
      expect { perform(bad) }.to raise_error(TypeError, /must answer read \(an IO\) or download/)
      expect(fake.received).to be_empty
    end

    it "streams a 50 MB file from its IO: a few chunks in memory, never the file (RSS measured in a child)" do
      size = 50 * 1024 * 1024
      Tempfile.create("big") do |big|
        big.binmode
        chunk = Random.new(1).bytes(1024 * 1024)
        50.times { big.write(chunk) }
        big.flush
        reader, writer = IO.pipe
        pid = fork do
          reader.close
          # The engine (its lanes, runtimes, TLS set-up) starts with a first small upload: what is
          # measured after it is what the file itself costs.
          perform(message("", [SlackModels::IoAttachment.new("warm.txt", "text/plain", StringIO.new("warm"))], identifier: "1.0", type: "outgoing"))
          GC.start
          rss = -> { File.read("/proc/self/status")[/VmRSS:\s+(\d+)/, 1].to_i * 1024 }
          before = rss.call
          File.open(big.path, "rb") do |io|
            outcome = perform(message("", [SlackModels::IoAttachment.new("big.bin", "application/octet-stream", io)], identifier: "1.0", type: "outgoing"))
            writer.write(JSON.generate("kind" => outcome.kind, "growth" => rss.call - before))
          end
          writer.close
          exit!(0)
        end
        writer.close
        result = JSON.parse(reader.read)
        Process.wait(pid)
        expect(result["kind"]).to eq("noop")
        expect(uploads.last["size"]).to eq(size)
        expect(uploads.last["sha256"]).to eq(Digest::SHA256.file(big.path).hexdigest)
        # Before streaming, the whole file sat in one Rust buffer (RSS grew by its size); now a
        # few chunks are in flight (growth measured here: 1-3 MB).
        expect(result["growth"]).to be < 8 * 1024 * 1024
      end
    end

    it "never sends a file whose IO yields fewer or more bytes than its declared size as complete" do
      short = SlackModels::IoAttachment.new("short.bin", "application/octet-stream", StringIO.new("x" * 1000))
      short.define_singleton_method(:byte_size) { 300_000 }
      long = SlackModels::IoAttachment.new("long.bin", "application/octet-stream", StringIO.new("y" * 300_001))
      long.define_singleton_method(:byte_size) { 300_000 }
      [short, long].each do |attachment|
        outcome = perform(message("", [attachment], identifier: "1.0", type: "outgoing"))
        expect(outcome.kind).not_to eq(:noop)
        expect(outcome.reason).to match(/#{attachment.filename}.*declared 300000 bytes/)
      end
      # Either the upload URL saw no complete request, or it saw none at all; nothing was shared.
      expect(uploads.map { |u| u["size"] }).not_to include(300_000)
      expect(fake.received("files.completeUploadExternal")).to be_empty
    end

    it "lets an exception from IO#read mid-upload propagate as raised, aborting the upload" do
      failing = Class.new(StringIO) do
        def read(length = nil, buffer = nil)
          raise IOError, "disk went away" if pos.positive?

          super
        end
      end
      io = failing.new("w" * (1024 * 1024))
      attachment = SlackModels::IoAttachment.new("broken.bin", "application/octet-stream", io)
      expect { perform(message("", [attachment], identifier: "1.0", type: "outgoing")) }.to raise_error(IOError, "disk went away")
      expect(fake.received("files.completeUploadExternal")).to be_empty
      outcome = perform(message("", [SlackModels::IoAttachment.new("a.txt", "text/plain", StringIO.new("fine"))], identifier: "1.0", type: "outgoing"))
      expect([outcome.kind, outcome.reason]).to eq([:noop, "shared 1 file(s)"])
    end

    it "stops a slow upload when Timeout.timeout fires, raising Timeout::Error" do
      slow = SlowUploadServer.new
      fake.upload_to(slow.base)
      io = StringIO.new("t" * (30 * 1024 * 1024))
      attachment = SlackModels::IoAttachment.new("slow.bin", "application/octet-stream", io)
      started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      expect { Timeout.timeout(1) { perform(message("", [attachment], identifier: "1.0", type: "outgoing")) } }.to raise_error(Timeout::Error)
      # Under GC_STRESS=1 raising the Timeout::Error (its backtrace, a full GC per allocation)
      # alone takes seconds; the abort itself is the same.
      expect(Process.clock_gettime(Process::CLOCK_MONOTONIC) - started).to be < (ENV["GC_STRESS"] == "1" ? 20 : 3)
      expect(slow.read_bytes).to be_positive # it was under way
      expect(io.pos).to be < io.size
      slow.drain!
      deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 10
      sleep 0.05 until slow.closed? || Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
      expect(slow.closed?).to be(true)
    ensure
      slow&.stop
    end

    it "stops a slow upload promptly on Thread#kill, closes its connection, and stays usable" do
      slow = SlowUploadServer.new
      fake.upload_to(slow.base)
      io = StringIO.new("z" * (30 * 1024 * 1024))
      attachment = SlackModels::IoAttachment.new("slow.bin", "application/octet-stream", io)
      thread = Thread.new { perform(message("", [attachment], identifier: "1.0", type: "outgoing")) }
      deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 10
      sleep 0.05 until slow.read_bytes > 64 * 1024 || Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
      expect(slow.read_bytes).to be > 64 * 1024
      expect(thread).to be_alive # the server reads slowly: the upload is under way, not done

      killed_at = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      thread.kill
      expect(thread.join(2)).to eq(thread)
      expect(Process.clock_gettime(Process::CLOCK_MONOTONIC) - killed_at).to be < 2
      slow.drain!
      sleep 0.05 until slow.closed? || Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline + 5
      expect(slow.closed?).to be(true)
      expect(slow.read_bytes).to be < io.size # the connection ended, not the upload
      expect(io.pos).to be < io.size # not read to the end: the file stopped with the upload

      fake.upload_to(nil)
      outcome = perform(message("", [SlackModels::IoAttachment.new("a.txt", "text/plain", StringIO.new("after"))], identifier: "1.0", type: "outgoing"))
      expect([outcome.kind, outcome.reason]).to eq([:noop, "shared 1 file(s)"])
      expect(uploads.last["sha256"]).to eq(Digest::SHA256.hexdigest("after"))
    ensure
      slow&.stop
    end
  end

  describe "download (a thread reply's files)" do
    def reply_with(files)
      body = { "type" => "event_callback", "event" => { "type" => "message", "subtype" => "file_share", "channel" => "C0123", "user" => "U2",
                                                        "text" => "", "ts" => "5.0", "thread_ts" => "1764300000.000100", "files" => files } }
      n::Slack::Event.parse(JSON.generate(body))
    end

    def shared(path, mimetype, filetype, size: FakeSlack::FILES.fetch(path)[1].bytesize)
      { "id" => "F1", "name" => File.basename(path), "mimetype" => mimetype, "filetype" => filetype, "size" => size,
        "url_private" => fake.file_url(path) }
    end

    it "downloads each file with the bot token and maps its type as Chatwoot does" do
      event = reply_with([shared("/files-pri/T1-F1/photo.png", "image/png", "png"), shared("/files-pri/T1-F2/report.pdf", "application/pdf", "pdf")])
      reply = n::Slack.reply(event, token: FakeSlack::TOKEN)
      expect(reply.outcome).to be_nil
      expect(reply.message_params).to eq(message_type: :outgoing, content: "", private: false, external_source_id_slack: "5.0")
      expect(reply.files.map { |f| [f.name, f.content_type, f.file_type, f.bytes] }).to eq([
                                                                                              ["photo.png", "image/png", :image, FakeSlack::FILES["/files-pri/T1-F1/photo.png"][1]],
                                                                                              ["report.pdf", "application/pdf", :file, FakeSlack::FILES["/files-pri/T1-F2/report.pdf"][1]],
                                                                                            ])
      expect(reply.files.first.url).to eq(fake.file_url("/files-pri/T1-F1/photo.png"))
      downloads = fake.received.select { |r| r.path.start_with?("/files-pri/") }
      expect(downloads.map { |r| [r.method, r.header("authorization")] }.uniq).to eq([["GET", "Bearer #{FakeSlack::TOKEN}"]])
      expect(reply.files.first.inspect).not_to include("PNG")
    end

    it "gives text/plain and unknown types no file_type" do
      event = reply_with([shared("/files-pri/T1-F1/photo.png", "text/plain", "text"), shared("/files-pri/T1-F2/report.pdf", "application/zip", "zip")])
      expect(event.files.map(&:file_type)).to eq([nil, nil])
    end

    it "refuses a download Slack answers with its login redirect, and retries one that was cut off" do
      denied = reply_with([shared("/files-pri/T1-F1/photo.png", "image/png", "png").merge("url_private" => fake.file_url("/files-pri/denied/x.png"))])
      expect { n::Slack.reply(denied, token: FakeSlack::TOKEN) }.to raise_error(n::DeliveryError, "slack: file_access_denied")
      cut = reply_with([shared("/files-pri/T1-F1/photo.png", "image/png", "png", size: 10_000)])
      reply = n::Slack.reply(cut, token: FakeSlack::TOKEN)
      expect(reply.outcome).to be_retry
      expect(reply.files).to be_empty
    end
  end
end
