/// The protocol-buffer messages of TensorBoard event files (tensorboard/compat/proto event.proto and
/// summary.proto), encoded by hand: only the fields the loop writes, in field-number order and with proto3's
/// rule that a plain field at its default value is left out, so the bytes equal protobuf's own serializer's.
enum EventProto {
    enum What {
        case fileVersion(String)
        case summary([Value])
        /// `SessionLog{status: START}`: TensorBoard drops what earlier sessions logged at this step or later.
        case sessionStart
    }

    /// A `Summary.Value`: tag = 1, then simple_value = 2 (float) or image = 4.
    enum Value {
        case scalar(tag: String, Float)
        /// `Summary.Image`: height = 1, width = 2, colorspace = 3 (the channel count), encoded_image_string = 4.
        case image(tag: String, png: [UInt8], height: Int, width: Int, channels: Int)
    }

    /// `Event`: wall_time = 1 (double), step = 2 (int64), then one of file_version = 3, summary = 5,
    /// session_log = 7.
    static func event(wallTime: Double, step: Int, _ what: What) -> [UInt8] {
        var out = ProtoWriter()
        if wallTime != 0 { out.double(1, wallTime) }
        if step != 0 { out.varint(2, UInt64(bitPattern: Int64(step))) }
        switch what {
        case .fileVersion(let version): out.lengthDelimited(3, Array(version.utf8))
        case .summary(let values): out.lengthDelimited(5, summary(values))
        case .sessionStart: out.lengthDelimited(7, ProtoWriter.message { $0.varint(1, 1) })  // status = START
        }
        return out.bytes
    }

    /// `Summary`: repeated value = 1.
    private static func summary(_ values: [Value]) -> [UInt8] {
        ProtoWriter.message { out in
            for value in values { out.lengthDelimited(1, encode(value)) }
        }
    }

    private static func encode(_ value: Value) -> [UInt8] {
        ProtoWriter.message { out in
            switch value {
            case .scalar(let tag, let number):
                if !tag.isEmpty { out.lengthDelimited(1, Array(tag.utf8)) }
                out.float(2, number)  // a oneof member: written even when 0
            case .image(let tag, let png, let height, let width, let channels):
                if !tag.isEmpty { out.lengthDelimited(1, Array(tag.utf8)) }
                out.lengthDelimited(4, ProtoWriter.message { image in
                    if height != 0 { image.varint(1, UInt64(height)) }
                    if width != 0 { image.varint(2, UInt64(width)) }
                    if channels != 0 { image.varint(3, UInt64(channels)) }
                    if !png.isEmpty { image.lengthDelimited(4, png) }
                })
            }
        }
    }
}

/// Protocol-buffer wire format: a key (field number << 3 | wire type) before each value.
struct ProtoWriter {
    private(set) var bytes: [UInt8] = []

    /// The bytes of a message that `body` writes.
    static func message(_ body: (inout ProtoWriter) -> Void) -> [UInt8] {
        var writer = ProtoWriter()
        body(&writer)
        return writer.bytes
    }

    /// Wire type 0 (int32, int64, enums).
    mutating func varint(_ field: Int, _ value: UInt64) {
        key(field, 0)
        raw(value)
    }

    /// Wire type 1.
    mutating func double(_ field: Int, _ value: Double) {
        key(field, 1)
        bytes.appendLittleEndian(value.bitPattern)
    }

    /// Wire type 5.
    mutating func float(_ field: Int, _ value: Float) {
        key(field, 5)
        bytes.appendLittleEndian(value.bitPattern)
    }

    /// Wire type 2 (strings, bytes, messages).
    mutating func lengthDelimited(_ field: Int, _ value: [UInt8]) {
        key(field, 2)
        raw(UInt64(value.count))
        bytes += value
    }

    private mutating func key(_ field: Int, _ wireType: UInt64) { raw(UInt64(field) << 3 | wireType) }

    private mutating func raw(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }
}
