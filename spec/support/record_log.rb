# frozen_string_literal: true

# A file of length-prefixed Marshal records, which a test server in a child process appends to (one
# write per record, under its own lock) and the test process reads. A record still being written at
# the end is left for the next read.
module RecordLog
  module_function

  def append(io, hash)
    record = Marshal.dump(hash)
    io.syswrite([record.bytesize].pack("N") + record)
  end

  def read(path)
    return [] unless File.exist?(path)

    data = File.binread(path)
    records = []
    offset = 0
    while offset + 4 <= data.bytesize
      size = data.byteslice(offset, 4).unpack1("N")
      break if offset + 4 + size > data.bytesize

      records << Marshal.load(data.byteslice(offset + 4, size))
      offset += 4 + size
    end
    records
  end
end
